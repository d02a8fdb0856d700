/**
 * The arena shooter's definition: the reference real-time game. Three modes, bot fill, weekly kill boards per mode;
 * its rating is the account's top-level rating (it is the default game, registered first in src/games/index.ts).
 */
import { MatchChatMessage, InputMessage } from "../../protocol.ts";
import { ArenaRoom } from "./ArenaRoom.ts";
import type { BoardDeclaration, GameDefinition } from "../../services/games/GameDefinition.ts";

const MODES = ["duel", "ffa", "squad"] as const;

const killBoards: BoardDeclaration[] = MODES.map((mode) => ({
  id: `kills:${mode}`,
  title: `Kills this week (${mode})`,
  order: "desc",
  operator: "incr",
  resetSchedule: "0 0 * * 1",
  modes: [mode],
  score: (player) => (typeof player.kills === "number" ? player.kills : undefined),
}));

export const arena: GameDefinition = {
  id: "arena",
  title: "Arena",
  room: ArenaRoom,
  modes: [
    { id: "duel", title: "Duel", players: 2, teams: 2, botFill: true },
    { id: "ffa", title: "Free for all", players: 4, teams: 4, botFill: true },
    { id: "squad", title: "Squads (2 v 2)", players: 4, teams: 2, balanceTeams: true, botFill: true },
  ],
  boards: killBoards,
  messages: { input: InputMessage, chat: MatchChatMessage },
};
