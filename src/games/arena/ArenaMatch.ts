/**
 * The arena's game session without the room: the pure world, phase clock, bots and the copy into schema state.
 * The room owns one and calls `tick()`; everything here is driven by the fixed step, never by wall time.
 */
import { type BotBrain, botInput, createBrain } from "./logic/bots.ts";
import {
  advancePhase,
  type MatchClock,
  type Mode,
  MODES,
  type PhaseTiming,
  placements,
  timeLeftMs,
} from "./logic/match.ts";
import { addPlayer, createWorld, step } from "./logic/simulation.ts";
import type { GameEvent, Input, MapDef, Tuning, World } from "./logic/types.ts";
import { PlayerState, ProjectileState, type ArenaState } from "./ArenaState.ts";
import type { MatchResult } from "../../services/matches/MatchResults.ts";
import type { MatchSpec, RosterEntry } from "../../services/matches/MatchTicket.ts";
import type { TakenInputs } from "./InputQueue.ts";

/**
 * Everything needed to continue a match exactly: the pure world (positions, cooldowns, RNG state, history), the
 * phase clock, seats and bot brains. JSON-serialisable; `format` versions it.
 */
export interface MatchSnapshot {
  format: 1;
  spec: MatchSpec;
  world: World;
  clock: MatchClock;
  seats: Seat[];
  brains: Array<[string, BotBrain]>;
  startedAtTick: number;
  endedAtTick: number;
  cancelled: boolean;
}

export interface Seat {
  /** Key in state.players and in the world: the client's sessionId, or `bot:<n>`. */
  key: string;
  entry: RosterEntry;
}

/** The largest coordinate the state's int16 positions carry. */
const MAX_WIRE_COORDINATE = 32_767;

export class ArenaMatch {
  readonly world: World;
  readonly clock: MatchClock = { phase: "waiting", phaseStartedMs: 0 };
  readonly seats = new Map<string, Seat>();
  private readonly brains = new Map<string, BotBrain>();
  private startedAtTick = 0;
  private endedAtTick = 0;
  /** Set when the wait ended with too few players: the match is off and produces no result. */
  cancelled = false;

  constructor(
    readonly spec: MatchSpec,
    private readonly state: ArenaState,
    private readonly map: MapDef,
    private readonly tuning: Tuning,
    private readonly timing: PhaseTiming,
    private readonly tickMs: number,
  ) {
    if (map.width > MAX_WIRE_COORDINATE || map.height > MAX_WIRE_COORDINATE) {
      throw new RangeError(
        `map ${map.id} is ${map.width} × ${map.height} u: the state carries positions up to ${MAX_WIRE_COORDINATE}`,
      );
    }
    const historyLength = Math.ceil(tuning.maxRewindMs / tickMs) + 1;
    this.world = createWorld({ seed: spec.seed, friendlyFire: MODES[spec.mode as Mode].friendlyFire, historyLength });
    state.mode = spec.mode;
    state.mapId = map.id;
  }

  /** Seats a participant (human on join, or bot) in the world and the state. */
  seat(key: string, entry: RosterEntry): PlayerState {
    const sim = addPlayer(this.world, { id: key, team: entry.team, bot: entry.bot }, this.map, this.tuning);
    const player = new PlayerState();
    player.playerId = entry.playerId;
    player.username = entry.username;
    player.team = entry.team;
    player.bot = entry.bot;
    player.hp = sim.hp;
    this.state.players.set(key, player);
    this.seats.set(key, { key, entry });
    if (entry.bot) this.brains.set(key, createBrain(this.world, this.tickMs));
    this.copyPlayer(key);
    return player;
  }

  /**
   * After the wait timeout: true when enough players took their seats to play (at least two, on at least two
   * teams). The seats nobody took are dropped from the match.
   */
  private enoughArrived(): boolean {
    const seated = [...this.seats.values()];
    return seated.length >= 2 && new Set(seated.map((seat) => seat.entry.team)).size >= 2;
  }

  /** Humans whose seats were reserved but who never joined. */
  get noShows(): RosterEntry[] {
    const seated = new Set([...this.seats.values()].map((seat) => seat.entry.playerId));
    return this.spec.roster.filter((entry) => !entry.bot && !seated.has(entry.playerId));
  }

