/**
 * Connect Four's synchronised state (the contract in docs/GAMES.md and ../shared/API.md). Field order is the wire
 * contract: append, never reorder.
 */
import { ArraySchema, MapSchema, Schema, type } from "@colyseus/schema";
import { CELLS } from "./rules.ts";

export class Connect4Player extends Schema {
  @type("string") playerId = "";
  @type("string") username = "";
  /** 1 or 2: the seat's pieces on the board. Seat 1 moves first. */
  @type("uint8") seat = 0;
  @type("boolean") bot = false;
  /** False while the player's connection is dropped (its seat is held for reconnection) or after it left. */
  @type("boolean") connected = true;
}

export class Connect4State extends Schema {
  /** "waiting" (for the players), "active", "ended". */
  @type("string") phase = "waiting";
  /** 42 cells, row-major from the top-left: 0 empty, 1 or 2 the seat that played there. */
  @type(["uint8"]) board = new ArraySchema<number>(...new Array<number>(CELLS).fill(0));
  /** The seat to move. */
  @type("uint8") turn = 1;
  /** Time left for the move, rounded up to the whole second (it changes once a second). */
  @type("uint32") turnTimeLeftMs = 0;
  /** Players by sessionId (bots by their playerId). */
  @type({ map: Connect4Player }) players = new MapSchema<Connect4Player>();
  /** 0 while the game runs, 1 or 2 the winning seat, 3 a draw. */
  @type("uint8") winner = 0;
}
