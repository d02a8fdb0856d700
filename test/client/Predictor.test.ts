/**
 * The web client's prediction against a server that runs the same movement step and puts positions on the wire as
 * whole units (int16), as the arena does.
 */
import assert from "node:assert/strict";
import { Predictor } from "../../client/src/games/arena/Predictor.ts";
import { ARENA_MAP } from "../../src/games/arena/logic/maps.ts";
import { type MovingBody, movePlayer } from "../../src/games/arena/logic/simulation.ts";
import { DEFAULT_TUNING } from "../../src/games/arena/logic/tuning.ts";
import type { Input } from "../../src/games/arena/logic/types.ts";

const DT_MS = 1000 / 30;

/** The server's side: the true body, moved by the inputs it received, and what its patches carry. */
class Server {
  readonly body: MovingBody = { x: 120, y: 120, vx: 0, vy: 0, angle: 0 };
  ack = 0;

  apply(input: Input | undefined, seq = input?.seq ?? this.ack): void {
    movePlayer(this.body, input, DT_MS / 1000, DEFAULT_TUNING, ARENA_MAP);
    this.ack = seq;
  }

  patch() {
    return { x: Math.round(this.body.x), y: Math.round(this.body.y), ack: this.ack, alive: true };
  }
}

describe("client prediction with whole-unit positions on the wire", () => {
  it("keeps its exact prediction while the server agrees, though the patches carry rounded positions", () => {
    const server = new Server();
    const predictor = new Predictor(DT_MS);
    predictor.reconcile(server.patch());
    let fractional = 0;
    for (let i = 0; i < 90; i++) {
      const input = predictor.step({ moveX: 0.83, moveY: 0.41, aim: 0.3, fire: false }, true);
      server.apply(input);
      // Patches come every other step, one step late: one input is still pending at each.
      if (i % 2 === 1) {
        predictor.reconcile(server.patch());
        if (!Number.isInteger(server.body.x)) fractional += 1;
      }
    }
    assert.ok(fractional > 20, "the run moved the player off whole units");
    // The prediction is the server's own position, not the rounded one it was sent.
    assert.equal(predictor.body.x, server.body.x);
    assert.equal(predictor.body.y, server.body.y);
    assert.equal(predictor.offset.x, 0);
  });

  it("keeps its prediction on a patch that repeats the last ack while running (a tick without this client's input)", () => {
    const server = new Server();
    const predictor = new Predictor(DT_MS);
    predictor.reconcile(server.patch());
    const run = { moveX: 1, moveY: 0, aim: 0, fire: false };
    for (let i = 0; i < 3; i++) server.apply(predictor.step(run, true));
    predictor.reconcile(server.patch());
    // Three more inputs are on their way (latency); the server ticks without them ("late": it holds the player
    // still), and its patches repeat the ack it already sent.
    const inFlight = [1, 2, 3].map(() => predictor.step(run, true));
    const predicted = { ...predictor.body };
    predictor.reconcile(server.patch());
    predictor.reconcile(server.patch());
    assert.deepEqual(predictor.rendered, { x: predicted.x, y: predicted.y }, "the rendered player stays put");
    assert.equal(predictor.body.x, predicted.x, "the prediction is unchanged");
    // And it is what the server makes of those inputs once they arrive.
    for (const input of inFlight) server.apply(input);
    predictor.reconcile(server.patch());
    assert.ok(Math.abs(predictor.body.x - server.body.x) < 1e-9, `${predictor.body.x} vs ${server.body.x}`);
    assert.equal(predictor.offset.x, 0);
  });

  it("takes the server's position when the server did something else (a step it coasted)", () => {
    const server = new Server();
    const predictor = new Predictor(DT_MS);
    predictor.reconcile(server.patch());
    for (let i = 0; i < 20; i++) server.apply(predictor.step({ moveX: 1, moveY: 0, aim: 0, fire: false }, true));
    // The server lost the next inputs' effect: it coasted three steps without them.
    const lost = [1, 2, 3].map(() => predictor.step({ moveX: 1, moveY: 0, aim: 0, fire: false }, true));
    for (const input of lost) server.apply(undefined, input.seq);
    predictor.reconcile(server.patch());
    assert.ok(Math.abs(predictor.body.x - server.body.x) <= 0.5, `${predictor.body.x} vs ${server.body.x}`);
    assert.ok(predictor.offset.x > 1, "the correction is shown smoothed, not as a jump");
  });

  it("a large correction while running fades without ever moving the rendered player backwards; it fades out once stopped", () => {
    const server = new Server();
    const predictor = new Predictor(DT_MS);
    predictor.reconcile(server.patch());
    const run = { moveX: 1, moveY: 0, aim: 0, fire: false };
    for (let i = 0; i < 30; i++) server.apply(predictor.step(run, true));
    predictor.reconcile(server.patch());
    // A loaded server had none of the next twelve inputs in time (it coasted): the prediction is far ahead of it.
    for (let i = 0; i < 12; i++) server.apply(undefined, predictor.step(run, true).seq);
    predictor.reconcile(server.patch());
    assert.ok(predictor.offset.x > 20, `a large correction to show: ${predictor.offset.x} u`);
    let previous = predictor.rendered.x;
    for (let i = 0; i < 60; i++) {
      server.apply(predictor.step(run, true));
      if (i % 2 === 1) predictor.reconcile(server.patch());
      const x = predictor.rendered.x;
      assert.ok(x - previous > 0, `step ${i}: the rendered player moved ${x - previous} u while running right`);
      previous = x;
    }
    const still = { moveX: 0, moveY: 0, aim: 0, fire: false };
    for (let i = 0; i < 60; i++) server.apply(predictor.step(still, true));
    predictor.reconcile(server.patch());
    assert.ok(Math.abs(predictor.offset.x) < 0.5, `the correction has faded: ${predictor.offset.x} u left`);
  });
});
