/**
 * The production MatchResultSink: records each result (idempotently, with ratings and leaderboards) and publishes
 * the new ranks. When PostgreSQL is unreachable the result goes to the journal instead, and `drain()` writes it
 * once the database is back — nothing lost, nothing twice.
 */
import type { Logger } from "../../logger.ts";
import type { LeaderboardService } from "../leaderboards/LeaderboardService.ts";
import type { MatchResult, MatchResultSink, RatingChange } from "../matches/MatchResults.ts";
import type { MatchResultStore } from "./MatchResultStore.ts";
import type { ResultJournal } from "./ResultJournal.ts";
import { Periodic } from "../Periodic.ts";

export class PersistentMatchResults implements MatchResultSink {
  private readonly periodic = new Periodic(
    () => this.drain(),
    (error: unknown) => this.log.debug({ err: error }, "result journal not drained yet"),
  );

  constructor(
    private readonly store: MatchResultStore,
    private readonly leaderboards: LeaderboardService,
    private readonly journal: ResultJournal,
    private readonly log: Logger,
  ) {}

  async submit(result: MatchResult): Promise<RatingChange[]> {
    try {
      return await this.record(result);
    } catch (error) {
      this.log.warn({ err: error, sessionId: result.sessionId }, "could not store a match result; journaled for later");
      await this.journal.append(result);
      return [];
    }
  }

  private async record(result: MatchResult): Promise<RatingChange[]> {
    const outcome = await this.store.record(result);
    if (outcome.recorded) await this.leaderboards.publish(outcome.ranks);
    return outcome.changes;
  }

  /** Writes journaled results; stops at the first failure (the database is still away) and retries next time. */
  async drain(): Promise<number> {
    let written = 0;
    for (const entry of await this.journal.pending(100)) {
      await this.record(entry.result);
      await this.journal.remove(entry.id);
      written += 1;
    }
    if (written > 0) this.log.info({ written }, "journaled match results written");
    return written;
  }

  start(intervalMs: number): void {
    this.periodic.start(intervalMs);
  }

  stop(): void {
    this.periodic.stop();
  }
}
