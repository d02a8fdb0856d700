/** Plain data of the game world. No classes, no schema: logic reads and writes these; rooms copy them out. */
import type { RngState } from "../../../logic/rng.ts";

export interface Vec {
  x: number;
  y: number;
}

export type Obstacle =
  | { kind: "rect"; x: number; y: number; w: number; h: number }
  | { kind: "circle"; x: number; y: number; r: number };

/** A map as data: bounds [0, width] × [0, height], static obstacles, spawn points. */
export interface MapDef {
  id: string;
  width: number;
  height: number;
  obstacles: readonly Obstacle[];
  spawns: readonly Vec[];
}

/** Every tuning constant, with its unit in the name or the comment. Distances are world units (u). */
export interface Tuning {
  playerRadius: number;
  /** u/s² applied at full stick. */
  acceleration: number;
  /** Fraction of velocity lost per second (exponential damping rate, 1/s). */
  friction: number;
  /** u/s */
  maxSpeed: number;
  maxHp: number;
  fireCooldownMs: number;
  /** u/s */
  projectileSpeed: number;
  projectileLifetimeMs: number;
  projectileRadius: number;
  damage: number;
  respawnDelayMs: number;
  /** How far back a shot may be judged (lag compensation window). */
  maxRewindMs: number;
}

/** One tick's command of one player. moveX/moveY ∈ [-1, 1] (the stick), aim in radians. */
export interface Input {
  seq: number;
  moveX: number;
  moveY: number;
  aim: number;
  fire: boolean;
}

export interface PlayerSim {
  id: string;
  team: number;
  bot: boolean;
  x: number;
  y: number;
  vx: number;
  vy: number;
  angle: number;
  hp: number;
  alive: boolean;
  kills: number;
  deaths: number;
  /** Remaining cooldown before the next shot. */
  fireCooldownMs: number;
  /** Remaining time dead before respawn (when !alive). */
  respawnInMs: number;
  /** The last input seq applied. */
  ack: number;
  /** How far behind the present this player sees others (interpolation + half RTT), for lag compensation. */
  viewDelayMs: number;
}

export interface Projectile {
  id: number;
  owner: string;
  team: number;
  x: number;
  y: number;
  vx: number;
  vy: number;
  ageMs: number;
  /** Ticks back in history at which targets are judged for this shot. */
  rewindTicks: number;
}

/** Positions of every player at one past tick, for lag compensation. */
export interface HistoryFrame {
  tick: number;
  positions: Record<string, { x: number; y: number; alive: boolean }>;
}

export interface World {
  tick: number;
  timeMs: number;
  /** Players by id; logic iterates them in sorted-id order for determinism. */
  players: Record<string, PlayerSim>;
  projectiles: Projectile[];
  nextProjectileId: number;
  rng: RngState;
  /** Whether teammates can hurt each other (false in squad). */
  friendlyFire: boolean;
  /** Newest last; at most `historyLength` frames. */
  history: HistoryFrame[];
  historyLength: number;
}

export type GameEvent =
  | { type: "fired"; owner: string; projectileId: number }
  | { type: "hit"; owner: string; target: string; projectileId: number; damage: number }
  | { type: "kill"; killer: string; victim: string }
  | { type: "respawn"; player: string; x: number; y: number }
  | { type: "blocked"; projectileId: number };
