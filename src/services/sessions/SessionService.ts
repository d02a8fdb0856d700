/**
 * Game session records (the seed's Game_Sessions): one per match of any game, waiting → active → ended, with its server, region
 * and players, and each player's current session while it plays. Rooms report their lifecycle here; writes are
 * off the tick (the room does not wait for them) and a failed write is logged, never fatal to the match. The end
 * of a match is the one write that must land: a session left live would look orphaned once its room is gone, and
 * recovery would restart a finished match. A failed end is kept and retried (`process`) until it lands.
 */
import { matchMaker } from "@colyseus/core";
import { AppError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import { TimeoutError, withTimeout } from "../db/Database.ts";
import { ErrorCode } from "../../protocol.ts";
import { callMatchRoom } from "../matches/MatchRoomRemote.ts";
import type { MatchSpec } from "../matches/MatchTicket.ts";
import type { GameSessionStore, SessionQuery, SessionRecord, SnapshotRecord } from "../stores/GameSessionStore.ts";
import type { PlayerStore } from "../stores/PlayerStore.ts";
import { Periodic } from "../Periodic.ts";

/** How long a match's lease lasts without renewal; rooms renew every second. */
export const SESSION_LEASE_MS = 3_000;

export class SessionService {
  /** Ends of this process' matches whose write has not landed yet (the database was away), by session id. */
  private readonly pendingEnds = new Map<string, { playerIds: readonly string[]; at: Date }>();
  private readonly periodic = new Periodic(
    () => this.process(),
    (error: unknown) => this.log.debug({ err: error }, "session ends not written yet"),
  );
  private retrying = false;

  constructor(
    private readonly sessions: GameSessionStore,
    private readonly players: PlayerStore,
    private readonly log: Logger,
  ) {}

  private async attempt(what: string, sessionId: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.log.warn({ err: error, sessionId }, `could not record session ${what}`);
    }
  }

  /** Records a new match of `gameId` (its room name) on `serverId`, with its lease. */
  opened(spec: MatchSpec, serverId: string, gameId: string): Promise<void> {
    return this.attempt("creation", spec.sessionId, () =>
      this.sessions.create({
        id: spec.sessionId,
        gameType: gameId,
        mode: spec.mode,
        region: spec.region,
        serverId,
        leaseUntil: new Date(Date.now() + SESSION_LEASE_MS),
        players: spec.roster.map((entry) => ({
          playerId: entry.playerId,
          username: entry.username,
          team: entry.team,
          bot: entry.bot,
        })),
      }),
    );
  }

  joined(sessionId: string, playerId: string): Promise<void> {
    return this.attempt("join", sessionId, () => this.players.setCurrentSession([playerId], sessionId));
  }

  started(sessionId: string, at: Date): Promise<void> {
    return this.attempt("start", sessionId, () => this.sessions.markActive(sessionId, at));
  }

  /**
   * Marks the session ended and clears the current session of its players; when the database is away the end is
   * kept and retried by `process` until it lands.
   */
  async ended(sessionId: string, playerIds: readonly string[], at: Date): Promise<void> {
    this.pendingEnds.set(sessionId, { playerIds, at });
    try {
      await this.writeEnd(sessionId);
    } catch (error) {
      this.log.warn({ err: error, sessionId }, "could not record the session end; retrying until it lands");
    }
  }

  private async writeEnd(sessionId: string): Promise<void> {
    const pending = this.pendingEnds.get(sessionId);
    if (pending === undefined) return;
    await this.sessions.markEnded(sessionId, pending.at);
    await this.players.setCurrentSession(pending.playerIds, null);
    this.pendingEnds.delete(sessionId);
  }

  /** True while this process ended the session and its write has not landed yet: the match is over, not orphaned. */
  endPending(sessionId: string): boolean {
    return this.pendingEnds.has(sessionId);
  }

  /** Retries the session ends that did not land, oldest first; stops at the first failure. Returns those written. */
  async process(): Promise<number> {
    if (this.retrying || this.pendingEnds.size === 0) return 0;
    this.retrying = true;
    let written = 0;
    try {
      for (const sessionId of [...this.pendingEnds.keys()]) {
        await this.writeEnd(sessionId);
        written += 1;
        this.log.info({ sessionId }, "session end recorded after the database came back");
      }
    } finally {
      this.retrying = false;
    }
    return written;
  }

  start(intervalMs: number): void {
    this.periodic.start(intervalMs);
  }

  stop(): void {
    this.periodic.stop();
  }

  /** Stores a versioned snapshot of a live match, if `epoch` still holds it (the room serialised it). */
  saveSnapshot(sessionId: string, version: number, tick: number, state: Buffer, epoch: number): Promise<void> {
    return this.attempt("snapshot", sessionId, () =>
      this.sessions.saveSnapshot({ sessionId, version, tick, state }, epoch),
    );
  }

  /**
   * The SIGTERM hand-off of a live match: its final snapshot is stored under `epoch`, then its lease is released, so
   * a process of the region claims it as soon as this one is gone and continues exactly where it stopped. Waits at
   * most `withinMs`: with the database away neither lands, the lease lapses after SESSION_LEASE_MS and the match
   * continues from its last stored snapshot. True when both landed.
   */
  async handOff(
    sessionId: string,
    snapshot: { version: number; tick: number; state: Buffer },
    epoch: number,
    withinMs: number,
  ): Promise<boolean> {
    const work = (async () => {
      // A snapshot refused by epoch means another process holds the match: nothing here to release either.
      if (!(await this.sessions.saveSnapshot({ sessionId, ...snapshot }, epoch))) return false;
      return this.sessions.releaseLease(sessionId, epoch);
    })();
    try {
      return await withTimeout(work, withinMs, "the hand-off");
    } catch (error) {
      this.log.warn(
        { err: error, sessionId, withinMs },
        error instanceof TimeoutError
          ? "the hand-off did not land in time; its lease lapses instead"
          : "could not hand the match off; its lease lapses instead",
      );
      return false;
    }
  }

  /** Renews the match's lease; false when the session was taken over by another process (fenced). */
  async renewLease(sessionId: string, epoch: number): Promise<boolean> {
    try {
      return await this.sessions.renewLease(sessionId, epoch, new Date(Date.now() + SESSION_LEASE_MS));
    } catch (error) {
      // The database is unreachable: keep playing; the lease may lapse and the match be claimed elsewhere, which
      // the next successful renewal will tell.
      this.log.warn({ err: error, sessionId }, "could not renew the session lease");
      return true;
    }
  }

  snapshot(sessionId: string, version?: number): Promise<SnapshotRecord | undefined> {
    return this.sessions.getSnapshot(sessionId, version);
  }

  /**
   * Returns a live match to snapshot `version`, on whichever process runs it.
   * @throws AppError 404 when the session is not live here or anywhere, or the version does not exist.
   */
  async rollback(sessionId: string, version: number): Promise<{ version: number; tick: number }> {
    const session = await this.sessions.get(sessionId);
    if (session === undefined || session.status === "ended")
      throw new AppError(ErrorCode.NotFound, "no live session with that id");
    if ((await this.sessions.getSnapshot(sessionId, version)) === undefined) {
      throw new AppError(ErrorCode.NotFound, `session has no snapshot version ${version}`);
    }
    try {
      return await callMatchRoom(sessionId, "rollback", [version]);
    } catch (error) {
      throw new AppError(ErrorCode.NotFound, `the match is not running: ${(error as Error).message}`);
    }
  }

  /**
   * A seat for a participant to get back into its live match (a new device, a lost reconnection token, a restarted
   * client), wherever the match runs. @throws AppError 404 unknown session, 403 not a participant, 409 ended,
   * 503 the match is not running on any process right now (its process died and recovery is bringing it back).
   */
  async rejoin(
    sessionId: string,
    player: { playerId: string; username: string; familyId?: string },
  ): Promise<{ seat: unknown }> {
    const session = await this.sessions.get(sessionId);
    if (session === undefined) throw new AppError(ErrorCode.NotFound, "session not found");
    if (!session.players.some((p) => p.playerId === player.playerId && !p.bot)) {
      throw new AppError(ErrorCode.Forbidden, "not a participant of this session");
    }
    if (session.status === "ended") throw new AppError(ErrorCode.Conflict, "the match has ended");
    const room = await matchMaker.getRoomById(sessionId);
    if (room === undefined)
      throw new AppError(ErrorCode.Unavailable, "the match is not running on any process", { retryAfterSec: 2 });
    let seatSessionId: string | false;
    try {
      // A player holds at most one pending seat: this one replaces any it asked for earlier and has not used.
      seatSessionId = await callMatchRoom(sessionId, "reserveRejoinSeat", [player]);
    } catch (error) {
      // The listing still names a process that died; recovery recreates the match on a live one within seconds.
      throw new AppError(ErrorCode.Unavailable, `the match is being recovered (${(error as Error).message})`, {
        retryAfterSec: 1,
      });
    }
    if (seatSessionId === false) {
      throw new AppError(
        ErrorCode.Conflict,
        "every seat of this match is taken or held for a player reconnecting; retry in a few seconds",
        { retryAfterSec: 5 },
      );
    }
    return { seat: matchMaker.buildSeatReservation(room, seatSessionId) };
  }

  get(id: string): Promise<SessionRecord | undefined> {
    return this.sessions.get(id);
  }

  list(query: SessionQuery): Promise<SessionRecord[]> {
    return this.sessions.list(query);
  }
}
