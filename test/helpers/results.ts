/** Match results for the result-store and journal suites. */
import type { MatchResult } from "../../src/services/matches/MatchResults.ts";
import type { Registered } from "./server.ts";

/**
 * A rated one-minute duel that `winner` won `kills[0]` to `kills[1]` (deaths are 5 less kills), ending now.
 * `over` replaces any field (the session id, an epoch, a broken value).
 */
export function duelResult(
  sessionId: string,
  winner: Registered,
  loser: Registered,
  kills: readonly [number, number],
  over: Partial<MatchResult> = {},
): MatchResult {
  const now = Date.now();
  const player = (who: Registered, team: number, placement: number, playerKills: number) => ({
    playerId: who.player.id,
    username: who.player.username,
    team,
    bot: false,
    placement,
    kills: playerKills,
    deaths: 5 - playerKills,
  });
  return {
    sessionId,
    mode: "duel",
    region: "local",
    seed: 1,
    durationMs: 60_000,
    startedAt: now - 60_000,
    endedAt: now,
    rated: true,
    players: [player(winner, 0, 1, kills[0]), player(loser, 1, 2, kills[1])],
    ...over,
  };
}
