/**
 * Server-side bots, pure: chase the nearest visible enemy, aim at where it was a reaction time ago, strafe
 * sideways, steer around what they bump into, and fire only with a clear line of sight. Randomness from the world.
 */
import { hasLineOfSight, isFree } from "./geometry.ts";
import { nextFloat, nextRange } from "../../../logic/rng.ts";
import { playerIds } from "./simulation.ts";
import type { Input, MapDef, Tuning, World } from "./types.ts";

export interface BotBrain {
  /** How old the position it aims at is, in history frames (its reaction time). */
  reactionTicks: number;
  strafe: -1 | 1;
  strafeLeftMs: number;
  /** Aim error, radians, redrawn with each strafe change. */
  aimError: number;
  seq: number;
  /** Preferred fighting distance, u. */
  range: number;
}

export function createBrain(world: World, tickMs: number): BotBrain {
  return {
    reactionTicks: Math.max(1, Math.round(nextRange(world.rng, 180, 320) / tickMs)),
    strafe: nextFloat(world.rng) < 0.5 ? -1 : 1,
    strafeLeftMs: nextRange(world.rng, 400, 1200),
    aimError: nextRange(world.rng, -0.08, 0.08),
    seq: 0,
    range: nextRange(world.rng, 250, 450),
  };
}

/** This tick's input for bot `id`. */
export function botInput(
  world: World,
  id: string,
  brain: BotBrain,
  tuning: Tuning,
  map: MapDef,
  tickMs: number,
): Input {
  const self = world.players[id]!;
  brain.seq += 1;
  brain.strafeLeftMs -= tickMs;
  if (brain.strafeLeftMs <= 0) {
    brain.strafe = brain.strafe === 1 ? -1 : 1;
    brain.strafeLeftMs = nextRange(world.rng, 400, 1200);
    brain.aimError = nextRange(world.rng, -0.08, 0.08);
  }

  let target: { x: number; y: number } | undefined;
  let targetDistance = Number.POSITIVE_INFINITY;
  let visible = false;
  for (const otherId of playerIds(world)) {
    const other = world.players[otherId]!;
    if (otherId === id || !other.alive || (other.team === self.team && !world.friendlyFire)) continue;
    // What the bot "saw": the enemy as it was reactionTicks ago.
    const frame = world.history[world.history.length - brain.reactionTicks];
    const seen = frame?.positions[otherId] ?? other;
    const distance = Math.hypot(seen.x - self.x, seen.y - self.y);
    const inSight = hasLineOfSight(map, self.x, self.y, seen.x, seen.y);
    // Prefer enemies in sight; among equals, the nearest.
    if ((inSight && !visible) || (inSight === visible && distance < targetDistance)) {
      target = seen;
      targetDistance = distance;
      visible = inSight;
    }
  }
  if (target === undefined) return { seq: brain.seq, moveX: 0, moveY: 0, aim: self.angle, fire: false };

  const toward = Math.atan2(target.y - self.y, target.x - self.x);
  // Close in when far, back off when too near, and always strafe around the target.
  const radial = targetDistance > brain.range ? 1 : targetDistance < brain.range * 0.6 ? -1 : 0;
  let moveX = Math.cos(toward) * radial + Math.cos(toward + Math.PI / 2) * brain.strafe * 0.7;
  let moveY = Math.sin(toward) * radial + Math.sin(toward + Math.PI / 2) * brain.strafe * 0.7;
  // Look ahead; if the way is blocked, strafe the other way next tick.
  const lookAhead = tuning.playerRadius * 2.5;
  const length = Math.hypot(moveX, moveY) || 1;
  if (!isFree(map, self.x + (moveX / length) * lookAhead, self.y + (moveY / length) * lookAhead, tuning.playerRadius)) {
    brain.strafe = brain.strafe === 1 ? -1 : 1;
    moveX = Math.cos(toward + Math.PI / 2) * brain.strafe;
    moveY = Math.sin(toward + Math.PI / 2) * brain.strafe;
  }
  const fire = visible && targetDistance < tuning.projectileSpeed * (tuning.projectileLifetimeMs / 1000) * 0.8;
  return { seq: brain.seq, moveX, moveY, aim: toward + brain.aimError, fire };
}
