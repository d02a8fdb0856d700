import assert from "node:assert/strict";
import { ARENA_MAP } from "../../../src/games/arena/logic/maps.ts";
import { DEFAULT_TUNING } from "../../../src/games/arena/logic/tuning.ts";
import { ArenaMatch } from "../../../src/games/arena/ArenaMatch.ts";
import type { Input } from "../../../src/games/arena/logic/types.ts";
import { InputQueue, normaliseAngle, type TakenInputs } from "../../../src/games/arena/InputQueue.ts";
import { ArenaState } from "../../../src/games/arena/ArenaState.ts";

const TICK = 1000 / 30;
const timing = { waitTimeoutMs: 1000, countdownMs: 500, durationMs: 3000 };

function duel(state = new ArenaState()): ArenaMatch {
  return new ArenaMatch(
    {
      sessionId: "s1",
      mode: "duel",
      region: "local",
      seed: 3,
      roster: [
        { playerId: "p1", username: "one", team: 0, bot: false },
        { playerId: "p2", username: "two", team: 1, bot: false },
      ],
    },
    state,
    ARENA_MAP,
    DEFAULT_TUNING,
    timing,
    TICK,
  );
}

describe("ArenaMatch", () => {
  it("cancels when too few players took their seats by the wait timeout", () => {
    const match = duel();
    match.seat("session-1", { playerId: "p1", username: "one", team: 0, bot: false });
    assert.equal(match.reservedEntry("p1"), undefined, "p1 is seated");
    assert.equal(match.reservedEntry("p2")?.username, "two");
    let ended = false;
    let ticks = 0;
    while (!ended && ticks < 10_000) {
      ended = match.tick(() => undefined).ended;
      ticks += 1;
    }
    assert.ok(ended);
    assert.equal(match.cancelled, true);
    assert.equal(ticks, Math.ceil(timing.waitTimeoutMs / TICK), "right at the wait timeout");
    assert.deepEqual(
      match.noShows.map((entry) => entry.playerId),
      ["p2"],
    );
  });

  it("starts without the no-shows when enough arrived, and they are not in the result", () => {
    const roster = [0, 1, 2, 3].map((i) => ({ playerId: `p${i}`, username: `u${i}`, team: i, bot: false }));
    const match = new ArenaMatch(
      { sessionId: "s2", mode: "ffa", region: "local", seed: 4, roster },
      new ArenaState(),
      ARENA_MAP,
      DEFAULT_TUNING,
      timing,
      TICK,
    );
    for (const entry of roster.slice(0, 3)) match.seat(`s-${entry.playerId}`, entry);
    let ended = false;
    while (!ended) ended = match.tick(() => undefined).ended;
    assert.equal(match.cancelled, false);
    const result = match.result(1_000_000);
    assert.deepEqual(result.players.map((p) => p.playerId).sort(), ["p0", "p1", "p2"]);
    assert.equal(result.rated, true);
    assert.equal(result.durationMs, Math.round(Math.ceil(timing.durationMs / TICK) * TICK));
    assert.ok(result.endedAt > result.startedAt);
  });

  it("a full human roster starts without waiting and is rated", () => {
    const match = duel();
    match.seat("s-1", { playerId: "p1", username: "one", team: 0, bot: false });
    match.seat("s-2", { playerId: "p2", username: "two", team: 1, bot: false });
    match.tick(() => undefined);
    assert.equal(match.clock.phase, "countdown");
    let ended = false;
    while (!ended) ended = match.tick(() => undefined).ended;
    assert.equal(match.result(0).rated, true);
  });
});

describe("ArenaMatch state copy (what goes on the wire)", () => {
  it("carries positions as whole world units and the phase clock in whole seconds; the world keeps full precision", () => {
    const state = new ArenaState();
    const match = duel(state);
    match.seat("s-1", { playerId: "p1", username: "one", team: 0, bot: false });
    match.seat("s-2", { playerId: "p2", username: "two", team: 1, bot: false });
    let seq = 0;
    let fractional = 0;
    let shots = 0;
    const exactLeft = () => match.clock.phaseStartedMs + timing.durationMs - match.world.timeMs;
    for (let t = 0; t < 60; t++) {
      seq += 1;
      const input: Input = { seq, moveX: 0.7, moveY: 0.3, aim: 0.4, fire: true };
      match.tick((key) => (key === "s-1" ? input : undefined));
      const sim = match.world.players["s-1"]!;
      const wire = state.players.get("s-1")!;
      assert.equal(wire.x, Math.round(sim.x));
      assert.equal(wire.y, Math.round(sim.y));
      if (!Number.isInteger(sim.x)) fractional += 1;
      for (const projectile of match.world.projectiles) {
        const entry = state.projectiles.get(String(projectile.id))!;
        assert.equal(entry.x, Math.round(projectile.x));
        assert.equal(entry.y, Math.round(projectile.y));
        shots += 1;
      }
      assert.equal(state.timeLeftMs % 1000, 0);
      if (match.clock.phase === "active") {
        assert.ok(state.timeLeftMs >= exactLeft() && state.timeLeftMs - exactLeft() < 1000, `${state.timeLeftMs}`);
      }
    }
    assert.ok(fractional > 0 && shots > 0, "the run moved the player off whole units and fired");
  });

  it("refuses a map larger than the int16 positions of the wire can carry", () => {
    const huge = { ...ARENA_MAP, id: "huge", width: 40_000 };
    const spec = { sessionId: "s1", mode: "duel" as const, region: "local", seed: 3, roster: [] };
    assert.throws(() => new ArenaMatch(spec, new ArenaState(), huge, DEFAULT_TUNING, timing, TICK), /huge.*32767/);
  });
});

