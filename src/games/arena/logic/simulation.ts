/**
 * The simulation step: `step(world, inputs, dtMs, tuning, map) → events`. Pure: it reads no clock, no
 * Math.random, no I/O; randomness comes from `world.rng`. Same world + same inputs → same world after.
 *
 * Order within a tick: inputs → movement and collisions → firing → projectiles (obstacles, then hits judged
 * against rewound positions) → deaths → respawns → history frame.
 */
import { resolveCircle, segmentHitsCircle, segmentHitsObstacle } from "./geometry.ts";
import { seedRng } from "../../../logic/rng.ts";
import type { GameEvent, Input, MapDef, PlayerSim, Tuning, Vec, World } from "./types.ts";

export interface NewPlayer {
  id: string;
  team: number;
  bot: boolean;
}

export function createWorld(options: { seed: number; friendlyFire: boolean; historyLength: number }): World {
  return {
    tick: 0,
    timeMs: 0,
    players: {},
    projectiles: [],
    nextProjectileId: 1,
    rng: seedRng(options.seed),
    friendlyFire: options.friendlyFire,
    history: [],
    historyLength: options.historyLength,
  };
}

/** Player ids in a stable order: iteration order must not depend on join order for determinism. */
export function playerIds(world: World): string[] {
  return Object.keys(world.players).sort();
}

function enemiesOf(world: World, team: number, exceptId: string): PlayerSim[] {
  return playerIds(world)
    .map((id) => world.players[id]!)
    .filter((p) => p.alive && p.id !== exceptId && (p.team !== team || world.friendlyFire));
}

/** The spawn point farthest from every living enemy (first in map order on ties). */
export function safestSpawn(world: World, map: MapDef, team: number, forId: string): Vec {
  const enemies = enemiesOf(world, team, forId);
  let best = map.spawns[0]!;
  let bestScore = Number.NEGATIVE_INFINITY;
  for (const spawn of map.spawns) {
    let nearest = Number.POSITIVE_INFINITY;
    for (const enemy of enemies) nearest = Math.min(nearest, Math.hypot(enemy.x - spawn.x, enemy.y - spawn.y));
    if (nearest > bestScore) {
      bestScore = nearest;
      best = spawn;
    }
  }
  return best;
}

export function addPlayer(world: World, player: NewPlayer, map: MapDef, tuning: Tuning): PlayerSim {
  const spawn = safestSpawn(world, map, player.team, player.id);
  const sim: PlayerSim = {
    id: player.id,
    team: player.team,
    bot: player.bot,
    x: spawn.x,
    y: spawn.y,
    vx: 0,
    vy: 0,
    angle: Math.atan2(map.height / 2 - spawn.y, map.width / 2 - spawn.x),
    hp: tuning.maxHp,
    alive: true,
    kills: 0,
    deaths: 0,
    fireCooldownMs: 0,
    respawnInMs: 0,
    ack: 0,
    viewDelayMs: 0,
  };
  world.players[player.id] = sim;
  return sim;
}

export function removePlayer(world: World, id: string): void {
  delete world.players[id];
}

function clamp(value: number, min: number, max: number): number {
  return Math.min(Math.max(value, min), max);
}

/** What the movement step reads and writes of a player: the server's PlayerSim and the client's prediction. */
export type MovingBody = Pick<PlayerSim, "x" | "y" | "vx" | "vy" | "angle">;

/**
 * The movement step of one player for one tick: the stick accelerates (a diagonal no faster than a straight line),
 * friction damps, speed is capped, obstacles push out (sliding along walls), bounds clamp. Without an input the
 * player coasts and keeps its aim. Pure: the server's `step` and the browser client's prediction both call it.
 */