  /** The roster entry of `playerId` if the player belongs here and is not seated yet. */
  reservedEntry(playerId: string): RosterEntry | undefined {
    const seated = [...this.seats.values()].some((seat) => seat.entry.playerId === playerId);
    return seated ? undefined : this.spec.roster.find((entry) => entry.playerId === playerId && !entry.bot);
  }

  /** The seat key of a seated human player. */
  seatOf(playerId: string): string | undefined {
    return [...this.seats.values()].find((seat) => seat.entry.playerId === playerId && !seat.entry.bot)?.key;
  }

  /**
   * Moves a seated player to a new seat key (a new connection taking over the player after a rejoin): its world
   * entry, history and schema entry keep everything but the key.
   */
  reseat(oldKey: string, newKey: string): void {
    const seat = this.seats.get(oldKey);
    const sim = this.world.players[oldKey];
    const player = this.state.players.get(oldKey);
    if (seat === undefined || sim === undefined || player === undefined) throw new Error(`no seat ${oldKey}`);
    delete this.world.players[oldKey];
    this.world.players[newKey] = { ...sim, id: newKey };
    for (const projectile of this.world.projectiles) if (projectile.owner === oldKey) projectile.owner = newKey;
    for (const frame of this.world.history) {
      const position = frame.positions[oldKey];
      if (position === undefined) continue;
      delete frame.positions[oldKey];
      frame.positions[newKey] = position;
    }
    this.seats.delete(oldKey);
    this.seats.set(newKey, { key: newKey, entry: seat.entry });
    const moved = new PlayerState();
    Object.assign(moved, { playerId: player.playerId, username: player.username, team: player.team, bot: player.bot });
    this.state.players.delete(oldKey);
    this.state.players.set(newKey, moved);
    this.copyPlayer(newKey);
  }

  get allSeated(): boolean {
    return this.seats.size >= this.spec.roster.length;
  }

  setViewDelay(key: string, viewDelayMs: number): void {
    const sim = this.world.players[key];
    if (sim !== undefined) sim.viewDelayMs = viewDelayMs;
  }

  /** One fixed step: inputs (humans from `inputOf`, bots from their brains), simulation, phases, state copy. */
  tick(inputOf: (key: string) => Input | TakenInputs | "late" | undefined): {
    events: GameEvent[];
    /** The match went active in this tick. */
    started: boolean;
    ended: boolean;
    removedProjectiles: string[];
  } {
    const inputs = new Map<string, Input>();
    const late = new Map<string, readonly Input[]>();
    const waiting = new Set<string>();
    for (const key of this.seats.keys()) {
      const brain = this.brains.get(key);
      const taken =
        brain !== undefined && this.world.players[key]?.alive
          ? botInput(this.world, key, brain, this.tuning, this.map, this.tickMs)
          : inputOf(key);
      if (taken === undefined) continue;
      if (taken === "late") {
        waiting.add(key);
      } else if ("input" in taken) {
        inputs.set(key, taken.input);
        if (taken.late.length > 0) late.set(key, taken.late);
      } else {
        inputs.set(key, taken);
      }
    }
    const active = this.clock.phase === "active";
    const events = step(this.world, inputs, this.tickMs, this.tuning, this.map, active, late, waiting);

    const change = advancePhase(this.clock, this.world.timeMs, this.allSeated, this.timing);
    if (change?.reason === "wait-timeout" && !this.enoughArrived()) {
      this.cancelled = true;
      this.clock.phase = "ended";
    }
    if (change?.to === "active") this.startedAtTick = this.world.tick;
    if (change?.to === "ended") this.endedAtTick = this.world.tick;

    this.state.tick = this.world.tick;
    this.state.phase = this.clock.phase;
    this.state.timeLeftMs = displayedTimeLeftMs(timeLeftMs(this.clock, this.world.timeMs, this.timing));
    for (const key of this.seats.keys()) this.copyPlayer(key);
    const removedProjectiles = this.copyProjectiles();
    return {
      events,
      started: change?.to === "active",
      ended: this.clock.phase === "ended" && change !== undefined,
      removedProjectiles,
    };
  }

  private copyPlayer(key: string): void {
    const sim = this.world.players[key];
    const player = this.state.players.get(key);
    if (sim === undefined || player === undefined) return;
    player.x = Math.round(sim.x);
    player.y = Math.round(sim.y);
    player.angle = sim.angle;
    player.hp = sim.hp;
    player.kills = sim.kills;
    player.deaths = sim.deaths;
    player.alive = sim.alive;
    player.ack = sim.ack;
  }

