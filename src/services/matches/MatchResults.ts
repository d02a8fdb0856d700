/**
 * The MatchResult a finished match emits, whatever its game, and the interface that receives it
 * (PersistentMatchResults stores it with ratings and leaderboards under its game's result policy).
 */
export interface MatchResultPlayer {
  playerId: string;
  username: string;
  team: number;
  bot: boolean;
  /** 1 = best; equal placements tie. The result policy derives wins, losses and draws from them by default. */
  placement: number;
  /** Set by the room from its game's result policy; the store derives it again (the policy is the truth). */
  outcome?: "win" | "loss" | "draw";
  /** The game's own figures for this player (the arena's kills and deaths): numbers its boards may score. */
  [stat: string]: string | number | boolean | undefined;
}

export interface MatchResult {
  sessionId: string;
  /** The game's id; results journaled before games were plug-ins have none: the default game's. */
  game?: string;
  mode: string;
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
