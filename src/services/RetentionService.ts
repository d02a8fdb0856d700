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
      snapshots: await this.drain((limit) =>
        this.stores.sessions.pruneSnapshots(new Date(at - this.policy.snapshotRetentionHours * HOUR_MS), limit),
      ),
    };
    if (report.refreshTokens + report.chatMessages + report.snapshots > 0) this.log.info(report, "retention pass");
    return report;
  }

  private async drain(batch: (limit: number) => Promise<number>): Promise<number> {
    let total = 0;
    for (let i = 0; i < MAX_BATCHES; i++) {
      const deleted = await batch(this.batchSize);
      total += deleted;
      if (deleted < this.batchSize) break;
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
