/**
 * The arena's protocol for the typed SDK (`arena.findMatch<ArenaProtocol>({game: "arena", mode: "duel"})`): the
 * state clients see (filtered per client, docs/GAME.md), what they send, and the columns its `matchEnd` rows add.
 * Type-only; the messages' names and schemas are in the framework's src/protocol.ts (the arena came first).
 */
import type { InputMessage, MatchChatMessage } from "../../protocol.ts";
import type { ArenaState } from "./ArenaState.ts";

export type ArenaProtocol = {
  state: ArenaState;
  client: { input: InputMessage; chat: MatchChatMessage };
  server: Record<never, never>;
  result: { kills: number; deaths: number };
};
