/**
 * The matchmaker service: tickets in, seats out, for every registered game. A search names a game (default: the
 * default game) and one of its modes; the pools are per game × region × mode, so games never mix. `process(now)`
 * runs one pass over every pool whose lease this process holds (or takes): list the live tickets, form matches
 * with the pool's mode definition (MatchmakerAlgorithm), claim each match's tickets atomically under the lease,
 * launch the game's room, and deliver each player's seat on the presence channel of that player, which the process
 * holding the player's matchmaking connection listens to. A timer only calls `process(Date.now())`; tests call it
 * with their own clock.
 */
import type { Presence } from "@colyseus/core";
import type { Logger } from "../../logger.ts";
import { type GameDefinition, type GameRegistry, type ModeDefinition, ratingKey } from "../games/GameDefinition.ts";
import type { MatchLauncher, SeatReservation } from "../matches/MatchLauncher.ts";
import { RegionFullError } from "../matches/RegionPlacement.ts";
import type { RosterEntry } from "../matches/MatchTicket.ts";
import type { PlayerStore } from "../stores/PlayerStore.ts";
import {
  type ExpansionSchedule,
  type FormedMatch,
  matchPool,
  parsePoolKey,
  poolKey,
  ratingWindow,
  type Ticket,
} from "./MatchmakerAlgorithm.ts";
import type { TicketStore } from "./TicketStore.ts";
import { Periodic } from "../Periodic.ts";

export interface MatchmakerOptions {
  /** This process' id, used as the lease owner. */
  owner: string;
  /** Regions the matchmaker accepts (REGIONS). */
  regions: readonly string[];
  schedule: ExpansionSchedule;
  /** 0 disables bot fill. */
  botFillSec: number;
  /** How long a ticket lives without a heartbeat from its holder. */
  ticketTtlMs: number;
  /** How long a pool lease lasts without renewal. */
  leaseTtlMs: number;
  /** The games searched for: their modes give each pool its seats, teams and bot fill. */
  games: GameRegistry;
  /** A player's rating under a rating key (see GameDefinition's ratingKey): a ticket carries the searched game's. */
  ratingOf: RatingOf;
}

/** A player's rating and deviation under a rating key; a player never rated under it has the initial rating. */
export type RatingOf = (playerId: string, key: string) => Promise<{ rating: number; ratingDeviation: number }>;

/** What a searching player's channel carries: its seat, or why its formed match could not start (it stays queued). */
export type SeatDelivery =
  | { sessionId: string; seat: SeatReservation }
  | { refused: { region: string; message: string } };

/** What the matchmaker reports to the metrics. */
export interface MatchmakerObserver {
  matched(game: string, mode: string, region: string, waitedMs: readonly number[]): void;
  refused(region: string, reason: RegionFullError["reason"]): void;
}

/** How long a pool whose region had no room waits before forming matches again. */
export const REGION_FULL_BACKOFF_MS = 2_000;

/** How long a cancelled match's players keep their place in the queue. */
export const REMEMBER_WAIT_MS = 60_000;

/** Presence channel on which a player's seat is delivered. */
export function seatChannel(playerId: string): string {
  return `arena:mm:seat:${playerId}`;
}

export class UnknownRegionError extends Error {
  constructor(readonly regions: readonly string[]) {
    super(`region must be one of ${regions.join(", ")}`);
    this.name = "UnknownRegionError";
  }
}

/** A search for a game that is not registered, or a mode its game does not have. `field` names the option at fault. */
export class UnknownSearchError extends Error {
  constructor(
    readonly field: "game" | "mode",
    message: string,
  ) {
    super(message);
    this.name = "UnknownSearchError";
  }
}

/**
 * The game and mode a search is for; a search without `game` is for the default game (clients written before
 * games were plug-ins send none). Run at the HTTP step by the matchmaking room and again by `enqueue`.
 * @throws UnknownSearchError
 */
export function searchedFor(
  games: GameRegistry,
  search: { game?: string | undefined; mode: string },
): { game: GameDefinition; mode: ModeDefinition } {
  const game = search.game === undefined ? games.defaultGame : games.get(search.game);
  if (game === undefined) {
    const ids = games.list().map((g) => g.id);
    throw new UnknownSearchError("game", `game: must be one of ${ids.join(", ")}`);
  }
  const mode = game.modes.find((m) => m.id === search.mode);
  if (mode === undefined) {
    const ids = game.modes.map((m) => m.id);
    throw new UnknownSearchError("mode", `mode: ${game.id} has the modes ${ids.join(", ")}`);
  }
  return { game, mode };
}

