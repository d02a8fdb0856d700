/**
 * Match results in PostgreSQL, exactly once per session (the session id is the idempotency key), with the players'
 * rating, wins and losses and their leaderboard scores updated in the same transaction. A second delivery of the
 * same result — a retry, or another process at the same moment — changes nothing and returns the first outcome.
 */
import { DEFAULT_RATING, rateMatch } from "../../logic/glicko2.ts";
import type { Database } from "../db/Database.ts";
import type { LeaderboardService, PendingRank } from "../leaderboards/LeaderboardService.ts";
import type { MatchResult, RatingChange } from "../matches/MatchResults.ts";

/**
 * Why a result was not stored: `fenced` — another process took the match over (the result carries an older epoch);
 * `conflict` — the session already has a different result.
 */
export type RefusalReason = "fenced" | "conflict";

export interface RecordOutcome {
  /** False when the session's result was already stored (the same one again) or was refused. */
  recorded: boolean;
  /** Set when this result was refused: it is not the one stored, and nothing of it counts. */
  refused?: RefusalReason;
  changes: RatingChange[];
  /** Scores to publish to the rank index once committed (empty for duplicates). */
  ranks: PendingRank[];
}

interface PlayerRatingRow {
  id: string;
  rating: number;
  rating_deviation: number;
  volatility: number;
}

export class MatchResultStore {
  constructor(
    private readonly db: Database,
    private readonly leaderboards: LeaderboardService,
  ) {}

  async record(result: MatchResult): Promise<RecordOutcome> {
    return this.db.transaction(async (tx): Promise<RecordOutcome> => {
      if (result.epoch !== undefined) {
        const [session] = await tx.query<{ epoch: number }>(
          "SELECT epoch FROM game_sessions WHERE id = $1 FOR UPDATE",
          [result.sessionId],
        );
        // Another process took this match over: this result comes from a stalled process and must not count.
        if (session !== undefined && session.epoch !== result.epoch) {
          return { recorded: false, refused: "fenced", changes: [], ranks: [] };
        }
      }
      await tx.execute(
        `INSERT INTO game_sessions (id, game_type, mode, region, status, started_at, ended_at)
         VALUES ($1, 'arena', $2, $3, 'ended', $4, $5)
         ON CONFLICT (id) DO UPDATE SET status = 'ended', ended_at = COALESCE(game_sessions.ended_at, EXCLUDED.ended_at)`,
        [result.sessionId, result.mode, result.region, new Date(result.startedAt), new Date(result.endedAt)],
      );
      const inserted = await tx.execute(
        `INSERT INTO match_results (session_id, mode, region, rated, duration_ms, seed, result)
         VALUES ($1, $2, $3, $4, $5, $6, $7) ON CONFLICT (session_id) DO NOTHING`,
        [
          result.sessionId,
          result.mode,
          result.region,
          result.rated,
          result.durationMs,
          result.seed,
          JSON.stringify({ result, changes: [] }),
        ],
      );
      if (inserted === 0) {
        const [row] = await tx.query<{ result: { result?: MatchResult; changes: RatingChange[] } }>(
          "SELECT result FROM match_results WHERE session_id = $1",
          [result.sessionId],
        );
        // The same result again (a retry, a second drain) is a duplicate; a different one must not pass unnoticed.
        if (row?.result.result !== undefined && outcomeOf(row.result.result) !== outcomeOf(result)) {
          return { recorded: false, refused: "conflict", changes: [], ranks: [] };
        }
        return { recorded: false, changes: row?.result.changes ?? [], ranks: [] };
      }

      const humans = result.players.filter((p) => !p.bot);
      const ids = humans.map((p) => p.playerId).sort();
      // Locked in id order, so two results sharing players cannot deadlock.
      const rows = await tx.query<PlayerRatingRow>(
        "SELECT id, rating, rating_deviation, volatility FROM players WHERE id = ANY($1::text[]) ORDER BY id FOR UPDATE",
        [ids],
      );
      const before = new Map(
        rows.map((row) => [
          row.id,
          { rating: row.rating, deviation: row.rating_deviation, volatility: row.volatility },
        ]),
      );
      const changes: RatingChange[] = [];
      const ranks: PendingRank[] = [];
      const at = new Date(result.endedAt);
      if (result.rated) {
        const rated = rateMatch(
          humans
            .filter((p) => before.has(p.playerId))
            .map((p) => ({
              id: p.playerId,
              team: p.team,
              placement: p.placement,
              rating: before.get(p.playerId) ?? DEFAULT_RATING,
            })),
          result.mode === "squad",
        );
        for (const player of humans) {
          const next = rated.get(player.playerId);
          const previous = before.get(player.playerId);
          if (next === undefined || previous === undefined) continue;
          const won = player.placement === 1;
          await tx.execute(
            `UPDATE players SET rating = $2, rating_deviation = $3, volatility = $4,
               wins = wins + $5, losses = losses + $6 WHERE id = $1`,
            [player.playerId, next.rating, next.deviation, next.volatility, won ? 1 : 0, won ? 0 : 1],
          );
          changes.push({ playerId: player.playerId, ratingBefore: previous.rating, ratingAfter: next.rating });
          ranks.push(await this.leaderboards.submit(tx, "rating", player.playerId, next.rating, at));
          ranks.push(
            await this.leaderboards.submit(tx, `kills:${result.mode}`, player.playerId, Number(player.kills), at),
          );
        }
      } else {
        for (const player of humans) {
          const rating = before.get(player.playerId)?.rating;
          if (rating !== undefined)
            changes.push({ playerId: player.playerId, ratingBefore: rating, ratingAfter: rating });
        }
      }
      await tx.execute("UPDATE match_results SET result = $2 WHERE session_id = $1", [
        result.sessionId,
        JSON.stringify({ result, changes }),
      ]);
      return { recorded: true, changes, ranks };
    });
  }
}

/** What a result says happened (epoch and each player's team, placement, kills, deaths), comparable as a string. */
function outcomeOf(result: MatchResult): string {
  const players = result.players
    .map((p) => [p.playerId, p.team, p.placement, p.kills, p.deaths] as const)
    .sort((x, y) => x[0].localeCompare(y[0]));
  return JSON.stringify([result.epoch ?? null, players]);
}
