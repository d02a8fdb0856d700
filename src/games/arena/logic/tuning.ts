import type { Tuning } from "./types.ts";

/** The default tuning (docs/GAME.md explains each value). */
export const DEFAULT_TUNING: Tuning = {
  playerRadius: 20,
  acceleration: 2400,
  friction: 8,
  maxSpeed: 300,
  maxHp: 100,
  fireCooldownMs: 250,
  projectileSpeed: 900,
  projectileLifetimeMs: 1200,
  projectileRadius: 4,
  damage: 25,
  respawnDelayMs: 3000,
  maxRewindMs: 250,
};
