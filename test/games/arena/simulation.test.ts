import assert from "node:assert/strict";
import { botInput, createBrain } from "../../../src/games/arena/logic/bots.ts";
import { hasLineOfSight, isFree } from "../../../src/games/arena/logic/geometry.ts";
import { ARENA_MAP } from "../../../src/games/arena/logic/maps.ts";
import { advancePhase, type MatchClock, placements } from "../../../src/games/arena/logic/match.ts";
import { nextUint32, seedRng } from "../../../src/logic/rng.ts";
import { addPlayer, createWorld, step } from "../../../src/games/arena/logic/simulation.ts";
import { DEFAULT_TUNING } from "../../../src/games/arena/logic/tuning.ts";
import type { Input, MapDef, World } from "../../../src/games/arena/logic/types.ts";

const DT = 1000 / 30;
const T = DEFAULT_TUNING;
/** An open field, so movement tests are not disturbed by the arena's cover. */
const OPEN: MapDef = { id: "open", width: 2000, height: 2000, obstacles: [], spawns: [{ x: 1000, y: 1000 }] };

function input(seq: number, over: Partial<Input> = {}): Input {
  return { seq, moveX: 0, moveY: 0, aim: 0, fire: false, ...over };
}

function world(friendlyFire = true): World {
  return createWorld({ seed: 42, friendlyFire, historyLength: 15 });
}

function place(w: World, id: string, x: number, y: number, team = 0, map: MapDef = OPEN) {
  const p = addPlayer(w, { id, team, bot: false }, map, T);
  p.x = x;
  p.y = y;
  return p;
}

function run(w: World, ticks: number, inputsOf: (tick: number) => Map<string, Input>, map: MapDef = OPEN) {
  const events = [];
  for (let i = 0; i < ticks; i++) events.push(...step(w, inputsOf(i), DT, T, map));
  return events;
}

describe("logic: movement", () => {
  it("jitter: holding a tick and then applying the late input with the current one ends where two ticks would", () => {
    const moves = [input(1, { moveX: 1 }), input(2, { moveX: 1, moveY: 0.5 }), input(3, { moveY: -1 })];
    // On time: one input per tick.
    const onTime = world();
    place(onTime, "a", 500, 500);
    for (const m of moves) step(onTime, new Map([["a", m]]), DT, T, OPEN);
    // Input 2 late: tick 2 finds nothing but the client is sending (waiting → hold still), tick 3 applies 2 then 3.
    const jittered = world();
    place(jittered, "a", 500, 500);
    step(jittered, new Map([["a", moves[0]!]]), DT, T, OPEN);
    step(jittered, new Map(), DT, T, OPEN, true, undefined, new Set(["a"]));
    step(jittered, new Map([["a", moves[2]!]]), DT, T, OPEN, true, new Map([["a", [moves[1]!]]]));
    const [a, b] = [onTime.players.a!, jittered.players.a!];
    assert.deepEqual([b.x, b.y, b.vx, b.vy, b.ack], [a.x, a.y, a.vx, a.vy, a.ack]);
    // Without the hold the player would have coasted a step the client never took.
    const coasted = world();
    place(coasted, "a", 500, 500);
    step(coasted, new Map([["a", moves[0]!]]), DT, T, OPEN);
    step(coasted, new Map(), DT, T, OPEN);
    step(coasted, new Map([["a", moves[2]!]]), DT, T, OPEN, true, new Map([["a", [moves[1]!]]]));
    assert.notEqual(coasted.players.a!.x, a.x);
  });

  it("accelerates toward the stick, never past max speed, and advances ack", () => {
    const w = world();
    const p = place(w, "a", 500, 500);
    run(w, 60, (i) => new Map([["a", input(i + 1, { moveX: 1 })]]));
    assert.ok(p.x > 500 + T.maxSpeed * 1.5, `moved to ${p.x}`);
    assert.ok(Math.hypot(p.vx, p.vy) <= T.maxSpeed + 1e-9);
    assert.equal(p.ack, 60);
    assert.equal(p.y, 500);
  });

  it("a diagonal stick is no faster than a straight one, and an over-long stick is clamped", () => {
    const w = world();
    const straight = place(w, "a", 300, 300);
    const diagonal = place(w, "b", 300, 900);
    const huge = place(w, "c", 300, 1500);
    run(
      w,
      90,
      (i) =>
        new Map([
          ["a", input(i + 1, { moveX: 1 })],
          ["b", input(i + 1, { moveX: 1, moveY: 1 })],
          ["c", input(i + 1, { moveX: 50 })],
        ]),
    );
    const dStraight = straight.x - 300;
    const dDiagonal = Math.hypot(diagonal.x - 300, diagonal.y - 900);
    assert.ok(Math.abs(dDiagonal - dStraight) < 1, `${dDiagonal} vs ${dStraight}`);
    assert.ok(Math.abs(huge.x - straight.x) < 1e-9, "moveX 50 moves like moveX 1");
  });

  it("friction stops a player that lets go", () => {
    const w = world();
    const p = place(w, "a", 500, 500);
    run(w, 30, (i) => new Map([["a", input(i + 1, { moveX: 1 })]]));
    run(w, 60, () => new Map());
    assert.ok(Math.hypot(p.vx, p.vy) < 1, `speed ${Math.hypot(p.vx, p.vy)}`);
  });

  it("stays inside the bounds and outside obstacles", () => {
    const map: MapDef = {
      id: "box",
      width: 1000,
      height: 1000,
      obstacles: [
        { kind: "rect", x: 600, y: 0, w: 100, h: 1000 },
        { kind: "circle", x: 300, y: 700, r: 80 },
      ],
      spawns: [{ x: 100, y: 100 }],
    };
    const w = world();
    const runner = place(w, "a", 500, 500, 0, map);
    const wall = place(w, "b", 100, 100, 1, map);
    const pillar = place(w, "c", 300, 500, 2, map);
    run(
      w,
      120,
      (i) =>
        new Map([
          ["a", input(i + 1, { moveX: 1 })],
          ["b", input(i + 1, { moveX: -1, moveY: -1 })],
          ["c", input(i + 1, { moveY: 1 })],
        ]),
      map,
    );
    assert.ok(runner.x <= 600 - T.playerRadius + 1e-6, `through the wall: ${runner.x}`);
    assert.ok(wall.x >= T.playerRadius && wall.y >= T.playerRadius);
    assert.ok(Math.hypot(pillar.x - 300, pillar.y - 700) >= 80 + T.playerRadius - 1e-6);
    for (const p of [runner, wall, pillar]) assert.ok(isFree(map, p.x, p.y, T.playerRadius - 1e-6));
  });
});