describe("ArenaMatch snapshots", () => {
  function busyMatch(): ArenaMatch {
    const roster = [
      { playerId: "h1", username: "human", team: 0, bot: false },
      { playerId: "bot:1", username: "b1", team: 1, bot: true },
      { playerId: "bot:2", username: "b2", team: 2, bot: true },
      { playerId: "bot:3", username: "b3", team: 3, bot: true },
    ];
    const match = new ArenaMatch(
      { sessionId: "snap", mode: "ffa", region: "local", seed: 99, roster },
      new ArenaState(),
      ARENA_MAP,
      DEFAULT_TUNING,
      { waitTimeoutMs: 1000, countdownMs: 500, durationMs: 600_000 },
      TICK,
    );
    for (const entry of roster) match.seat(entry.bot ? entry.playerId : "session-h1", entry);
    return match;
  }
  const humanInput = (tick: number) => ({
    seq: tick + 1,
    moveX: Math.cos(tick / 20),
    moveY: Math.sin(tick / 30),
    aim: tick / 10,
    fire: tick % 7 === 0,
  });

  it("snapshot → restore into a fresh match gives an identical world, and both continue identically", () => {
    const original = busyMatch();
    for (let t = 0; t < 600; t++) original.tick((key) => (key === "session-h1" ? humanInput(t) : undefined));
    const bytes = Buffer.from(JSON.stringify(original.snapshot()));
    const copy = busyMatch();
    copy.restore(JSON.parse(bytes.toString()));
    assert.deepEqual(copy.snapshot(), original.snapshot());
    for (let t = 600; t < 1200; t++) {
      original.tick((key) => (key === "session-h1" ? humanInput(t) : undefined));
      copy.tick((key) => (key === "session-h1" ? humanInput(t) : undefined));
    }
    assert.deepEqual(copy.snapshot(), original.snapshot());
    assert.ok(
      original.world.projectiles.length > 0 || Object.values(original.world.players).some((p) => p.kills > 0),
      "the match was busy",
    );
  });

  it("restoring an earlier snapshot rolls the match and its state back", () => {
    const match = busyMatch();
    for (let t = 0; t < 300; t++) match.tick(() => undefined);
    const earlier = match.snapshot();
    const stateThen = JSON.stringify(match.world.players);
    for (let t = 300; t < 600; t++) match.tick(() => undefined);
    assert.notEqual(JSON.stringify(match.world.players), stateThen);
    match.restore(earlier);
    assert.equal(match.world.tick, earlier.world.tick);
    assert.equal(JSON.stringify(match.world.players), stateThen);
  });
});

/** The input a take applies this tick, if any. */
function inputOf(taken: ReturnType<InputQueue["take"]>): Input | undefined {
  return typeof taken === "object" ? taken.input : undefined;
}

