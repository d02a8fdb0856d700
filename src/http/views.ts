/** The JSON shapes of ../shared/API.md, built from store records at the edge. */
import type { PlayerJson } from "../protocol.ts";
import type { PlayerRecord } from "../services/stores/PlayerStore.ts";

export function playerJson(player: PlayerRecord): PlayerJson {
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
  };
}

/** What anyone may see of a player: no secrets, no device id, no session, no moderation state. */
export function publicProfile(player: PlayerRecord): Omit<PlayerJson, "currentSessionId"> & { createdAt: string } {
  const { currentSessionId: _hidden, ...visible } = playerJson(player);
  return { ...visible, createdAt: player.createdAt.toISOString() };
}