describe("logic: combat", () => {
  it("fires at most once per cooldown however often fire is held", () => {
    const w = world();
    place(w, "a", 200, 200);
    const events = run(w, 30, (i) => new Map([["a", input(i + 1, { fire: true })]]));
    const shots = events.filter((e) => e.type === "fired").length;
    const expected = Math.ceil((30 * DT) / T.fireCooldownMs);
    assert.ok(shots <= expected && shots >= expected - 1, `${shots} shots in 1 s`);
  });

  it("a projectile hits, damages, and four hits kill; the victim respawns after the delay at the safest spawn", () => {
    const map: MapDef = {
      ...OPEN,
      spawns: [
        { x: 100, y: 100 },
        { x: 1900, y: 1900 },
      ],
    };
    const w = world();
    const shooter = place(w, "a", 1000, 1000, 0, map);
    const victim = place(w, "b", 1300, 1000, 1, map);
    const events = run(w, 60, (i) => new Map([["a", input(i + 1, { aim: 0, fire: true })]]), map);
    const hits = events.filter((e) => e.type === "hit");
    assert.ok(hits.length >= 4);
    assert.deepEqual(
      events.filter((e) => e.type === "kill"),
      [{ type: "kill", killer: "a", victim: "b" }],
    );
    assert.equal(shooter.kills, 1);
    assert.equal(victim.deaths, 1);
    const respawn = events.find((e) => e.type === "respawn");
    assert.equal(victim.alive, respawn !== undefined);
    run(w, Math.ceil(T.respawnDelayMs / DT) + 1, () => new Map(), map);
    assert.equal(victim.alive, true);
    assert.equal(victim.hp, T.maxHp);
    // The spawn farther from the shooter at (1000,1000)... both are equidistant; then the first in map order.
    assert.deepEqual({ x: victim.x, y: victim.y }, { x: 100, y: 100 });
  });

  it("obstacles stop projectiles", () => {
    const map: MapDef = { ...OPEN, obstacles: [{ kind: "rect", x: 1100, y: 900, w: 40, h: 200 }] };
    const w = world();
    place(w, "a", 1000, 1000, 0, map);
    const target = place(w, "b", 1300, 1000, 1, map);
    const events = run(w, 45, (i) => new Map([["a", input(i + 1, { aim: 0, fire: true })]]), map);
    assert.equal(events.filter((e) => e.type === "hit").length, 0);
    assert.ok(events.some((e) => e.type === "blocked"));
    assert.equal(target.hp, T.maxHp);
  });

  it("squad: no friendly fire; teammates are passed through", () => {
    const w = world(false);
    place(w, "a", 1000, 1000, 0);
    const mate = place(w, "b", 1150, 1000, 0);
    const enemy = place(w, "c", 1400, 1000, 1);
    const events = run(w, 20, (i) => new Map([["a", input(i + 1, { aim: 0, fire: true })]]));
    assert.equal(mate.hp, T.maxHp);
    assert.ok(enemy.hp < T.maxHp);
    assert.ok(events.every((e) => e.type !== "hit" || e.target === "c"));
  });

  it("lag compensation: a shot is judged against where the target was at the shooter's view time", () => {
    const w = world();
    const shooter = place(w, "a", 1000, 1000, 0);
    const target = place(w, "b", 1200, 1000, 1);
    // The target stands on the line for a while (recorded in history), then steps off it.
    run(w, 10, () => new Map());
    target.y = 1300;
    shooter.viewDelayMs = 200; // the shooter still sees the target on the line
    const events = run(w, 15, (i) => new Map([["a", input(i + 1, { aim: 0, fire: i === 0 })]]));
    assert.equal(events.filter((e) => e.type === "hit").length, 1, "hit where the shooter saw it");

    const w2 = world();
    const s2 = place(w2, "a", 1000, 1000, 0);
    const t2 = place(w2, "b", 1200, 1000, 1);
    run(w2, 10, () => new Map());
    t2.y = 1300;
    s2.viewDelayMs = 0;
    const events2 = run(w2, 15, (i) => new Map([["a", input(i + 1, { aim: 0, fire: i === 0 })]]));
    assert.equal(events2.filter((e) => e.type === "hit").length, 0, "without view delay the shot misses");

    const w3 = world();
    const s3 = place(w3, "a", 1000, 1000, 0);
    const t3 = place(w3, "b", 1200, 1000, 1);
    run(w3, 15, () => new Map());
    t3.y = 1300;
    s3.viewDelayMs = 5000; // claims beyond the window are cut to maxRewindMs
    run(w3, 12, () => new Map());
    const events3 = run(w3, 15, (i) => new Map([["a", input(i + 1, { aim: 0, fire: i === 0 })]]));
    assert.equal(events3.filter((e) => e.type === "hit").length, 0, "no rewind past the window");
  });
});