  private copyProjectiles(): string[] {
    const live = new Set<string>();
    for (const projectile of this.world.projectiles) {
      const key = String(projectile.id);
      live.add(key);
      let entry = this.state.projectiles.get(key);
      if (entry === undefined) {
        entry = new ProjectileState();
        entry.owner = projectile.owner;
        entry.vx = projectile.vx;
        entry.vy = projectile.vy;
        this.state.projectiles.set(key, entry);
      }
      entry.x = Math.round(projectile.x);
      entry.y = Math.round(projectile.y);
    }
    const removed: string[] = [];
    this.state.projectiles.forEach((_, key) => {
      if (!live.has(key)) removed.push(key);
    });
    for (const key of removed) this.state.projectiles.delete(key);
    return removed;
  }

  snapshot(): MatchSnapshot {
    return structuredClone({
      format: 1 as const,
      spec: this.spec,
      world: this.world,
      clock: this.clock,
      seats: [...this.seats.values()],
      brains: [...this.brains.entries()],
      startedAtTick: this.startedAtTick,
      endedAtTick: this.endedAtTick,
      cancelled: this.cancelled,
    });
  }

  /** Returns the match to `snapshot` (same session): world, phase, seats and bots, and the schema state with them. */
  restore(snapshot: MatchSnapshot): { removedProjectiles: string[] } {
    const copy = structuredClone(snapshot);
    Object.assign(this.world, copy.world);
    Object.assign(this.clock, copy.clock);
    this.startedAtTick = copy.startedAtTick;
    this.endedAtTick = copy.endedAtTick;
    this.cancelled = copy.cancelled;
    this.brains.clear();
    for (const [key, brain] of copy.brains) this.brains.set(key, brain);
    const keep = new Set(copy.seats.map((seat) => seat.key));
    for (const key of [...this.seats.keys()]) {
      if (keep.has(key)) continue;
      this.seats.delete(key);
      this.state.players.delete(key);
    }
    for (const seat of copy.seats) {
      this.seats.set(seat.key, seat);
      if (!this.state.players.has(seat.key)) {
        const player = new PlayerState();
        Object.assign(player, {
          playerId: seat.entry.playerId,
          username: seat.entry.username,
          team: seat.entry.team,
          bot: seat.entry.bot,
        });
        this.state.players.set(seat.key, player);
      }
      this.copyPlayer(seat.key);
    }
    this.state.tick = this.world.tick;
    this.state.phase = this.clock.phase;
    this.state.timeLeftMs = displayedTimeLeftMs(timeLeftMs(this.clock, this.world.timeMs, this.timing));
    return { removedProjectiles: this.copyProjectiles() };
  }

  /** The result of the finished match. `startedAt`/`endedAt` are epoch ms derived from `epochAtTickZero`. */
  result(epochAtTickZero: number): MatchResult {
    const standings = [...this.seats.values()].map(({ key, entry }) => {
      const sim = this.world.players[key]!;
      return { id: key, team: entry.team, kills: sim.kills, deaths: sim.deaths };
    });
    const placed = placements(standings, MODES[this.spec.mode as Mode].teams);
    const players = [...this.seats.values()].map(({ key, entry }) => ({
      playerId: entry.playerId,
      username: entry.username,
      team: entry.team,
      bot: entry.bot,
      placement: placed.get(key)!,
      kills: this.world.players[key]!.kills,
      deaths: this.world.players[key]!.deaths,
    }));
    return {
      sessionId: this.spec.sessionId,
      mode: this.spec.mode,
      region: this.spec.region,
      seed: this.spec.seed,
      durationMs: Math.round((this.endedAtTick - this.startedAtTick) * this.tickMs),
      startedAt: Math.round(epochAtTickZero + this.startedAtTick * this.tickMs),
      endedAt: Math.round(epochAtTickZero + this.endedAtTick * this.tickMs),
      rated: players.every((p) => !p.bot),
      players: players.sort((a, b) => a.placement - b.placement || b.kills - a.kills),
    };
  }
}

/**
 * The phase clock as the state carries it: rounded up to the whole second, so it changes once a second instead of
 * in every patch (a client shows seconds; `tick` is the precise time).
 */
export function displayedTimeLeftMs(ms: number): number {
  return Math.ceil(ms / 1000) * 1000;
}
