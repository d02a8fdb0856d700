/**
 * Leaderboards in PostgreSQL, the truth behind the rank indexes: board definitions with their current season, and
 * per-season entries. Operators are applied in SQL, atomically per entry. An entry's `updated_at` changes only when
 * its score does, so ties go to whoever reached the score first.
 */
import type { Database, Queryable } from "../db/Database.ts";

export type Operator = "best" | "set" | "incr" | "decr";
export type Order = "asc" | "desc";

export interface BoardDefinition {
  id: string;
  title: string;
  order: Order;
  operator: Operator;
  /** Cron expression (UTC) at which a new season starts; undefined = never resets. */
  resetSchedule?: string;
}

export interface Board extends BoardDefinition {
  season: number;
  seasonStartedAt: Date;
  nextResetAt: Date | null;
}

export interface StoredEntry {
  playerId: string;
  score: number;
  /** When the entry reached its score (epoch ms). */
  at: number;
}

interface BoardRow {
  id: string;
  title: string;
  sort_order: Order;
  operator: Operator;
  reset_schedule: string | null;
  season: number;
  season_started_at: Date;
  next_reset_at: Date | null;
}

function toBoard(row: BoardRow): Board {
  return {
    id: row.id,
    title: row.title,
    order: row.sort_order,
    operator: row.operator,
    ...(row.reset_schedule === null ? {} : { resetSchedule: row.reset_schedule }),
    season: row.season,
    seasonStartedAt: row.season_started_at,
    nextResetAt: row.next_reset_at,
  };
}

/** The new score expression per operator; `e` is the existing row, EXCLUDED the submitted value. */
function scoreExpression(operator: Operator, order: Order): string {
  switch (operator) {
    case "set":
      return "EXCLUDED.score";
    case "incr":
      return "e.score + EXCLUDED.score";
    case "decr":
      return "e.score - EXCLUDED.score";
    case "best":
      return order === "desc" ? "GREATEST(e.score, EXCLUDED.score)" : "LEAST(e.score, EXCLUDED.score)";
  }
}

export class SqlLeaderboardStore {
  constructor(private readonly db: Database) {}

  /** Creates or updates the boards' definitions, keeping their seasons; sets the first reset time when missing. */
  async syncBoards(
    definitions: readonly BoardDefinition[],
    nextResetOf: (schedule: string, from: Date) => Date,
  ): Promise<void> {
    const now = new Date();
    for (const def of definitions) {
      await this.db.execute(
        `INSERT INTO leaderboards (id, title, sort_order, operator, reset_schedule, next_reset_at)
         VALUES ($1, $2, $3, $4, $5, $6)
         ON CONFLICT (id) DO UPDATE SET title = EXCLUDED.title, sort_order = EXCLUDED.sort_order,
           operator = EXCLUDED.operator, reset_schedule = EXCLUDED.reset_schedule,
           next_reset_at = CASE WHEN EXCLUDED.reset_schedule IS NULL THEN NULL
                                ELSE COALESCE(leaderboards.next_reset_at, EXCLUDED.next_reset_at) END`,
        [
          def.id,
          def.title,
          def.order,
          def.operator,
          def.resetSchedule ?? null,
          def.resetSchedule === undefined ? null : nextResetOf(def.resetSchedule, now),
        ],
      );
    }
  }

  async boards(): Promise<Board[]> {
    return (await this.db.query<BoardRow>("SELECT * FROM leaderboards ORDER BY id")).map(toBoard);
  }

  /** The board as stored now; pass the open transaction when there is one (PGlite has a single connection). */
  async board(id: string, q: Queryable = this.db): Promise<Board | undefined> {
    const [row] = await q.query<BoardRow>("SELECT * FROM leaderboards WHERE id = $1", [id]);
    return row === undefined ? undefined : toBoard(row);
  }

  /** Applies the board's operator to the player's entry of the current season, in `tx`. Returns the new entry. */
  async submit(tx: Queryable, board: Board, playerId: string, value: number, at: Date): Promise<StoredEntry> {
    const [row] = await tx.query<{ score: number; updated_at: Date }>(
      `INSERT INTO leaderboard_entries AS e (board_id, season, player_id, score, updated_at)
       VALUES ($1, $2, $3, $4, $5)
       ON CONFLICT (board_id, season, player_id) DO UPDATE SET
         score = ${scoreExpression(board.operator, board.order)},
         updated_at = CASE WHEN ${scoreExpression(board.operator, board.order)} = e.score THEN e.updated_at
                           ELSE EXCLUDED.updated_at END
       RETURNING score, updated_at`,
      [board.id, board.season, playerId, value, at],
    );
    return { playerId, score: row!.score, at: row!.updated_at.getTime() };
  }

  async entries(boardId: string, season: number): Promise<StoredEntry[]> {
    const rows = await this.db.query<{ player_id: string; score: number; updated_at: Date }>(
      "SELECT player_id, score, updated_at FROM leaderboard_entries WHERE board_id = $1 AND season = $2",
      [boardId, season],
    );
    return rows.map((row) => ({ playerId: row.player_id, score: row.score, at: row.updated_at.getTime() }));
  }

  async entryCount(boardId: string, season: number): Promise<number> {
    const [row] = await this.db.query<{ n: number }>(
      "SELECT count(*)::int AS n FROM leaderboard_entries WHERE board_id = $1 AND season = $2",
      [boardId, season],
    );
    return row?.n ?? 0;
  }

  /**
   * Starts the next season if the board is still in `season` (compare-and-set): of several processes trying at
   * once, exactly one succeeds. The ended season's entries stay, archived under their season number.
   */
  async advanceSeason(boardId: string, season: number, startedAt: Date, nextResetAt: Date): Promise<boolean> {
    const changed = await this.db.execute(
      `UPDATE leaderboards SET season = season + 1, season_started_at = $3, next_reset_at = $4
       WHERE id = $1 AND season = $2`,
      [boardId, season, startedAt, nextResetAt],
    );
    return changed === 1;
  }

  async usernames(playerIds: readonly string[]): Promise<Map<string, string>> {
    if (playerIds.length === 0) return new Map();
    const rows = await this.db.query<{ id: string; username: string }>(
      "SELECT id, username FROM players WHERE id = ANY($1::text[])",
      [playerIds],
    );
    return new Map(rows.map((row) => [row.id, row.username]));
  }
}
