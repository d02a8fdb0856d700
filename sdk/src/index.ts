/**
 * @arena/sdk: the typed client of the arena game server framework, on @colyseus/sdk 0.18.
 * README.md has the overview; docs/CLIENT.md in the repository the details.
 */
export { backoffMs } from "./backoff.ts";
export { LobbyChat, type LobbyChatEvents } from "./chat.ts";
export {
  ArenaClient,
  type ArenaClientEvents,
  type ArenaClientOptions,
  type FindMatchOptions,
  type RequestOptions,
  type SignOutReason,
} from "./client.ts";
export { ApiError, RoomClosedError, SearchCancelledError } from "./errors.ts";
export { Emitter, type Listener } from "./events.ts";
export { MatchHandle, type MatchEvents, type MatchOutcome, SearchHandle, type SearchEvents } from "./match.ts";
export type {
  ClientMessages,
  FrameworkClientMessages,
  FrameworkServerMessages,
  GameProtocol,
  ResultExtra,
  ServerMessages,
  UntypedProtocol,
} from "./protocol.ts";
export { LocalStorage, MemoryStorage, type StorageKey, type TokenStorage, type WebStorageLike } from "./storage.ts";
export type * from "./types.ts";
export { CloseCode, ErrorCode, FrameworkClientMessage, FrameworkRoom, RoomErrorCode, ServerMessage } from "./wire.ts";
