/**
 * Typed rooms: a game describes its wire protocol as a type, and the SDK checks `send`, `onMessage` and `state`
 * against it. The SDK names no game; each game's protocol module exports its type (type-only), e.g.
 * `export type Connect4Protocol = { state: Connect4State; client: { move: MoveMessage }; server: {} }`.
 */
import type { MatchChatChannel, MatchChatLine, MatchEnd, RoomError } from "./types.ts";

/** What a game's protocol type gives. */
export interface GameProtocol {
  /** The synchronised state as the client sees it (the game's schema class, imported as a type). */
  state: unknown;
  /** Client → server messages of the game, by name. */
  client: object;
  /** Server → client messages of the game, by name (besides the framework's `chat`, `matchEnd`, `error`). */
  server: object;
  /** Columns the game adds to its `matchEnd` rows (Connect Four: `seat`, `moves`). */
  result?: object;
}

/** The protocol of a game the caller does not type: anything goes. */
export interface UntypedProtocol extends GameProtocol {
  // biome-ignore lint/suspicious/noExplicitAny: the untyped default accepts every state.
  state: any;
  client: Record<string, unknown>;
  server: Record<string, unknown>;
}

/** Client → server messages every match room takes. */
export interface FrameworkClientMessages {
  chat: { channel: MatchChatChannel; text: string };
}

/** The columns a protocol adds to `matchEnd` rows. */
export type ResultExtra<P extends GameProtocol> = P extends { result: infer R } ? R : unknown;

/** Server → client messages every match room sends. */
export interface FrameworkServerMessages<P extends GameProtocol> {
  chat: MatchChatLine;
  matchEnd: MatchEnd<ResultExtra<P>>;
  error: RoomError;
}

export type ClientMessages<P extends GameProtocol> = FrameworkClientMessages & P["client"];
export type ServerMessages<P extends GameProtocol> = FrameworkServerMessages<P> & P["server"];
