/** The JSON shapes of ../shared/API.md, built from store records at the edge. */
import type { PlayerJson, RatingJson } from "../protocol.ts";
import { type GameRegistry, ratingKeys } from "../services/games/GameDefinition.ts";
import type { PlayerRecord } from "../services/stores/PlayerStore.ts";
import { type PlayerRating, type RatingStore, STARTING_RATING } from "../services/stores/RatingStore.ts";

/** What anyone may see of a player: no secrets, no device id, no session, no moderation state. */
export type PublicProfileJson = Omit<PlayerJson, "currentSessionId"> & { createdAt: string };

/**
 * Builds `player` and the public profile. Both carry the player's ratings under every rating key of every
 * registered game, read when the view is built (one query), so they are never staler than the account row.
 */
export class PlayerViews {
  constructor(
    private readonly ratings: RatingStore,
    private readonly games: GameRegistry,
  ) {}

  async player(player: PlayerRecord): Promise<PlayerJson> {
    const stored = await this.ratings.ratingsOf(player.id);
    const ratings: Record<string, RatingJson> = {};
    for (const key of this.games.list().flatMap(ratingKeys))
      ratings[key] = ratingJson(stored.get(key) ?? STARTING_RATING);
    return {
      id: player.id,
      username: player.username,
      region: player.region,
      rating: player.rating,
      ratingDeviation: player.ratingDeviation,
      wins: player.wins,
      losses: player.losses,
      guest: player.passwordHash === null,
      currentSessionId: player.currentSessionId,
      ratings,
    };
  }

  async publicProfile(player: PlayerRecord): Promise<PublicProfileJson> {
    const { currentSessionId: _hidden, ...visible } = await this.player(player);
    return { ...visible, createdAt: player.createdAt.toISOString() };
  }
}

function ratingJson(rating: PlayerRating): RatingJson {
  return {
    rating: rating.rating,
    ratingDeviation: rating.ratingDeviation,
    wins: rating.wins,
    losses: rating.losses,
    draws: rating.draws,
  };
}
