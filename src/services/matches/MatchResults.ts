/**
 * The MatchResult a finished arena emits, and the interface that receives it (PersistentMatchResults stores it
 * with ratings and leaderboards).
 */
export interface MatchResultPlayer {
  playerId: string;
  username: string;
  team: number;
  bot: boolean;
  placement: number;
  kills: number;
  deaths: number;
}

export interface MatchResult {
  sessionId: string;
  mode: "duel" | "ffa" | "squad";
  region: string;
  seed: number;
  durationMs: number;
  startedAt: number;
  endedAt: number;
  /** False when any seat was a bot: such matches change no rating. */
  rated: boolean;
  /** The session epoch of the process that ran the match: a result from a fenced (superseded) process is refused. */
  epoch?: number;
  players: MatchResultPlayer[];
}

/** Rating change per player (unchanged for unrated matches). */
export interface RatingChange {
  playerId: string;
  ratingBefore: number;
  ratingAfter: number;
}

export interface MatchResultSink {
  /** Records a result; called once per match. Returns the players' rating changes. */
  submit(result: MatchResult): Promise<RatingChange[]>;
}