export class AlreadyQueuedError extends Error {
  constructor() {
    super("this player is already searching for a match");
    this.name = "AlreadyQueuedError";
  }
}

export class Matchmaker {
  /** Leases this process holds, by pool. */
  private readonly leases = new Map<string, string>();
  /** Pools whose region was full, until when they rest. */
  private readonly restingUntil = new Map<string, number>();
  private running = false;
  private readonly periodic = new Periodic(
    () => this.process(Date.now()),
    (error: unknown) => this.log.warn({ err: error }, "matchmaking pass failed"),
  );

  constructor(
    private readonly store: TicketStore,
    private readonly launcher: MatchLauncher,
    private readonly presence: Presence,
    private readonly players: PlayerStore,
    private readonly options: MatchmakerOptions,
    private readonly log: Logger,
    private readonly observer?: MatchmakerObserver,
  ) {}

  /** Runs `process(Date.now())` every `intervalMs`; a failed pass is logged and the next one retries. */
  start(intervalMs: number): void {
    this.periodic.start(intervalMs);
  }

  stop(): void {
    this.periodic.stop();
  }

  /**
   * Builds the player's ticket for the game (default: the default game) and mode searched, with its rating under
   * that game's rating key (region: the requested one, else the player's), and queues it.
   * @throws UnknownSearchError, UnknownRegionError, AlreadyQueuedError
   */
  async enqueue(
    player: {
      playerId: string;
      game?: string | undefined;
      mode: string;
      region?: string | undefined;
      familyId?: string | undefined;
    },
    now: number,
  ): Promise<Ticket> {
    const { game, mode } = searchedFor(this.options.games, player);
    const record = await this.players.findById(player.playerId);
    if (record === undefined) throw new Error(`unknown player ${player.playerId}`);
    const region = player.region ?? record.region;
    if (!this.options.regions.includes(region)) throw new UnknownRegionError(this.options.regions);
    const { rating, ratingDeviation } = await this.options.ratingOf(record.id, ratingKey(game, mode.id));
    // A player whose match was cancelled because others did not show up keeps its place in the queue.
    const since = await this.store.takeRememberedWait(record.id);
    const ticket: Ticket = {
      playerId: record.id,
      username: record.username,
      rating,
      ratingDeviation,
      game: game.id,
      region,
      mode: mode.id,
      enqueuedAt: since !== undefined && since < now ? since : now,
      ...(player.familyId === undefined ? {} : { familyId: player.familyId }),
    };
    if (!(await this.store.add(ticket, this.options.ticketTtlMs, now))) throw new AlreadyQueuedError();
    return ticket;
  }

  /** Keeps the waiting start of players whose match was cancelled, for their next search (within a minute). */
  async rememberWait(players: ReadonlyArray<{ playerId: string; since: number }>): Promise<void> {
    for (const player of players) await this.store.rememberWait(player.playerId, player.since, REMEMBER_WAIT_MS);
  }

  cancel(playerId: string): Promise<boolean> {
    return this.store.cancel(playerId);
  }

  /**
   * Keeps the tickets of connected players alive, and queues again those whose tickets were lost (Redis restarted
   * empty or was unreachable past the TTL, or a matchmaker died between claim and seat): their search goes on, with
   * the waiting time they had.
   */
  async heartbeat(tickets: readonly Ticket[], now: number): Promise<void> {
    const lost = new Set(
      await this.store.touch(
        tickets.map((ticket) => ticket.playerId),
        this.options.ticketTtlMs,
        now,
      ),
    );
    if (lost.size === 0) return;
    let requeued = 0;
    for (const ticket of tickets) {
      if (lost.has(ticket.playerId) && (await this.store.add(ticket, this.options.ticketTtlMs, now))) requeued += 1;
    }
    this.log.info({ players: requeued }, "searching players whose tickets were lost are queued again");
  }

  /** The widening schedule of a game's mode: the server's, with the fields the mode sets replaced. */
  private scheduleOf(gameId: string, modeId: string): ExpansionSchedule {
    return { ...this.options.schedule, ...this.options.games.mode(gameId, modeId)?.schedule };
  }

  /** What a searching player is told: waited time, its current window, and its pool's size. */
  async status(ticket: Ticket, now: number): Promise<{ waitedMs: number; ratingWindow: number; queued: number }> {
    return {
      waitedMs: Math.max(0, now - ticket.enqueuedAt),
      ratingWindow: Math.round(ratingWindow(ticket, now, this.scheduleOf(ticket.game, ticket.mode))),
      queued: await this.store.size(poolKey(ticket.game, ticket.region, ticket.mode)),
    };
  }

