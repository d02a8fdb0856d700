/**
 * Players' ratings per rating key (a game's id, or `<game>:<mode>` for a mode rated on its own; see
 * GameDefinition.ratingKey). The default game's key lives in the players columns — the account's top-level rating,
 * as it was before games were plug-ins — and every other key in `player_ratings`, a row per player and key created
 * by the first rated match under that key. A player without a row has the starting rating (1500 ± 350).
 */
import { DEFAULT_RATING } from "../../logic/glicko2.ts";
import type { Queryable } from "../db/Database.ts";
import type { Outcome } from "../games/GameDefinition.ts";

/** One player's standing under one rating key. */
export interface PlayerRating {
  rating: number;
  ratingDeviation: number;
  volatility: number;
  wins: number;
  losses: number;
  draws: number;
}

/** Where a player starts under every key. */
export const STARTING_RATING: Readonly<PlayerRating> = {
  rating: DEFAULT_RATING.rating,
  ratingDeviation: DEFAULT_RATING.deviation,
  volatility: DEFAULT_RATING.volatility,
  wins: 0,
  losses: 0,
  draws: 0,
};

/** A player's new rating after one match, and the outcome counted with it. */
export interface RatingUpdate {
  playerId: string;
  rating: number;
  ratingDeviation: number;
  volatility: number;
  outcome: Outcome;
}

export interface RatingStore {
  /**
   * Locks the players' rows (in id order, so two results sharing players cannot deadlock, whatever their games)
   * and reads their ratings under `key` in `tx`. Players that do not exist are absent from the map; existing
   * players without a rating under the key get {@link STARTING_RATING}.
   */
  lockForUpdate(tx: Queryable, playerIds: readonly string[], key: string): Promise<Map<string, PlayerRating>>;
  /** Writes the new ratings under `key` in `tx` and counts each outcome; call after {@link lockForUpdate}. */
  update(tx: Queryable, key: string, updates: readonly RatingUpdate[], at: Date): Promise<void>;
  /** Every rating key the player has a rating under (the default game's always, once the player exists). */
  ratingsOf(playerId: string): Promise<Map<string, PlayerRating>>;
  /** The player's rating under `key` (the matchmaker searches by it); the starting rating when there is none. */
  ratingOf(playerId: string, key: string): Promise<PlayerRating>;
}

interface RatingRow {
  rating_key: string;
  player_id: string;
  rating: number;
  rating_deviation: number;
  volatility: number;
  wins: number;
  losses: number;
  draws: number;
}

const COLUMNS = "rating, rating_deviation, volatility, wins, losses, draws";

function toRating(row: RatingRow): PlayerRating {
  return {
    rating: row.rating,
    ratingDeviation: row.rating_deviation,
    volatility: row.volatility,
    wins: row.wins,
    losses: row.losses,
    draws: row.draws,
  };
}

/** Counts of one outcome, as SQL parameters (wins, losses, draws). */
function counts(outcome: Outcome): [number, number, number] {
  return [outcome === "win" ? 1 : 0, outcome === "loss" ? 1 : 0, outcome === "draw" ? 1 : 0];
}

export class SqlRatingStore implements RatingStore {
  constructor(
    private readonly db: Queryable,
    /** The default game's rating key: the one kept in the players columns. */
    private readonly defaultKey: string,
  ) {}

  async lockForUpdate(tx: Queryable, playerIds: readonly string[], key: string): Promise<Map<string, PlayerRating>> {
    const ids = [...new Set(playerIds)].sort();
    const players = await tx.query<RatingRow>(
      `SELECT id AS player_id, ${COLUMNS} FROM players WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE`,
      [ids],
    );
    if (key === this.defaultKey) return new Map(players.map((row) => [row.player_id, toRating(row)]));
    // The players' rows are locked: no other result can change these players' ratings under any key meanwhile.
    const rows = await tx.query<RatingRow>(
      `SELECT player_id, ${COLUMNS} FROM player_ratings WHERE player_id = ANY($1::text[]) AND rating_key = $2`,
      [ids, key],
    );
    const stored = new Map(rows.map((row) => [row.player_id, toRating(row)]));
    return new Map(players.map((row) => [row.player_id, stored.get(row.player_id) ?? { ...STARTING_RATING }]));
  }

  async update(tx: Queryable, key: string, updates: readonly RatingUpdate[], at: Date): Promise<void> {
    for (const update of updates) {
      const values = [
        update.playerId,
        update.rating,
        update.ratingDeviation,
        update.volatility,
        ...counts(update.outcome),
      ];
      if (key === this.defaultKey) {
        await tx.execute(
          `UPDATE players SET rating = $2, rating_deviation = $3, volatility = $4,
             wins = wins + $5, losses = losses + $6, draws = draws + $7 WHERE id = $1`,
          values,
        );
        continue;
      }
      await tx.execute(
        `INSERT INTO player_ratings AS r (player_id, rating_key, ${COLUMNS}, updated_at)
         VALUES ($1, $8, $2, $3, $4, $5, $6, $7, $9)
         ON CONFLICT (player_id, rating_key) DO UPDATE SET rating = EXCLUDED.rating,
           rating_deviation = EXCLUDED.rating_deviation, volatility = EXCLUDED.volatility,
           wins = r.wins + EXCLUDED.wins, losses = r.losses + EXCLUDED.losses, draws = r.draws + EXCLUDED.draws,
           updated_at = EXCLUDED.updated_at`,
        [...values, key, at],
      );
    }
  }

  async ratingsOf(playerId: string): Promise<Map<string, PlayerRating>> {
    const rows = await this.db.query<RatingRow>(
      `SELECT $2::text AS rating_key, id AS player_id, ${COLUMNS} FROM players WHERE id = $1
       UNION ALL
       SELECT rating_key, player_id, ${COLUMNS} FROM player_ratings WHERE player_id = $1 AND rating_key <> $2`,
      [playerId, this.defaultKey],
    );
    return new Map(rows.map((row) => [row.rating_key, toRating(row)]));
  }

  async ratingOf(playerId: string, key: string): Promise<PlayerRating> {
    const [row] =
      key === this.defaultKey
        ? await this.db.query<RatingRow>(`SELECT ${COLUMNS} FROM players WHERE id = $1`, [playerId])
        : await this.db.query<RatingRow>(
            `SELECT ${COLUMNS} FROM player_ratings WHERE player_id = $1 AND rating_key = $2`,
            [playerId, key],
          );
    return row === undefined ? { ...STARTING_RATING } : toRating(row);
  }
}
