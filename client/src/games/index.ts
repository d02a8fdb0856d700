/**
 * The games this client can show, by game id (which is also the name of the game's room): the lobby offers only
 * these, and a joined room is shown by the view of its name. Adding a game to the client is one folder and one
 * line here, plus its `#view-<id>` markup in index.html.
 */
import { arena } from "./arena/index.ts";
import { connect4 } from "./connect4/index.ts";
import type { GameClient } from "./GameView.ts";

export const GAME_CLIENTS: ReadonlyMap<string, GameClient> = new Map([arena, connect4].map((game) => [game.id, game]));
