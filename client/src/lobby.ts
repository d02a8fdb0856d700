/**
 * The lobby's game picker, without the DOM: which games to offer (those the server lists and this client can
 * show), how a mode reads, and the own rating in the chosen game. Tested in test/client/lobby.test.ts.
 */
import type { GameInfo, GameMode, Player } from "@arena/sdk";

/**
 * What a server without `GET /games` (before games were plug-ins) runs: the arena and its three modes. The lobby
 * then searches without a `game` option, as it always did.
 */
export const FALLBACK_GAMES: readonly GameInfo[] = [
  {
    id: "arena",
    title: "Arena",
    modes: [
      { id: "duel", players: 2, teams: 2 },
      { id: "ffa", players: 4, teams: 4 },
      { id: "squad", players: 4, teams: 2 },
    ],
  },
];

/** "duel (1v1)", "ffa (free-for-all, 4)", "squad (2v2)": the mode id and its seats. */
export function modeLabel(mode: GameMode): string {
  let seats: string;
  if (mode.teams === mode.players && mode.players > 2) seats = `free-for-all, ${mode.players}`;
  else if (mode.teams > 1 && mode.players % mode.teams === 0) {
    seats = new Array<number>(mode.teams).fill(mode.players / mode.teams).join("v");
  } else seats = `${mode.players} player${mode.players === 1 ? "" : "s"}`;
  return `${mode.id} (${seats})`;
}

/** The server's games that this client has a view for, in the server's order (its default game first). */
export function playableGames(games: readonly GameInfo[], views: ReadonlySet<string>): GameInfo[] {
  return games.filter((game) => views.has(game.id) && Array.isArray(game.modes) && game.modes.length > 0);
}

/**
 * The own standing in `game` and `mode`: `ratings["<game>:<mode>"]` for a mode rated on its own, else
 * `ratings[game]`, when the server sends ratings per game; without them (an older server) the top-level rating,
 * which is the default game's; otherwise nothing is known yet.
 */
export function ratingLine(player: Player, game: string, mode: string, defaultGame: string): string {
  const entry = player.ratings?.[`${game}:${mode}`] ?? player.ratings?.[game];
  if (entry !== undefined) {
    return `rating ${Math.round(entry.rating)} · ${entry.wins} W ${entry.losses} L ${entry.draws} D`;
  }
  if (player.ratings === undefined && game === defaultGame) {
    return `rating ${Math.round(player.rating)} · ${player.wins} W ${player.losses} L`;
  }
  return "no rated games yet";
}
