/**
 * Crash recovery: every process of a region looks for live sessions of its region whose lease lapsed (their
 * process died or stalled), claims each with a compare-and-set on its epoch (exactly one claimant), and recreates
 * the arena here from the latest snapshot. The old process, if it was only stalled, finds its epoch superseded at
 * its next lease renewal and stops; its snapshot writes and its result are refused by epoch.
 */
import { matchMaker } from "@colyseus/core";
import type { Logger } from "../../logger.ts";
import { RoomName } from "../../protocol.ts";
import type { MatchSigner, MatchSpec } from "../matches/MatchTicket.ts";
import type { GameSessionStore } from "../stores/GameSessionStore.ts";
import type { PlayerStore } from "../stores/PlayerStore.ts";
import { SESSION_LEASE_MS } from "./SessionService.ts";
import { Periodic } from "../Periodic.ts";

/** Added to the signed create options of an arena recreated from a snapshot. */
export interface RestoreOptions {
  epoch: number;
  version: number;
}

export class RecoveryService {
  private readonly periodic = new Periodic(
    () => this.process(new Date()),
    (error: unknown) => this.log.warn({ err: error }, "recovery pass failed"),
  );
  private running = false;

  constructor(
    private readonly sessions: GameSessionStore,
    private readonly players: PlayerStore,
    private readonly signer: MatchSigner,
    private readonly region: string,
    private readonly log: Logger,
  ) {}

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
      const recovered: string[] = [];
      for (const orphan of await this.sessions.orphans(this.region, now)) {
        const lease = new Date(now.getTime() + SESSION_LEASE_MS);
        if (!(await this.sessions.claim(orphan.id, orphan.epoch, matchMaker.processId, lease))) continue;
        const snapshot = await this.sessions.getSnapshot(orphan.id);
        if (snapshot === undefined) {
          // Died before its first snapshot: nothing to continue from.
          const session = await this.sessions.get(orphan.id);
          await this.sessions.markEnded(orphan.id, now);
          await this.players.setCurrentSession(session?.players.map((p) => p.playerId) ?? [], null);
          this.log.warn({ sessionId: orphan.id }, "orphaned match had no snapshot; ended");
          continue;
        }
        const spec = (JSON.parse(snapshot.state.toString("utf8")) as { spec: MatchSpec }).spec;
        const restore: RestoreOptions = { epoch: orphan.epoch + 1, version: snapshot.version };
        await matchMaker.handleCreateRoom(RoomName.Arena, { ...this.signer.sign(spec), restore });
        recovered.push(orphan.id);
        this.log.warn(
          { sessionId: orphan.id, epoch: restore.epoch, fromVersion: snapshot.version },
          "recovered an orphaned match",
        );
      }
      return recovered;
    } finally {
      this.running = false;
    }
  }
}