  /** One pass over every pool this process may run. Passes never overlap within a process. */
  async process(now: number): Promise<FormedMatch[]> {
    if (this.running) return [];
    this.running = true;
    try {
      const formed: FormedMatch[] = [];
      for (const pool of await this.store.pools()) {
        const mode = this.modeOf(pool);
        if (mode === undefined) continue;
        const lease = await this.store.lease(pool, this.options.owner, this.options.leaseTtlMs, this.leases.get(pool));
        if (lease === undefined) {
          this.leases.delete(pool);
          continue;
        }
        this.leases.set(pool, lease);
        if ((this.restingUntil.get(pool) ?? 0) > now) continue;
        const tickets = await this.store.list(pool, now);
        const schedule = { ...this.options.schedule, ...mode.schedule };
        for (const match of matchPool(tickets, mode, now, schedule, this.options.botFillSec)) {
          const ids = match.teams.flat().map((t) => t.playerId);
          const claim = await this.store.claim(pool, ids, lease);
          if (claim === "fenced") {
            this.leases.delete(pool);
            break;
          }
          if (claim === "missing") continue; // someone cancelled meanwhile: the others stay queued
          if (await this.launch(match, now)) {
            formed.push(match);
          } else {
            this.restingUntil.set(pool, now + REGION_FULL_BACKOFF_MS);
            break;
          }
        }
      }
      return formed;
    } finally {
      this.running = false;
    }
  }

  /**
   * The mode of a pool, or undefined for a pool of no registered game and mode (a game removed while its players
   * searched, or a pool key of an older layout): such a pool is left alone and its tickets expire.
   */
  private modeOf(pool: string): ModeDefinition | undefined {
    const key = parsePoolKey(pool);
    return key === undefined ? undefined : this.options.games.mode(key.game, key.mode);
  }

  /** The match's seats in order, with their teams as the algorithm formed them; bots are `bot:1`, `bot:2`… */
  private roster(match: FormedMatch): RosterEntry[] {
    let bots = 0;
    return match.seats.map(({ ticket, team }): RosterEntry => {
      if (ticket === undefined) {
        bots += 1;
        return { playerId: `bot:${bots}`, username: `bot ${bots}`, team, bot: true };
      }
      return {
        playerId: ticket.playerId,
        username: ticket.username,
        team,
        bot: false,
        queuedSince: ticket.enqueuedAt,
        ...(ticket.familyId === undefined ? {} : { familyId: ticket.familyId }),
      };
    });
  }

  /**
   * Launches the game's room and delivers seats; on failure the players go back to the front of the queue. False when
   * the match's region has no room: its players are told, and the pool rests a moment.
   */
  private async launch(match: FormedMatch, now: number): Promise<boolean> {
    const tickets = match.teams.flat();
    try {
      const launched = await this.launcher.launch({
        game: match.game,
        mode: match.mode,
        region: match.region,
        roster: this.roster(match),
      });
      for (const ticket of tickets) {
        const seat = launched.seats.get(ticket.playerId);
        if (seat !== undefined) {
          await this.presence.publish(seatChannel(ticket.playerId), {
            sessionId: launched.sessionId,
            seat,
          } satisfies SeatDelivery);
        }
      }
      this.log.info(
        {
          sessionId: launched.sessionId,
          game: match.game,
          mode: match.mode,
          region: match.region,
          players: tickets.length,
          bots: match.bots,
          spread: match.spread,
        },
        "match formed",
      );
      this.observer?.matched(
        match.game,
        match.mode,
        match.region,
        tickets.map((ticket) => now - ticket.enqueuedAt),
      );
      return true;
    } catch (error) {
      for (const ticket of tickets) await this.store.add(ticket, this.options.ticketTtlMs, now);
      if (!(error instanceof RegionFullError)) {
        this.log.error(
          { err: error, game: match.game, mode: match.mode, region: match.region },
          "could not start a match; requeueing its players",
        );
        return true;
      }
      this.log.warn(
        { game: match.game, mode: match.mode, region: match.region, reason: error.reason },
        "no server of the region can host the match; its players stay queued",
      );
      this.observer?.refused(match.region, error.reason);
      for (const ticket of tickets) {
        await this.presence.publish(seatChannel(ticket.playerId), {
          refused: { region: match.region, message: error.message },
        } satisfies SeatDelivery);
      }
      return false;
    }
  }
}