export function movePlayer(
  player: MovingBody,
  input: Input | undefined,
  dtSec: number,
  tuning: Tuning,
  map: MapDef,
): void {
  let ax = 0;
  let ay = 0;
  if (input !== undefined) {
    // The stick is a direction with magnitude ≤ 1: a diagonal is no faster than a straight line.
    let mx = clamp(input.moveX, -1, 1);
    let my = clamp(input.moveY, -1, 1);
    const length = Math.hypot(mx, my);
    if (length > 1) {
      mx /= length;
      my /= length;
    }
    ax = mx * tuning.acceleration;
    ay = my * tuning.acceleration;
    player.angle = input.aim;
  }
  player.vx += ax * dtSec;
  player.vy += ay * dtSec;
  const damping = Math.exp(-tuning.friction * dtSec);
  player.vx *= damping;
  player.vy *= damping;
  const speed = Math.hypot(player.vx, player.vy);
  if (speed > tuning.maxSpeed) {
    player.vx *= tuning.maxSpeed / speed;
    player.vy *= tuning.maxSpeed / speed;
  }
  player.x += player.vx * dtSec;
  player.y += player.vy * dtSec;
  const r = tuning.playerRadius;
  for (const obstacle of map.obstacles) {
    const contact = resolveCircle(player.x, player.y, r, obstacle);
    if (contact === undefined) continue;
    player.x = contact.x;
    player.y = contact.y;
    // Remove the velocity component into the obstacle, so players slide along walls.
    const into = player.vx * contact.nx + player.vy * contact.ny;
    if (into < 0) {
      player.vx -= into * contact.nx;
      player.vy -= into * contact.ny;
    }
  }
  const x = clamp(player.x, r, map.width - r);
  const y = clamp(player.y, r, map.height - r);
  if (x !== player.x) player.vx = 0;
  if (y !== player.y) player.vy = 0;
  player.x = x;
  player.y = y;
}

function fire(world: World, player: PlayerSim, tuning: Tuning, dtMs: number, events: GameEvent[]): void {
  const muzzle = tuning.playerRadius + tuning.projectileRadius + 1;
  const cos = Math.cos(player.angle);
  const sin = Math.sin(player.angle);
  const id = world.nextProjectileId++;
  world.projectiles.push({
    id,
    owner: player.id,
    team: player.team,
    x: player.x + cos * muzzle,
    y: player.y + sin * muzzle,
    vx: cos * tuning.projectileSpeed,
    vy: sin * tuning.projectileSpeed,
    ageMs: 0,
    rewindTicks: Math.round(Math.min(player.viewDelayMs, tuning.maxRewindMs) / dtMs),
  });
  player.fireCooldownMs = tuning.fireCooldownMs;
  events.push({ type: "fired", owner: player.id, projectileId: id });
}

/** Where `target` was `ticksBack` ticks ago (its present position when the history is shorter). */
function rewound(world: World, target: PlayerSim, ticksBack: number): { x: number; y: number; alive: boolean } {
  if (ticksBack > 0) {
    const frame = world.history[world.history.length - ticksBack];
    const past = frame?.positions[target.id];
    if (past !== undefined) return past;
  }
  return target;
}

