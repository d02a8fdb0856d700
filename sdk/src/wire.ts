/**
 * The wire constants every client needs at run time: the framework's room names, message names, error codes and
 * close codes. This module is their one definition: the server's protocol module (src/protocol.ts) imports and
 * re-exports it, so client and server cannot drift apart. It imports nothing, so the SDK builds on its own and
 * browsers bundle it as is. Renaming anything here breaks clients.
 */

/** The framework's rooms (each game's match room is named after the game's id, from `GET /games`). */
export const FrameworkRoom = {
  Matchmaking: "matchmaking",
  Chat: "chat",
} as const;

/** Error codes of HTTP bodies (`{error:{code,message}}`) and of room `error` messages. */
export const ErrorCode = {
  InvalidInput: "INVALID_INPUT",
  Unauthorized: "UNAUTHORIZED",
  Forbidden: "FORBIDDEN",
  NotFound: "NOT_FOUND",
  Conflict: "CONFLICT",
  PayloadTooLarge: "PAYLOAD_TOO_LARGE",
  RateLimited: "RATE_LIMITED",
  Internal: "INTERNAL",
  Unavailable: "UNAVAILABLE",
  /** Every process is at MAX_CCU (HTTP matchmaking answers 503 with this in the message). */
  ServerFull: "SERVER_FULL",
  /** The request's Origin is not in ALLOWED_ORIGINS. */
  OriginNotAllowed: "ORIGIN_NOT_ALLOWED",
  /** The player already holds MAX_CONNECTIONS_PER_PLAYER room connections (429; the message starts with the code). */
  TooManyConnections: "TOO_MANY_CONNECTIONS",
} as const;
export type ErrorCode = (typeof ErrorCode)[keyof typeof ErrorCode];

/** Codes of the room `error` message `{code, message}` (sent to the one client whose message was refused). */
export const RoomErrorCode = {
  InvalidMessage: "INVALID_MESSAGE",
  Flood: "FLOOD",
  Spam: "SPAM",
  Muted: "MUTED",
  Internal: "INTERNAL",
  /** Redis or the database did not answer (an outage): the message was not handled; send it again later. */
  Unavailable: "UNAVAILABLE",
  /** A match was formed but no server of its region has room (MAX_ROOMS/MAX_CCU); the search goes on. */
  RegionFull: "REGION_FULL",
} as const;
export type RoomErrorCode = (typeof RoomErrorCode)[keyof typeof RoomErrorCode];

/**
 * WebSocket close codes the server uses. 4000-4010 are Colyseus' own and keep their meaning; 41xx are this
 * project's. Clients branch on them: 4001 and 4010 mean "reconnect" (for a match: `POST /sessions/:id/rejoin`).
 */
export const CloseCode = {
  /** The client left on purpose (Colyseus CONSENTED). */
  NormalLeave: 4000,
  /** The process is shutting down; reconnect, the match continues elsewhere (Colyseus SERVER_SHUTDOWN). */
  ServerShutdown: 4001,
  /** An unexpected server error closed this connection (Colyseus WITH_ERROR). */
  ServerError: 4002,
  /** Reconnect now: same meaning as ServerShutdown, sent when the client should retry at once (Colyseus). */
  MayTryReconnect: 4010,
  /** Kicked: too many messages per second. */
  KickedFlood: 4101,
  /** Kicked: repeated invalid messages or inputs (strikes exhausted). */
  KickedInvalidInput: 4102,
  /** The access token expired or was revoked (logout); refresh and join again. */
  TokenRevoked: 4103,
  /** The player is banned; do not reconnect. */
  Banned: 4104,
  /** The match is over; the `matchEnd` message carried the results. */
  MatchEnded: 4105,
  /** Too few players took their seats: the match is off; search again (the waiting time so far is kept). */
  MatchCancelled: 4106,
} as const;
export type CloseCode = (typeof CloseCode)[keyof typeof CloseCode];

/** Client → server message names of the framework's rooms (a game's own messages are in its protocol module). */
export const FrameworkClientMessage = {
  /** Match chat (every game's room). */
  Chat: "chat",
  /** Lobby chat (`chat` room). */
  Message: "message",
} as const;

/** Server → client message names. */
export const ServerMessage = {
  Status: "status",
  Seat: "seat",
  Chat: "chat",
  MatchEnd: "matchEnd",
  History: "history",
  Message: "message",
  Error: "error",
} as const;