describe("logic: phases and placements", () => {
  const timing = { waitTimeoutMs: 10_000, countdownMs: 3_000, durationMs: 180_000 };

  it("waiting → countdown when all joined or on timeout → active after 3 s → ended after the duration", () => {
    const clock: MatchClock = { phase: "waiting", phaseStartedMs: 0 };
    assert.equal(advancePhase(clock, 500, false, timing), undefined);
    assert.equal(advancePhase(clock, 1000, true, timing)?.reason, "all-joined");
    assert.equal(advancePhase(clock, 3999, true, timing), undefined);
    assert.equal(advancePhase(clock, 4000, true, timing)?.to, "active");
    assert.equal(advancePhase(clock, 183_999, true, timing), undefined);
    assert.equal(advancePhase(clock, 184_000, true, timing)?.to, "ended");
    const late: MatchClock = { phase: "waiting", phaseStartedMs: 0 };
    assert.equal(advancePhase(late, 10_000, false, timing)?.reason, "wait-timeout");
  });

  it("ranks free-for-all by kills then deaths with shared places, and teams by team totals", () => {
    const ffa = placements(
      [
        { id: "a", team: 0, kills: 3, deaths: 1 },
        { id: "b", team: 1, kills: 5, deaths: 2 },
        { id: "c", team: 2, kills: 3, deaths: 1 },
        { id: "d", team: 3, kills: 3, deaths: 4 },
      ],
      false,
    );
    assert.deepEqual(Object.fromEntries(ffa), { b: 1, a: 2, c: 2, d: 4 });
    const teams = placements(
      [
        { id: "a", team: 0, kills: 1, deaths: 0 },
        { id: "b", team: 0, kills: 1, deaths: 0 },
        { id: "c", team: 1, kills: 3, deaths: 5 },
        { id: "d", team: 1, kills: 0, deaths: 0 },
      ],
      true,
    );
    assert.deepEqual(Object.fromEntries(teams), { c: 1, d: 1, a: 2, b: 2 });
  });
});

