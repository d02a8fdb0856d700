/**
 * Leaderboards: boards as data (those the registered games declare), scores written to PostgreSQL (in the caller's
 * transaction), ranks served from a RankIndex (Redis or in-process) keyed by board and season. `process(now)` starts
 * new seasons when a board's reset time has passed (exactly once across processes) and rebuilds any index the rank
 * store lost.
 */
import { CronExpressionParser } from "cron-parser";
import type { Logger } from "../../logger.ts";
import type { Queryable } from "../db/Database.ts";
import type { GameRegistry } from "../games/GameDefinition.ts";
import type { RankedEntry, RankIndex } from "./RankIndex.ts";
import type { Board, BoardDefinition, SqlLeaderboardStore, StoredEntry } from "./LeaderboardStore.ts";
import { Periodic } from "../Periodic.ts";

/**
 * The boards of the registered games as stored definitions: `rating`, `rating:<key>` for every rating key, and each
 * game's declared boards (their score functions and modes are the result store's business, not the board's).
 */
export function boardDefinitions(games: GameRegistry): BoardDefinition[] {
  return games.boards().map(({ id, title, order, operator, resetSchedule }) => ({
    id,
    title,
    order,
    operator,
    ...(resetSchedule === undefined ? {} : { resetSchedule }),
  }));
}

/** The next time the cron expression fires after `from` (UTC). */
export function nextReset(schedule: string, from: Date): Date {
  return CronExpressionParser.parse(schedule, { currentDate: from, tz: "UTC" }).next().toDate();
}

export interface PendingRank {
  board: Board;
  entry: StoredEntry;
}

export interface LeaderboardRow {
  rank: number;
  playerId: string;
  username: string;
  score: number;
}

export class LeaderboardService {
  private boards = new Map<string, Board>();
  private readonly periodic = new Periodic(
    () => this.process(Date.now()),
    (error: unknown) => this.log.warn({ err: error }, "leaderboard pass failed"),
  );

  constructor(
    private readonly store: SqlLeaderboardStore,
    private readonly index: RankIndex,
    private readonly log: Logger,
  ) {}

  static key(board: Board): string {
    return `arena:lb:${board.id}:${board.season}`;
  }

  /**
   * Syncs the definitions (see {@link boardDefinitions}), loads the boards and makes sure every current index is
   * present. Boards stored by an earlier build and no longer defined stay as they are (their entries are kept).
   */
  async init(definitions: readonly BoardDefinition[]): Promise<void> {
    await this.store.syncBoards(definitions, nextReset);
    await this.process(Date.now(), true);
  }

  start(intervalMs: number): void {
    this.periodic.start(intervalMs);
  }

  stop(): void {
    this.periodic.stop();
  }

  /**
   * Resets due boards (one process wins each reset), reloads board seasons, and rebuilds indexes the rank store
   * lost (Redis flushed or restarted); with `verifyCounts` (start-up) also those whose size differs from PostgreSQL.
   */
  async process(now: number, verifyCounts = false): Promise<{ resets: string[]; rebuilt: string[] }> {
    const resets: string[] = [];
    for (const board of await this.store.boards()) {
      if (board.resetSchedule === undefined || board.nextResetAt === null || board.nextResetAt.getTime() > now)
        continue;
      // The new season starts at the scheduled time, even when this pass runs a little later.
      const following = nextReset(board.resetSchedule, new Date(Math.max(now, board.nextResetAt.getTime())));
      if (await this.store.advanceSeason(board.id, board.season, board.nextResetAt, following)) {
        resets.push(board.id);
        this.log.info({ board: board.id, endedSeason: board.season }, "leaderboard season ended and archived");
      }
    }
    const rebuilt: string[] = [];
    this.boards = new Map((await this.store.boards()).map((board) => [board.id, board]));
    for (const board of this.boards.values()) {
      const key = LeaderboardService.key(board);
      const present = await this.index.has(key);
      if (present && !verifyCounts) continue;
      const stored = await this.store.entryCount(board.id, board.season);
      if (present && (await this.index.count(key)) === stored) continue;
      if (!present && stored === 0) continue;
      await this.index.load(key, board.order, await this.store.entries(board.id, board.season));
      rebuilt.push(board.id);
    }
    if (rebuilt.length > 0) this.log.info({ boards: rebuilt }, "rank indexes rebuilt from PostgreSQL");
    return { resets, rebuilt };
  }

  list(): Board[] {
    return [...this.boards.values()];
  }

  get(id: string): Board | undefined {
    return this.boards.get(id);
  }

  /** Writes a score in `tx` (current season); apply the returned ranks with {@link publish} after the commit. */
  async submit(tx: Queryable, boardId: string, playerId: string, value: number, at: Date): Promise<PendingRank> {
    const board = await this.store.board(boardId, tx);
    if (board === undefined) throw new Error(`unknown leaderboard ${boardId}`);
    return { board, entry: await this.store.submit(tx, board, playerId, value, at) };
  }

  /** Puts committed scores into the rank index. */
  async publish(pending: readonly PendingRank[]): Promise<void> {
    for (const { board, entry } of pending) {
      await this.index.set(LeaderboardService.key(board), board.order, entry.playerId, entry.score, entry.at);
    }
  }

  private async withNames(entries: RankedEntry[]): Promise<LeaderboardRow[]> {
    const names = await this.store.usernames(entries.map((e) => e.playerId));
    return entries.map((e) => ({
      rank: e.rank,
      playerId: e.playerId,
      username: names.get(e.playerId) ?? "",
      score: e.score,
    }));
  }

  async top(board: Board, offset: number, limit: number): Promise<{ entries: LeaderboardRow[]; total: number }> {
    const key = LeaderboardService.key(board);
    const [entries, total] = await Promise.all([this.index.range(key, offset, limit), this.index.count(key)]);
    return { entries: await this.withNames(entries), total };
  }

  /** Up to `limit` entries centred on the player; undefined when the player has no entry. */
  async around(board: Board, playerId: string, limit: number): Promise<LeaderboardRow[] | undefined> {
    const key = LeaderboardService.key(board);
    const me = await this.index.rank(key, playerId);
    if (me === undefined) return undefined;
    const offset = Math.max(0, me.rank - 1 - Math.floor((limit - 1) / 2));
    return this.withNames(await this.index.range(key, offset, limit));
  }

  rankOf(board: Board, playerId: string): Promise<RankedEntry | undefined> {
    return this.index.rank(LeaderboardService.key(board), playerId);
  }
}