function moveProjectiles(world: World, dtMs: number, tuning: Tuning, map: MapDef, events: GameEvent[]): void {
  const dtSec = dtMs / 1000;
  const survivors = [];
  // In id order, once for every projectile of the tick: hits kill players but never add or remove one.
  const targets = playerIds(world).map((id) => world.players[id]!);
  for (const projectile of world.projectiles) {
    const x0 = projectile.x;
    const y0 = projectile.y;
    const x1 = x0 + projectile.vx * dtSec;
    const y1 = y0 + projectile.vy * dtSec;
    projectile.ageMs += dtMs;

    // The nearest thing along this tick's path wins: an obstacle in front shields a player behind it.
    let wallT: number | undefined;
    for (const obstacle of map.obstacles) {
      const t = segmentHitsObstacle(x0, y0, x1, y1, tuning.projectileRadius, obstacle);
      if (t !== undefined && (wallT === undefined || t < wallT)) wallT = t;
    }
    let hitT: number | undefined;
    let hit: PlayerSim | undefined;
    for (const target of targets) {
      if (target.id === projectile.owner || !target.alive) continue;
      if (!world.friendlyFire && target.team === projectile.team) continue;
      const seen = rewound(world, target, projectile.rewindTicks);
      if (!seen.alive) continue;
      const t = segmentHitsCircle(x0, y0, x1, y1, seen.x, seen.y, tuning.playerRadius + tuning.projectileRadius);
      if (t !== undefined && (hitT === undefined || t < hitT)) {
        hitT = t;
        hit = target;
      }
    }
    if (hit !== undefined && hitT !== undefined && (wallT === undefined || hitT <= wallT)) {
      events.push({
        type: "hit",
        owner: projectile.owner,
        target: hit.id,
        projectileId: projectile.id,
        damage: tuning.damage,
      });
      hit.hp = Math.max(0, hit.hp - tuning.damage);
      if (hit.hp === 0) {
        hit.alive = false;
        hit.deaths += 1;
        hit.respawnInMs = tuning.respawnDelayMs;
        hit.vx = 0;
        hit.vy = 0;
        const killer = world.players[projectile.owner];
        if (killer !== undefined) killer.kills += 1;
        events.push({ type: "kill", killer: projectile.owner, victim: hit.id });
      }
      continue;
    }
    if (wallT !== undefined || x1 < 0 || y1 < 0 || x1 > map.width || y1 > map.height) {
      events.push({ type: "blocked", projectileId: projectile.id });
      continue;
    }
    if (projectile.ageMs >= tuning.projectileLifetimeMs) continue;
    projectile.x = x1;
    projectile.y = y1;
    survivors.push(projectile);
  }
  world.projectiles = survivors;
}

/**
 * Advances the world by one fixed step. `inputs` holds at most one input per player for this tick; players without
 * one coast (friction only) and keep their aim. `allowFire` is false outside the active phase. `late` holds, per
 * player, inputs that arrived after their own tick (network jitter): each moves the player one step before this
 * tick's input, as the client predicted them; only this tick's input may fire. Players in `waiting` have no input
 * yet but one is on its way: they hold still instead of coasting.
 */
export function step(
  world: World,
  inputs: ReadonlyMap<string, Input>,
  dtMs: number,
  tuning: Tuning,
  map: MapDef,
  allowFire = true,
  late?: ReadonlyMap<string, readonly Input[]>,
  waiting?: ReadonlySet<string>,
): GameEvent[] {
  const events: GameEvent[] = [];
  const dtSec = dtMs / 1000;
  const ids = playerIds(world);

  for (const id of ids) {
    const player = world.players[id]!;
    const input = inputs.get(id);
    if (input !== undefined) player.ack = input.seq;
    if (!player.alive) continue;
    // A player whose input is late (`waiting`) holds still this tick: its client predicts one step per input, and a
    // coasting step here would be one the client never took; the input moves it when it arrives.
    if (input !== undefined || waiting?.has(id) !== true) {
      for (const lateInput of late?.get(id) ?? []) movePlayer(player, lateInput, dtSec, tuning, map);
      movePlayer(player, input, dtSec, tuning, map);
    }
    player.fireCooldownMs = Math.max(0, player.fireCooldownMs - dtMs);
    if (allowFire && input?.fire === true && player.fireCooldownMs === 0) fire(world, player, tuning, dtMs, events);
  }

  moveProjectiles(world, dtMs, tuning, map, events);

  for (const id of ids) {
    const player = world.players[id]!;
    if (player.alive) continue;
    player.respawnInMs -= dtMs;
    if (player.respawnInMs > 0) continue;
    const spawn = safestSpawn(world, map, player.team, player.id);
    Object.assign(player, { x: spawn.x, y: spawn.y, vx: 0, vy: 0, hp: tuning.maxHp, alive: true, respawnInMs: 0 });
    player.fireCooldownMs = 0;
    events.push({ type: "respawn", player: id, x: spawn.x, y: spawn.y });
  }

  world.tick += 1;
  world.timeMs += dtMs;
  const positions: Record<string, { x: number; y: number; alive: boolean }> = {};
  for (const id of ids) {
    const player = world.players[id]!;
    positions[id] = { x: player.x, y: player.y, alive: player.alive };
  }
  world.history.push({ tick: world.tick, positions });
  if (world.history.length > world.historyLength) world.history.shift();
  return events;
}
