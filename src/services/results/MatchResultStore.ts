/**
 * Match results in PostgreSQL, exactly once per session (the session id is the idempotency key), with the players'
 * ratings, wins, losses and draws under the match's rating key and their leaderboard scores updated in the same
 * transaction. A second delivery of the same result — a retry, or another process at the same moment — changes
 * nothing and returns the first outcome. What a result counts for comes from its game's definition: the rating key
 * (the game's, or the mode's when it is rated separately), the outcomes (its result policy), team rating (the mode
 * has fewer teams than players) and the boards it writes.
 */
import { rateMatch } from "../../logic/glicko2.ts";
import type { Database } from "../db/Database.ts";
import { type GameDefinition, type GameRegistry, gameOf, ratingBoard, ratingKey } from "../games/GameDefinition.ts";
import type { LeaderboardService, PendingRank } from "../leaderboards/LeaderboardService.ts";
import type { MatchResult, MatchResultPlayer, RatingChange } from "../matches/MatchResults.ts";
import { type RatingStore, type RatingUpdate, SqlRatingStore } from "../stores/RatingStore.ts";

/**
 * Why a result was not stored: `fenced` — another process took the match over (the result carries an older epoch);
 * `conflict` — the session already has a different result; `unregistered` — its game or mode is not registered on
 * this server (a game removed, or a process of another build): it cannot be rated, and is parked for an operator to
 * replay once the game is back rather than failing at every try.
 */
export type RefusalReason = "fenced" | "conflict" | "unregistered";

export interface RecordOutcome {
  /** False when the session's result was already stored (the same one again) or was refused. */
  recorded: boolean;
  /** Set when this result was refused: it is not the one stored, and nothing of it counts. */
  refused?: RefusalReason;
  changes: RatingChange[];
  /** Scores to publish to the rank index once committed (empty for duplicates). */
  ranks: PendingRank[];
}

export class MatchResultStore {
  constructor(
    private readonly db: Database,
    private readonly leaderboards: LeaderboardService,
    private readonly games: GameRegistry,
    private readonly ratings: RatingStore = new SqlRatingStore(db, games.defaultGame.id),
  ) {}

  async record(result: MatchResult): Promise<RecordOutcome> {
    const game = this.games.get(gameOf(result, this.games));
    const mode = game?.modes.find((m) => m.id === result.mode);
    if (game === undefined || mode === undefined) {
      return { recorded: false, refused: "unregistered", changes: [], ranks: [] };
    }
    const key = ratingKey(game, mode.id);
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
         VALUES ($1, $6, $2, $3, 'ended', $4, $5)
         ON CONFLICT (id) DO UPDATE SET status = 'ended', ended_at = COALESCE(game_sessions.ended_at, EXCLUDED.ended_at)`,
        [result.sessionId, result.mode, result.region, new Date(result.startedAt), new Date(result.endedAt), game.id],
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
        if (
          row?.result.result !== undefined &&
          outcomeOf(row.result.result, this.games) !== outcomeOf(result, this.games)
        ) {
          return { recorded: false, refused: "conflict", changes: [], ranks: [] };
        }
        return { recorded: false, changes: row?.result.changes ?? [], ranks: [] };
      }

      const humans = result.players.filter((p) => !p.bot);
      const before = await this.ratings.lockForUpdate(
        tx,
        humans.map((p) => p.playerId),
        key,
      );
      const changes: RatingChange[] = [];
      const ranks: PendingRank[] = [];
      const at = new Date(result.endedAt);
      if (result.rated) {
        // Players without an account row (deleted meanwhile) are left out of the rating, as before.
        const known = humans.filter((p) => before.has(p.playerId));
        const rated = rateMatch(
          known.map((p) => {
            const { rating, ratingDeviation: deviation, volatility } = before.get(p.playerId)!;
            return { id: p.playerId, team: p.team, placement: p.placement, rating: { rating, deviation, volatility } };
          }),
          mode.teams < mode.players,
        );
        const outcomes = this.games.outcomes(result);
        const updates: RatingUpdate[] = known.map((player) => {
          const next = rated.get(player.playerId)!;
          return {
            playerId: player.playerId,
            rating: next.rating,
            ratingDeviation: next.deviation,
            volatility: next.volatility,
            outcome: outcomes.get(player.playerId) ?? "loss",
          };
        });
        await this.ratings.update(tx, key, updates, at);
        for (const [i, player] of known.entries()) {
          const update = updates[i]!;
          changes.push({
            playerId: player.playerId,
            ratingBefore: before.get(player.playerId)!.rating,
            ratingAfter: update.rating,
          });
          for (const [board, score] of this.scores(game, key, player, result, update.rating)) {
            ranks.push(await this.leaderboards.submit(tx, board, player.playerId, score, at));
          }
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

  /**
   * The boards one human player's rated result writes, with the score: `rating:<key>` always, the historic `rating`
   * board too when the key is the default game's (the account's top-level rating), and each board the game
   * declares for this mode whose score function gives a value for the player.
   */
  private scores(
    game: GameDefinition,
    key: string,
    player: MatchResultPlayer,
    result: MatchResult,
    rating: number,
  ): Array<[string, number]> {
    const scores: Array<[string, number]> = [];
    if (key === this.games.defaultGame.id) scores.push(["rating", rating]);
    scores.push([ratingBoard(key), rating]);
    for (const board of game.boards ?? []) {
      if (board.modes !== undefined && !board.modes.includes(result.mode)) continue;
      const score = board.score(player, result);
      if (score !== undefined) scores.push([board.id, score]);
    }
    return scores;
  }
}

/** The fields every result player has; the others are the game's own figures (the arena's kills and deaths). */
const CORE_FIELDS = new Set(["playerId", "username", "team", "bot", "placement", "outcome"]);

/**
 * What a result says happened (its game, epoch, and each player's team, placement and every figure of the game),
 * comparable as a string. The username (which can change) and the outcome (derived from the rest) are left out.
 */
function outcomeOf(result: MatchResult, games: GameRegistry): string {
  const players = result.players
    .map((p) => {
      const stats = Object.keys(p)
        .filter((field) => !CORE_FIELDS.has(field) && p[field] !== undefined)
        .sort()
        .map((field) => [field, p[field]]);
      return [p.playerId, p.team, p.placement, stats] as const;
    })
    .sort((x, y) => x[0].localeCompare(y[0]));
  return JSON.stringify([gameOf(result, games), result.epoch ?? null, players]);
}
