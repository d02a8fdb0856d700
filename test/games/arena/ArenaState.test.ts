/** Schema tier: the arena state survives an encode/decode round trip, and StateView filters what a client gets. */
import assert from "node:assert/strict";
import { Decoder, Encoder, StateView } from "@colyseus/schema";
import { ArenaState, OWN_VIEW_TAG, PlayerState, ProjectileState } from "../../../src/games/arena/ArenaState.ts";

function player(fields: Partial<PlayerState>): PlayerState {
  return Object.assign(new PlayerState(), fields);
}

function state(): ArenaState {
  const s = new ArenaState();
  s.phase = "active";
  s.tick = 1234;
  s.timeLeftMs = 90_000;
  s.mode = "squad";
  s.mapId = "crossroads";
  s.players.set(
    "a",
    player({
      playerId: "pa",
      username: "alice",
      team: 0,
      x: 100,
      y: -200,
      angle: 1.5,
      hp: 75,
      kills: 3,
      deaths: 1,
      ack: 77,
    }),
  );
  s.players.set("b", player({ playerId: "pb", username: "bob", team: 1, bot: true, x: 2000, y: 1500, hp: 100 }));
  const shot = Object.assign(new ProjectileState(), { owner: "a", x: 120, y: 210, vx: 900, vy: 0 });
  s.projectiles.set("1", shot);
  return s;
}

describe("ArenaState schema", () => {
  it("round-trips every field through encode/decode into a fresh instance (with a view holding everything)", () => {
    const source = state();
    const encoder = new Encoder(source);
    const view = new StateView();
    source.players.forEach((p) => {
      view.add(p, OWN_VIEW_TAG);
    });
    source.projectiles.forEach((p) => {
      view.add(p);
    });
    const it = { offset: 0 };
    const shared = encoder.encodeAll(it);
    const sharedOffset = it.offset;
    const bytes = encoder.encodeAllView(view, sharedOffset, it);
    const decoded = new ArenaState();
    new Decoder(decoded).decode(bytes);
    const expected = source.toJSON();
    assert.deepEqual(decoded.toJSON(), expected);
    assert.equal(decoded.players.get("a")?.y, -200, "positions are signed whole world units (int16)");
    assert.equal(decoded.players.get("a")?.angle, 1.5);
    assert.ok(shared.length > 0);
  });

  it("a client's view carries only the entities added to it", () => {
    const source = state();
    const encoder = new Encoder(source);
    const view = new StateView();
    view.add(source.players.get("a")!);
    const it = { offset: 0 };
    encoder.encodeAll(it);
    const bytes = encoder.encodeAllView(view, it.offset, it);
    const decoded = new ArenaState();
    new Decoder(decoded).decode(bytes);
    assert.deepEqual([...decoded.players.keys()], ["a"]);
    assert.equal(decoded.projectiles.size, 0);
    assert.equal(decoded.phase, "active", "unfiltered fields always arrive");
  });

  it("`ack` reaches only the owner: a player added with OWN_VIEW_TAG carries it, another player does not", () => {
    const source = state();
    source.players.get("a")!.ack = 12;
    const encoder = new Encoder(source);
    const view = new StateView();
    view.add(source.players.get("a")!, OWN_VIEW_TAG);
    const other = [...source.players.keys()].find((key) => key !== "a")!;
    source.players.get(other)!.ack = 34;
    view.add(source.players.get(other)!);
    const it = { offset: 0 };
    encoder.encodeAll(it);
    const bytes = encoder.encodeAllView(view, it.offset, it);
    const decoded = new ArenaState();
    new Decoder(decoded).decode(bytes);
    assert.equal(decoded.players.get("a")?.ack, 12);
    assert.ok([undefined, 0].includes(decoded.players.get(other)?.ack), "not sent to a non-owner");
    assert.equal(decoded.players.get(other)?.x, source.players.get(other)!.x, "the other's public fields arrive");
  });
});
