/**
 * The production MatchResultSink: records each result (idempotently, with ratings and leaderboards) and publishes
 * the new ranks. When PostgreSQL is unreachable the result goes to the journal instead, and `drain()` writes it
 * once the database is back — nothing lost, nothing twice, in the order the matches ended.
 *
 * A result that is refused (`fenced`: another process took the match over; `conflict`: the session already has a
 * different result) is logged at error level, counted and parked in the journal — never dropped silently. The drain
 * tells "the database is away" (stop, keep the order, retry next pass) from "this entry fails while the database
 * answers" (retried at the next passes, parked after {@link MAX_ENTRY_TRIES}, and the entries behind it drain).
 */
import type { Logger } from "../../logger.ts";
import { isConnectionFailure } from "../db/ObservedDatabase.ts";
import type { LeaderboardService } from "../leaderboards/LeaderboardService.ts";
import type { MatchResult, MatchResultSink, RatingChange } from "../matches/MatchResults.ts";
import { Periodic } from "../Periodic.ts";
import type { MatchResultStore, RefusalReason } from "./MatchResultStore.ts";
import type { JournalEntry, ResultJournal } from "./ResultJournal.ts";

/** How many drain passes an entry may fail while the database answers before it is parked. */
export const MAX_ENTRY_TRIES = 3;
const DRAIN_BATCH = 100;

/** Why a result was parked: refused by the store, unreadable, or failing at every try. */
export type ParkReason = RefusalReason | "malformed" | "failing";

export interface ResultEvents {
  /** A result was refused by the store (counted as arena_results_refused_total). */
  refused(reason: RefusalReason): void;
  /** A result was moved to the parked list (arena_results_parked_total). */
  parked(reason: ParkReason): void;
}

type Stored = { changes: RatingChange[] } | { refused: RefusalReason };

export class PersistentMatchResults implements MatchResultSink {
  private readonly periodic = new Periodic(
    () => this.drain(),
    (error: unknown) => this.log.debug({ err: error }, "result journal not drained yet"),
  );
  /** Failed tries of journal entries while the database answered, by entry id (this process' count). */
  private readonly tries = new Map<string, number>();
  private draining = false;
  /**
   * Results that could be neither stored nor journaled (PostgreSQL and the journal both away), oldest first: kept in
   * this process and handed to the journal (or the store) at the next passes. A process killed meanwhile loses them.
   */
  private readonly held: MatchResult[] = [];

  constructor(
    private readonly store: MatchResultStore,
    private readonly leaderboards: LeaderboardService,
    /** The journal (pending and parked results), also for operators' inspection and replay. */
    readonly journal: ResultJournal,
    private readonly log: Logger,
    /** Resolves when the database answers: tells an outage from an entry that fails on its own. */
    private readonly ping: () => Promise<void>,
    private readonly events: ResultEvents = { refused: () => {}, parked: () => {} },
  ) {}

  async submit(result: MatchResult): Promise<RatingChange[]> {
    let stored: Stored;
    try {
      stored = await this.record(result);
    } catch (error) {
      try {
        await this.journal.append(result);
        this.log.warn(
          { err: error, sessionId: result.sessionId },
          "could not store a match result; journaled for later",
        );
      } catch (journalError) {
        this.held.push(result);
        this.log.error(
          { err: journalError, sessionId: result.sessionId, held: this.held.length },
          "could not store or journal a match result; kept in this process and retried",
        );
      }
      return [];
    }
    if ("refused" in stored) {
      // Kept where an operator can see it, like a refused journal entry.
      const entry = { id: "-", raw: JSON.stringify(result), result };
      await this.park(entry, stored.refused, "refused at submission").catch((error: unknown) =>
        this.log.error({ err: error, sessionId: result.sessionId }, "could not park a refused match result"),
      );
      return [];
    }
    return stored.changes;
  }

