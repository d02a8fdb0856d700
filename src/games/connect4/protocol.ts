/**
 * Connect Four's messages: what a client sends (`move`) and the refusal codes of its `error` messages. Clients
 * import this module with the framework's src/protocol.ts.
 */
import { z } from "zod";
import type { Connect4State } from "./Connect4State.ts";
import { COLUMNS } from "./rules.ts";

export const Connect4Message = { Move: "move" } as const;

/** `move {column}`: the column to drop a piece in, 0 (left) to 6. */
export const MoveMessage = z.object({
  column: z
    .number()
    .int()
    .min(0)
    .max(COLUMNS - 1),
});
export type MoveMessage = z.infer<typeof MoveMessage>;

/** `error` codes of a refused move (besides the framework's INVALID_MESSAGE for a malformed one). */
export const Connect4ErrorCode = {
  NotYourTurn: "NOT_YOUR_TURN",
  ColumnFull: "COLUMN_FULL",
} as const;

/**
 * Connect Four's protocol for the typed SDK (`arena.findMatch<Connect4Protocol>({game: "connect4", mode: "duel"})`):
 * the state clients see, what they send, and the columns its `matchEnd` rows add. Type-only: importing it pulls
 * nothing of the server into a client bundle.
 */
export type Connect4Protocol = {
  state: Connect4State;
  client: { [Connect4Message.Move]: MoveMessage };
  server: Record<never, never>;
  result: { seat: number; moves: number };
};