describe("logic: determinism and bots", () => {
  function botMatch(seed: number, ticks: number): World {
    const w = createWorld({ seed, friendlyFire: true, historyLength: 15 });
    const brains = new Map();
    for (const id of ["b1", "b2", "b3", "b4"]) {
      addPlayer(w, { id, team: Number(id[1]), bot: true }, ARENA_MAP, T);
      brains.set(id, createBrain(w, DT));
    }
    for (let i = 0; i < ticks; i++) {
      const inputs = new Map<string, Input>();
      for (const [id, brain] of brains)
        if (w.players[id]!.alive) inputs.set(id, botInput(w, id, brain, T, ARENA_MAP, DT));
      step(w, inputs, DT, T, ARENA_MAP);
    }
    return w;
  }

  it("the RNG is a pure function of its seed", () => {
    const a = seedRng(7);
    const b = seedRng(7);
    const c = seedRng(8);
    const seqA = Array.from({ length: 5 }, () => nextUint32(a));
    assert.deepEqual(
      seqA,
      Array.from({ length: 5 }, () => nextUint32(b)),
    );
    assert.notDeepEqual(
      seqA,
      Array.from({ length: 5 }, () => nextUint32(c)),
    );
  });

  it("same seed and inputs give an identical world after 10,000 ticks; another seed does not", () => {
    const one = botMatch(1234, 10_000);
    const two = botMatch(1234, 10_000);
    assert.deepEqual(JSON.parse(JSON.stringify(one)), JSON.parse(JSON.stringify(two)));
    const kills = Object.values(one.players).reduce((sum, p) => sum + p.kills, 0);
    assert.ok(kills > 0, "bots fought");
    const other = botMatch(4321, 10_000);
    assert.notDeepEqual(JSON.parse(JSON.stringify(other.players)), JSON.parse(JSON.stringify(one.players)));
  });

  it("bots never leave the map, never stand in obstacles, and never fire without a line of sight", () => {
    const w = createWorld({ seed: 99, friendlyFire: true, historyLength: 15 });
    const brains = new Map();
    for (const id of ["b1", "b2", "b3", "b4"]) {
      addPlayer(w, { id, team: Number(id[1]), bot: true }, ARENA_MAP, T);
      brains.set(id, createBrain(w, DT));
    }
    let shots = 0;
    for (let i = 0; i < 5000; i++) {
      const inputs = new Map<string, Input>();
      for (const [id, brain] of brains) {
        const self = w.players[id]!;
        if (!self.alive) continue;
        const cmd = botInput(w, id, brain, T, ARENA_MAP, DT);
        if (cmd.fire) {
          shots += 1;
          const seenSomeone = Object.values(w.history.at(-brain.reactionTicks)?.positions ?? {}).some(
            (pos) => (pos.x !== self.x || pos.y !== self.y) && hasLineOfSight(ARENA_MAP, self.x, self.y, pos.x, pos.y),
          );
          assert.ok(seenSomeone, `bot ${id} fired blind at tick ${i}`);
        }
        inputs.set(id, cmd);
      }
      step(w, inputs, DT, T, ARENA_MAP);
      for (const p of Object.values(w.players)) {
        if (p.alive) assert.ok(isFree(ARENA_MAP, p.x, p.y, T.playerRadius - 1e-6), `${p.id} at ${p.x},${p.y}`);
      }
      for (const projectile of w.projectiles) {
        assert.ok(isFree(ARENA_MAP, projectile.x, projectile.y, 0), `projectile inside an obstacle at tick ${i}`);
      }
    }
    assert.ok(shots > 0);
  });
});