  /** Stores the result and publishes its ranks; a refusal is logged and counted here. */
  private async record(result: MatchResult): Promise<Stored> {
    const outcome = await this.store.record(result);
    if (outcome.refused !== undefined) {
      this.events.refused(outcome.refused);
      this.log.error(
        { sessionId: result.sessionId, epoch: result.epoch, reason: outcome.refused },
        outcome.refused === "fenced"
          ? "match result refused: another process had taken the match over"
          : "match result refused: the session already has a different result",
      );
      return { refused: outcome.refused };
    }
    if (outcome.recorded) await this.leaderboards.publish(outcome.ranks);
    return { changes: outcome.changes };
  }

  private async park(entry: JournalEntry, reason: ParkReason, detail: string): Promise<void> {
    await this.journal.park(entry, reason, detail);
    this.tries.delete(entry.id);
    this.events.parked(reason);
    this.log.error(
      { sessionId: entry.result?.sessionId, journalId: entry.id, reason, detail },
      "match result parked in the journal (kept for inspection and replay; see docs/RECOVERY.md)",
    );
  }

  /**
   * Writes journaled results in order. Throws (and writes nothing more) while the database is away; an entry that
   * fails while the database answers stops this pass and is retried at the next, then parked after
   * {@link MAX_ENTRY_TRIES}; refused and unreadable entries are parked at once. Returns the results written.
   */
  async drain(): Promise<number> {
    if (this.draining) return 0;
    this.draining = true;
    let written = 0;
    try {
      written += await this.handOverHeld();
      for (const entry of await this.journal.pending(DRAIN_BATCH)) {
        if (entry.result === undefined) {
          await this.park(entry, "malformed", "not a readable match result");
          continue;
        }
        let stored: Stored;
        try {
          stored = await this.record(entry.result);
        } catch (error) {
          if (await this.databaseAway(error)) throw error;
          const tries = (this.tries.get(entry.id) ?? 0) + 1;
          if (tries >= MAX_ENTRY_TRIES) {
            await this.park(entry, "failing", `${tries} tries: ${(error as Error).message ?? String(error)}`);
            continue;
          }
          this.tries.set(entry.id, tries);
          this.log.warn(
            { err: error, sessionId: entry.result.sessionId, journalId: entry.id, tries },
            "a journaled match result failed while the database answers; retried at the next pass",
          );
          break;
        }
        if ("refused" in stored) {
          await this.park(entry, stored.refused, "refused by the result store");
          continue;
        }
        await this.journal.remove(entry.id);
        this.tries.delete(entry.id);
        written += 1;
      }
    } finally {
      this.draining = false;
      if (written > 0) this.log.info({ written }, "journaled match results written");
    }
    return written;
  }

  /**
   * Results held in this process go to the journal, oldest first (the drain then writes them in order); while the
   * journal is away they are stored directly. Throws, keeping the rest, when neither takes one. Returns those stored.
   */
  private async handOverHeld(): Promise<number> {
    let stored = 0;
    while (this.held.length > 0) {
      const result = this.held[0]!;
      try {
        await this.journal.append(result);
      } catch (journalError) {
        const outcome = await this.record(result).catch(() => undefined);
        // A refused result waits for the journal, where the drain parks it (refusals are never dropped).
        if (outcome === undefined || "refused" in outcome) throw journalError;
        stored += 1;
      }
      this.held.shift();
    }
    return stored;
  }

  /** Sessions with a journaled result, pending, parked or held: they ended, and must never be restored. */
  async journaledSessions(): Promise<Set<string>> {
    const ids = await this.journal.sessionIds();
    for (const result of this.held) ids.add(result.sessionId);
    return ids;
  }

  /** True when the failure is the database being unreachable (as opposed to this entry failing). */
  private async databaseAway(error: unknown): Promise<boolean> {
    if (isConnectionFailure(error)) return true;
    try {
      await this.ping();
      return false;
    } catch {
      return true;
    }
  }

  start(intervalMs: number): void {
    this.periodic.start(intervalMs);
  }

  stop(): void {
    this.periodic.stop();
  }
}
