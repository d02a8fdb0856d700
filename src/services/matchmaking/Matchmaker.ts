/**
 * The matchmaker service: tickets in, seats out. `process(now)` runs one pass over every pool whose lease this
 * process holds (or takes): list the live tickets, form matches (MatchmakerAlgorithm), claim each match's tickets
 * atomically under the lease, launch its arena, and deliver each player's seat on the presence channel of that
 * player, which the process holding the player's matchmaking connection listens to. A timer only calls
 * `process(Date.now())`; tests call it with their own clock.
 */
import type { Presence } from "@colyseus/core";
import type { Logger } from "../../logger.ts";
import type { ArenaLauncher, SeatReservation } from "../matches/ArenaLauncher.ts";
import { RegionFullError } from "../matches/RegionPlacement.ts";
import type { RosterEntry } from "../matches/MatchTicket.ts";
import type { PlayerStore } from "../stores/PlayerStore.ts";
import {
  type ExpansionSchedule,
  type FormedMatch,
  matchPool,
  type Mode,
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
}

/** What a searching player's channel carries: its seat, or why its formed match could not start (it stays queued). */
export type SeatDelivery =
  | { sessionId: string; seat: SeatReservation }
  | { refused: { region: string; message: string } };

/** What the matchmaker reports to the metrics. */
export interface MatchmakerObserver {
  matched(mode: Mode, region: string, waitedMs: readonly number[]): void;
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
    private readonly launcher: ArenaLauncher,
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
   * Builds the player's ticket from its stored rating (region: the requested one, else the player's) and queues it.
   * @throws UnknownRegionError, AlreadyQueuedError
   */
  async enqueue(
    player: { playerId: string; mode: Mode; region?: string; familyId?: string },
    now: number,
  ): Promise<Ticket> {
    const record = await this.players.findById(player.playerId);
    if (record === undefined) throw new Error(`unknown player ${player.playerId}`);
    const region = player.region ?? record.region;
    if (!this.options.regions.includes(region)) throw new UnknownRegionError(this.options.regions);
    // A player whose match was cancelled because others did not show up keeps its place in the queue.
    const since = await this.store.takeRememberedWait(record.id);
    const ticket: Ticket = {
      playerId: record.id,
      username: record.username,
      rating: record.rating,
      ratingDeviation: record.ratingDeviation,
      region,
      mode: player.mode,
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

  /** What a searching player is told: waited time, its current window, and its pool's size. */
  async status(ticket: Ticket, now: number): Promise<{ waitedMs: number; ratingWindow: number; queued: number }> {
    return {
      waitedMs: Math.max(0, now - ticket.enqueuedAt),
      ratingWindow: Math.round(ratingWindow(ticket, now, this.options.schedule)),
      queued: await this.store.size(poolKey(ticket.region, ticket.mode)),
    };
  }

  /** One pass over every pool this process may run. Passes never overlap within a process. */
  async process(now: number): Promise<FormedMatch[]> {
    if (this.running) return [];
    this.running = true;
    try {
      const formed: FormedMatch[] = [];
      for (const pool of await this.store.pools()) {
        const lease = await this.store.lease(pool, this.options.owner, this.options.leaseTtlMs, this.leases.get(pool));
        if (lease === undefined) {
          this.leases.delete(pool);
          continue;
        }
        this.leases.set(pool, lease);
        if ((this.restingUntil.get(pool) ?? 0) > now) continue;
        const tickets = await this.store.list(pool, now);
        for (const match of matchPool(tickets, now, this.options.schedule, this.options.botFillSec)) {
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
   * Teams: one per player in duel and ffa; in squad the balanced teams of the algorithm, or, when bots fill the
   * match, humans and then bots alternating between the two teams.
   */
  private roster(match: FormedMatch): RosterEntry[] {
    const squad = match.mode === "squad";
    const balanced = squad && match.bots === 0;
    const humans: RosterEntry[] = match.teams.flatMap((team, teamIndex) =>
      team.map((t) => ({
        playerId: t.playerId,
        username: t.username,
        team: teamIndex,
        bot: false,
        queuedSince: t.enqueuedAt,
        ...(t.familyId === undefined ? {} : { familyId: t.familyId }),
      })),
    );
    const seats = [
      ...humans,
      ...Array.from({ length: match.bots }, (_, i) => ({
        playerId: `bot:${i + 1}`,
        username: `bot ${i + 1}`,
        team: 0,
        bot: true,
      })),
    ];
    return seats.map((seat, i) => (balanced ? seat : { ...seat, team: squad ? i % 2 : i }));
  }

  /**
   * Launches the arena and delivers seats; on failure the players go back to the front of the queue. False when
   * the match's region has no room: its players are told, and the pool rests a moment.
   */
  private async launch(match: FormedMatch, now: number): Promise<boolean> {
    const tickets = match.teams.flat();
    try {
      const launched = await this.launcher.launch({
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
          mode: match.mode,
          region: match.region,
          players: tickets.length,
          bots: match.bots,
          spread: match.spread,
        },
        "match formed",
      );
      this.observer?.matched(
        match.mode,
        match.region,
        tickets.map((ticket) => now - ticket.enqueuedAt),
      );
      return true;
    } catch (error) {
      for (const ticket of tickets) await this.store.add(ticket, this.options.ticketTtlMs, now);
      if (!(error instanceof RegionFullError)) {
        this.log.error(
          { err: error, mode: match.mode, region: match.region },
          "could not start a match; requeueing its players",
        );
        return true;
      }
      this.log.warn(
        { mode: match.mode, region: match.region, reason: error.reason },
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
