/**
 * Retention: bounds the tables that grow with use. Each pass (`process(now)`, every RETENTION_PASS_MS) deletes, in
 * batches of `batchSize` until a batch comes back short:
 * - refresh tokens that expired or were revoked more than `refreshTokenRetentionDays` ago (live families keep their
 *   recent spent tokens, so reuse detection still works);
 * - chat messages older than `chatRetentionDays` that are not in their channel's lobby history (the newest
 *   {@link CHAT_LIMITS.historySize});
 * - snapshots of matches that ended more than `snapshotRetentionHours` ago, except each match's last one; live
 *   matches are never touched.
 *
 * Safe with several processes: every delete is idempotent and bounded; a row another process deleted first is
 * simply not counted here.
 *
 * Ended matches keep one snapshot forever, so the snapshot rule would revisit every match ever ended on each pass:
 * once a pass has drained everything up to its cutoff, later passes of this process look only at matches that
 * ended after it (a restart scans everything once).
 */
import type { Logger } from "../logger.ts";
import { CHAT_LIMITS } from "./chat/ChatService.ts";
import { Periodic } from "./Periodic.ts";
import type { ChatMessageStore } from "./stores/ChatMessageStore.ts";
import type { GameSessionStore } from "./stores/GameSessionStore.ts";
import type { RefreshTokenStore } from "./stores/RefreshTokenStore.ts";

export interface RetentionPolicy {
  refreshTokenRetentionDays: number;
  chatRetentionDays: number;
  snapshotRetentionHours: number;
  /** Rows per delete statement (default 1000): short statements, no long locks. */
  batchSize?: number;
}

export interface RetentionReport {
  refreshTokens: number;
  chatMessages: number;
  snapshots: number;
}

const HOUR_MS = 3_600_000;
const DAY_MS = 24 * HOUR_MS;
/** At most this many batches per table per pass; the next pass continues. */
const MAX_BATCHES = 100;

export class RetentionService {
  private readonly periodic: Periodic;
  private readonly batchSize: number;
  /** Snapshots of matches that ended before this are pruned already (by this process). */
  private snapshotsPrunedUntil: Date | undefined;

  constructor(
    private readonly stores: {
      refreshTokens: RefreshTokenStore;
      chat: ChatMessageStore;
      sessions: GameSessionStore;
    },
    private readonly policy: RetentionPolicy,
    private readonly log: Logger,
  ) {
    this.batchSize = policy.batchSize ?? 1000;
    this.periodic = new Periodic(
      () => this.process(new Date()),
      (error) => log.warn({ err: error }, "retention pass failed; the next one retries"),
    );
  }

  /** One pass over every rule at `now`. */
  async process(now: Date): Promise<RetentionReport> {
    const at = now.getTime();
    const report: RetentionReport = {
      refreshTokens: await this.drain((limit) =>
        this.stores.refreshTokens.prune(new Date(at - this.policy.refreshTokenRetentionDays * DAY_MS), limit),
      ),
      chatMessages: await this.drain((limit) =>
        this.stores.chat.prune(new Date(at - this.policy.chatRetentionDays * DAY_MS), CHAT_LIMITS.historySize, limit),
      ),
      snapshots: 0,
    };
    const snapshotCutoff = new Date(at - this.policy.snapshotRetentionHours * HOUR_MS);
    let drained = false;
    report.snapshots = await this.drain(
      (limit) => this.stores.sessions.pruneSnapshots(snapshotCutoff, limit, this.snapshotsPrunedUntil),
      () => {
        drained = true;
      },
    );
    if (drained) this.snapshotsPrunedUntil = snapshotCutoff;
    if (report.refreshTokens + report.chatMessages + report.snapshots > 0) this.log.info(report, "retention pass");
    return report;
  }

  /** Runs `batch` until one comes back short (then calls `done`), or MAX_BATCHES times. */
  private async drain(batch: (limit: number) => Promise<number>, done?: () => void): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_BATCHES; i++) {
      const deleted = await batch(this.batchSize);
      total += deleted;
      if (deleted < this.batchSize) {
        done?.();
        break;
      }
    }
    return total;
  }

  start(intervalMs: number): void {
    this.periodic.start(intervalMs);
  }

  stop(): void {
    this.periodic.stop();
  }
}
