/**
 * Crash recovery: every process of a region looks for live sessions of its region whose lease lapsed, claims each
 * whose process is really gone with a compare-and-set on its epoch (exactly one claimant), and recreates its match
 * room (the game's) here from the latest snapshot. The old process, if it was only stalled, finds its epoch superseded at its next
 * lease renewal and stops; its snapshot writes and its result are refused by epoch.
 *
 * A lapsed lease alone proves nothing: during a database outage no lease can be renewed. So a session is only
 * claimed when its owner is gone — not running according to presence (no IPC subscription, or no answer to an IPC
 * health check: a stalled process) — and never when that cannot be told (Redis away: the pass fails). This process'
 * own sessions are orphans only when no room of this process runs them and they did not end here. After a pass
 * failed (the database or Redis was away), nothing is claimed for one lease period, so that owners re-assert their
 * leases first. A match whose result is in the journal ended while the database was away: it is marked ended, never
 * restored.
 */
import { matchMaker } from "@colyseus/core";
import type { Logger } from "../../logger.ts";
import type { MatchSigner, MatchSpec } from "../matches/MatchTicket.ts";
import { dependencyError } from "../dependencyError.ts";
import { Periodic } from "../Periodic.ts";
import type { GameSessionStore, OrphanCandidate } from "../stores/GameSessionStore.ts";
import type { PlayerStore } from "../stores/PlayerStore.ts";
import { SESSION_LEASE_MS } from "./SessionService.ts";

/** Added to the signed create options of a match room recreated from a snapshot. */
export interface RestoreOptions {
  epoch: number;
  version: number;
}

export interface RecoveryOptions {
  sessions: GameSessionStore;
  players: PlayerStore;
  signer: MatchSigner;
  /** The game whose room recreates a match stored before specs named their game. */
  defaultGame: string;
  /** Whether a game of this id is registered here (its room can be created). */
  isGame(gameId: string): boolean;
  region: string;
  log: Logger;
  /** Whether the process with this Colyseus id runs; throws when that cannot be told (presence unreachable). */
  isAlive(processId: string): Promise<boolean>;
  /** Sessions with a result in the result journal: they ended while the database was away. */
  journaledSessions(): Promise<Set<string>>;
  /** True while this process ended the session and the write of its end has not landed yet. */
  endPending(sessionId: string): boolean;
}

/** What a recovery pass does with a session whose lease lapsed. */
export type OrphanVerdict = "owner-alive" | "running-here" | "ended-here" | "ended-journaled" | "orphan";

export class RecoveryService {
  private readonly periodic = new Periodic(
    () => this.process(new Date()),
    (error: unknown) => this.log.warn({ err: error }, "recovery pass failed"),
  );
  private running = false;
  /** A pass failed (the database or Redis away): the next successful one starts the hold. */
  private interrupted = false;
  /** Until when (ms) nothing is claimed: owners re-assert their leases after an outage first. */
  private holdUntil = 0;
  private readonly log: Logger;

  constructor(private readonly options: RecoveryOptions) {
    this.log = options.log;
  }

  start(intervalMs: number): void {
    this.periodic.start(intervalMs);
  }

  stop(): void {
    this.periodic.stop();
  }

  /** One pass: claims and restores every orphan of this region. Returns the sessions recovered here. */
  async process(now: Date): Promise<string[]> {
    if (this.running || matchMaker.processId === undefined) return [];
    this.running = true;
    try {
      return await this.pass(now);
    } catch (error) {
      this.interrupted = true;
      throw error;
    } finally {
      this.running = false;
    }
  }

  private async pass(now: Date): Promise<string[]> {
    const { sessions, players, signer, region } = this.options;
    const candidates = await sessions.orphans(region, now);
    if (this.interrupted) {
      this.interrupted = false;
      this.holdUntil = now.getTime() + SESSION_LEASE_MS;
      this.log.info({ holdMs: SESSION_LEASE_MS }, "database reachable again; owners re-assert their leases first");
    }
    if (candidates.length === 0 || now.getTime() < this.holdUntil) return [];
    const journaled = await this.options.journaledSessions();
    const recovered: string[] = [];
    for (const candidate of candidates) {
      const verdict = await this.verdict(candidate, journaled);
      if (verdict === "ended-journaled") {
        // Not claimed: a new epoch would fence the journaled result, the one the players saw.
        const session = await sessions.get(candidate.id);
        if (await sessions.markEnded(candidate.id, now)) {
          await players.setCurrentSession(session?.players.map((p) => p.playerId) ?? [], null);
          this.log.warn(
            { sessionId: candidate.id },
            "match ended while the database was away (its result is journaled); marked ended, not restored",
          );
        }
        continue;
      }
      if (verdict !== "orphan") continue;
      const lease = new Date(now.getTime() + SESSION_LEASE_MS);
      const processId = matchMaker.processId;
      if (!(await sessions.claim(candidate.id, candidate.epoch, processId, lease))) continue;
      const snapshot = await sessions.getSnapshot(candidate.id);
      if (snapshot === undefined) {
        // Died before its first snapshot: nothing to continue from.
        const session = await sessions.get(candidate.id);
        await sessions.markEnded(candidate.id, now);
        await players.setCurrentSession(session?.players.map((p) => p.playerId) ?? [], null);
        this.log.warn({ sessionId: candidate.id }, "orphaned match had no snapshot; ended");
        continue;
      }
      const spec = (JSON.parse(snapshot.state.toString("utf8")) as { spec: MatchSpec }).spec;
      const restore: RestoreOptions = { epoch: candidate.epoch + 1, version: snapshot.version };
      // The snapshot's spec names its game (its room); older snapshots are the default game's.
      const game = spec.game ?? this.options.defaultGame;
      try {
        if (!this.options.isGame(game)) throw new Error(`game ${game} is not registered on this server`);
        await matchMaker.handleCreateRoom(game, { ...signer.sign(spec), restore });
      } catch (error) {
        // Redis or the database away: the next pass retries. Anything else (the game is gone, or its room refused
        // the snapshot) would fail at every pass: the match is ended instead of claimed again every lease period.
        if (dependencyError(error) !== undefined) throw error;
        const session = await sessions.get(candidate.id);
        await sessions.markEnded(candidate.id, now);
        await players.setCurrentSession(session?.players.map((p) => p.playerId) ?? [], null);
        this.log.error(
          { sessionId: candidate.id, game, err: error },
          "orphaned match could not be restored; ended without a result",
        );
        continue;
      }
      recovered.push(candidate.id);
      this.log.warn(
        {
          sessionId: candidate.id,
          epoch: restore.epoch,
          fromVersion: snapshot.version,
          formerServer: candidate.serverId,
        },
        "recovered an orphaned match",
      );
    }
    return recovered;
  }

  /** Whether a session whose lease lapsed is really orphaned; throws when its owner's liveness cannot be told. */
  private async verdict(candidate: OrphanCandidate, journaled: ReadonlySet<string>): Promise<OrphanVerdict> {
    const { serverId } = candidate;
    if (serverId === matchMaker.processId) {
      // Ours: the room renews its lease itself as soon as the database takes it.
      if (matchMaker.getLocalRoomById(candidate.id) !== undefined) return "running-here";
      if (this.options.endPending(candidate.id)) return "ended-here";
    } else if (serverId !== null && (await this.options.isAlive(serverId))) {
      return "owner-alive";
    }
    return journaled.has(candidate.id) ? "ended-journaled" : "orphan";
  }
}
