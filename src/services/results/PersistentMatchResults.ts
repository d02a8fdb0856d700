/**
 * The production MatchResultSink: records each result (idempotently, with ratings and leaderboards) and publishes
 * the new ranks. When PostgreSQL is unreachable the result goes to the journal instead, and `drain()` writes it
 * once the database is back — nothing lost, nothing twice, in the order the matches ended.
 *
 * A result that is refused (`fenced`: another process took the match over; `conflict`: the session already has a
 * different result; `unregistered`: its game or mode is not registered here) is logged at error level, counted and parked in the journal — never dropped silently. The drain
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
/** How many pending journal entries are read to tell which held results the journal still has. */
const HELD_SCAN = 10_000;

/** What the log says of each refusal. */
const REFUSALS: Record<RefusalReason, string> = {
  fenced: "match result refused: another process had taken the match over",
  conflict: "match result refused: the session already has a different result",
  unregistered: "match result refused: its game or mode is not registered on this server",
};

/** Why a result was parked: refused by the store, unreadable, or failing at every try. */
export type ParkReason = RefusalReason | "malformed" | "failing";

export interface ResultEvents {
  /** A result was refused by the store (counted as arena_results_refused_total). */
  refused(reason: RefusalReason): void;
  /** A result was moved to the parked list (arena_results_parked_total). */
  parked(reason: ParkReason): void;
}

/** `recorded` is false for a duplicate (the same result stored before). */
type Stored = { changes: RatingChange[]; recorded: boolean } | { refused: RefusalReason };

export class PersistentMatchResults implements MatchResultSink {
  private readonly periodic = new Periodic(
    () => this.drain(),
    (error: unknown) => this.log.debug({ err: error }, "result journal not drained yet"),
  );
  /** Failed tries of journal entries while the database answered, by entry id (this process' count). */
  private readonly tries = new Map<string, number>();
  private draining = false;
  /**
   * Results this process could not store, oldest first, kept until stored (or handed to the journal's parking): the
   * journal holds them across a crash of this process, this list across a loss of the journal (Redis restarted
   * empty, or away when they were journaled).
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
      this.held.push(result);
      try {
        await this.journal.append(result);
        this.log.warn(
          { err: error, sessionId: result.sessionId },
          "could not store a match result; journaled for later",
        );
      } catch (journalError) {
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
        { sessionId: result.sessionId, epoch: result.epoch, game: result.game, reason: outcome.refused },
        REFUSALS[outcome.refused],
      );
      return { refused: outcome.refused };
    }
    if (outcome.recorded) await this.leaderboards.publish(outcome.ranks);
    return { changes: outcome.changes, recorded: outcome.recorded };
  }

  private async park(entry: JournalEntry, reason: ParkReason, detail: string): Promise<void> {
    await this.journal.park(entry, reason, detail);
    this.tries.delete(entry.id);
    if (entry.result !== undefined) this.forgetHeld(entry.result.sessionId);
    this.events.parked(reason);
    this.log.error(
      { sessionId: entry.result?.sessionId, journalId: entry.id, reason, detail },
      "match result parked in the journal (kept for inspection and replay; see docs/RECOVERY.md)",
    );
  }

  /**
   * Writes journaled results in order, then those held in this process that the journal does not have (any more).
   * Throws (and writes nothing more) while the database is away; an entry that fails while the database answers
   * stops this pass and is retried at the next, then parked after {@link MAX_ENTRY_TRIES}; refused and unreadable
   * entries are parked at once. Returns the results written.
   */
  async drain(): Promise<number> {
    if (this.draining) return 0;
    this.draining = true;
    let written = 0;
    try {
      let journalAway: unknown;
      try {
        written += await this.drainJournal();
      } catch (error) {
        if (await this.databaseAway(error)) throw error;
        journalAway = error;
      }
      written += await this.storeHeld(journalAway === undefined);
      if (journalAway !== undefined) throw journalAway;
    } finally {
      this.draining = false;
      if (written > 0) this.log.info({ written }, "journaled match results written");
    }
    return written;
  }

  private async drainJournal(): Promise<number> {
    let written = 0;
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
      this.forgetHeld(entry.result.sessionId);
      written += 1;
    }
    return written;
  }

  /**
   * Stores the results held in this process that the journal has no entry for (it lost them, or never got them;
   * while `journalUp` is false it cannot be asked, and all are stored), oldest first; those pending there stay until
   * the journal drained them, those parked there are dropped here. Throws, keeping them, while the database is away. A refused one is parked; one that fails
   * while the database answers goes to the journal, whose drain retries and parks it. Returns those stored.
   */
  private async storeHeld(journalUp: boolean): Promise<number> {
    if (this.held.length === 0) return 0;
    const sessions = async (entries: Promise<JournalEntry[]>) =>
      new Set(journalUp ? (await entries).map((entry) => entry.result?.sessionId) : []);
    const pending = await sessions(this.journal.pending(HELD_SCAN));
    const parked = await sessions(this.journal.parked(HELD_SCAN));
    let stored = 0;
    for (const result of [...this.held]) {
      if (pending.has(result.sessionId)) continue;
      if (parked.has(result.sessionId)) {
        // The journal's drain refused or gave up on it: kept there for the operator, not here.
        this.forgetHeld(result.sessionId);
        continue;
      }
      let outcome: Stored | undefined;
      try {
        outcome = await this.record(result);
      } catch (error) {
        if (await this.databaseAway(error)) throw error;
      }
      if (outcome === undefined) {
        await this.journal.append(result);
      } else if ("refused" in outcome) {
        await this.park({ id: "-", raw: JSON.stringify(result), result }, outcome.refused, "refused at a retry");
      } else if (outcome.recorded) {
        stored += 1;
      }
      this.forgetHeld(result.sessionId);
    }
    return stored;
  }

  private forgetHeld(sessionId: string): void {
    const index = this.held.findIndex((result) => result.sessionId === sessionId);
    if (index >= 0) this.held.splice(index, 1);
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
