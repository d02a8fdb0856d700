/**
 * The games this server runs: one line per game. The first is the default game (a `matchmaking` join without
 * `game` searches for it, and its rating is the account's top-level rating). docs/GAMES.md tells how to add one.
 */
import { GameRegistry } from "../services/games/GameDefinition.ts";
import { arena } from "./arena/index.ts";
import { connect4 } from "./connect4/index.ts";

export const GAMES = new GameRegistry([arena, connect4]);