describe("InputQueue", () => {
  it("accepts strictly increasing seqs, clamps the stick, wraps the aim, and hands out one per take", () => {
    const queue = new InputQueue({ capacity: 4, ratePerSec: 40 });
    assert.equal(queue.offer("c", { seq: 1, moveX: 3, moveY: -7, aim: 3 * Math.PI, fire: true }, 0), undefined);
    const again = queue.offer("c", { seq: 1, moveX: 0, moveY: 0, aim: 0, fire: false }, 10);
    assert.match(again?.reason ?? "", /seq/);
    assert.equal(again?.strike, true, "a seq that does not advance is invalid");
    assert.deepEqual(inputOf(queue.take("c")), { seq: 1, moveX: 1, moveY: -1, aim: Math.PI, fire: true });
    assert.equal(inputOf(queue.take("c")), undefined);
    assert.equal(queue.lastSeq("c"), 1);
  });

  it("refuses inputs beyond the burst capacity and the sustained rate", () => {
    const queue = new InputQueue({ capacity: 4, ratePerSec: 40 });
    const refusals = Array.from({ length: 6 }, (_, i) =>
      queue.offer("c", { seq: i + 1, moveX: 0, moveY: 0, aim: 0, fire: false }, 0),
    );
    assert.deepEqual(
      refusals.map((r) => r === undefined),
      [true, true, true, true, false, false],
    );
    for (let i = 0; i < 4; i++) queue.take("c");
    // 100 ms later only 4 tokens have come back at 40/s.
    const later = Array.from({ length: 6 }, (_, i) =>
      queue.offer("c", { seq: 100 + i, moveX: 0, moveY: 0, aim: 0, fire: false }, 100),
    );
    assert.deepEqual(
      later.map((r) => r === undefined),
      [true, true, true, true, false, false],
    );
  });

  it("a burst read after a server stall is dropped down to the capacity without strikes; a sustained excess is struck", () => {
    const queue = new InputQueue({ capacity: 4, ratePerSec: 25, sustainSec: 2 });
    const input = (seq: number) => ({ seq, moveX: 1, moveY: 0, aim: 0, fire: false });
    let seq = 0;
    // A client at 20 Hz, read on time for a second.
    for (let t = 0; t < 1_000; t += 50) {
      assert.equal(queue.offer("c", input(++seq), t), undefined);
      queue.take("c");
    }
    // The server stalls for a second and then reads that second's 20 inputs at once.
    const burst = Array.from({ length: 20 }, () => queue.offer("c", input(++seq), 2_000));
    assert.equal(burst.filter((r) => r === undefined).length, 4, "the capacity is taken");
    assert.equal(queue.excessDropped, 16, "the rest is dropped");
    assert.deepEqual(
      burst.filter((r) => r?.strike === true),
      [],
      "no strike for the server's lag",
    );
    for (let i = 0; i < 4; i++) queue.take("c");
    // A client sending 40 a second (twice the ticks) from then on: dropped at once, struck once its allowance of
    // 2 s of the rate is spent, and then for every excess input.
    const strikes: number[] = [];
    for (let t = 2_050; t < 8_000; t += 50) {
      for (const r of [queue.offer("c", input(++seq), t), queue.offer("c", input(++seq), t)]) {
        if (r?.strike === true) strikes.push(t);
      }
      queue.take("c");
    }
    assert.ok(strikes.length > 10, `${strikes.length} strikes`);
    assert.ok((strikes[0] as number) >= 3_000, `the first strike came at ${strikes[0]} ms`);
  });

  it("jitter: a tick applies a late input with the current one; steps never outrun the ticks by more than the slack", () => {
    const queue = new InputQueue({ capacity: 32, ratePerSec: 1000, slack: 2, maxWaiting: 4 });
    const input = (seq: number, fire = false) => ({ seq, moveX: 1, moveY: 0, aim: 0, fire });
    queue.offer("c", input(1), 0);
    assert.deepEqual(queue.take("c"), { input: input(1), late: [] });
    // Nothing before this tick (the player holds still: "late"), two before the next: both are applied then, the
    // late one first, its shot kept.
    assert.equal(queue.take("c"), "late");
    queue.offer("c", input(2, true), 0);
    queue.offer("c", input(3), 0);
    assert.deepEqual(queue.take("c"), { input: input(3, true), late: [input(2, true)] });
    // Two arriving early for one tick: both applied (one step ahead of the ticks, within the slack of 2).
    queue.offer("c", input(4), 0);
    queue.offer("c", input(5), 0);
    assert.deepEqual(queue.take("c"), { input: input(5), late: [input(4)] });
    // A sender faster than the ticks: 4 more at once. It may get one more step ahead (slack 2); what still waits
    // then is stale (dropped, its shot kept) rather than a tick of delay for every later input.
    for (let seq = 6; seq <= 9; seq++) queue.offer("c", input(seq, seq === 9), 0);
    assert.deepEqual(queue.take("c"), { input: input(7, true), late: [input(6)] });
    assert.equal(queue.staleDropped, 2, "8 and 9 dropped");
    // Back in step: one input per tick, applied on its tick.
    queue.offer("c", input(10), 0);
    assert.deepEqual(queue.take("c"), { input: input(10), late: [] });
    queue.offer("c", input(11), 0);
    assert.deepEqual(queue.take("c"), { input: input(11), late: [] });
    // Past maxWaiting the oldest go stale whatever the slack.
    for (let i = 0; i < 3; i++) queue.take("c");
    for (let seq = 12; seq <= 17; seq++) queue.offer("c", input(seq), 0);
    const next = queue.take("c") as TakenInputs;
    assert.equal(queue.staleDropped, 4, "12 and 13 dropped");
    assert.deepEqual([...next.late.map((late) => late.seq), next.input.seq], [14, 15, 16, 17]);
  });

  it("normaliseAngle maps any angle into (-π, π]", () => {
    for (const [given, expected] of [
      [0, 0],
      [Math.PI, Math.PI],
      [-Math.PI, Math.PI],
      [3 * Math.PI, Math.PI],
      [-0.5, -0.5],
      [7, 7 - 2 * Math.PI],
    ] as const) {
      assert.ok(Math.abs(normaliseAngle(given) - expected) < 1e-9, `${given} → ${normaliseAngle(given)}`);
    }
  });
});
