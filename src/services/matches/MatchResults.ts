/**
 * The MatchResult a finished arena emits, and the interface that receives it. The in-process implementation keeps
 * the results and notifies listeners; persistence and rating (the results issue) implement the same interface.
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
  players: MatchResultPlayer[];
}

/** Rating change per player, as far as the sink knows it (unchanged until ratings exist). */
export interface RatingChange {
  playerId: string;
  ratingBefore: number;
  ratingAfter: number;
}

export interface MatchResultSink {
  /** Records a result; called once per match. Returns the players' rating changes. */
  submit(result: MatchResult): Promise<RatingChange[]>;
}

/** Keeps results in memory (newest last, bounded) and tells listeners. Ratings are reported unchanged. */
export class InMemoryMatchResults implements MatchResultSink {
  readonly results: MatchResult[] = [];
  private readonly listeners = new Set<(result: MatchResult) => void>();

  constructor(
    private readonly ratingOf: (playerId: string) => Promise<number | undefined>,
    private readonly keep = 1000,
  ) {}

  onResult(listener: (result: MatchResult) => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  async submit(result: MatchResult): Promise<RatingChange[]> {
    this.results.push(result);
    if (this.results.length > this.keep) this.results.shift();
    for (const listener of this.listeners) listener(result);
    const changes: RatingChange[] = [];
    for (const player of result.players) {
      if (player.bot) continue;
      const rating = (await this.ratingOf(player.playerId)) ?? 0;
      changes.push({ playerId: player.playerId, ratingBefore: rating, ratingAfter: rating });
    }
    return changes;
  }
}
