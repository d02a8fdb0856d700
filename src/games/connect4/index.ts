/**
 * Connect Four's definition: a turn-based duel on a 7 × 6 board, rated per game (`rating:connect4`), with bot fill.
 */
import type { GameDefinition } from "../../services/games/GameDefinition.ts";
import { Connect4Room } from "./Connect4Room.ts";
import { Connect4Message, MoveMessage } from "./protocol.ts";

export const connect4: GameDefinition = {
  id: "connect4",
  title: "Connect Four",
  room: Connect4Room,
  modes: [{ id: "duel", title: "Duel", players: 2, teams: 2, botFill: true }],
  messages: { [Connect4Message.Move]: MoveMessage },
};
