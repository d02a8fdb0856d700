/** The JSON shapes of the HTTP contract (docs/API.md) and of the framework's room messages. */
import type { RoomErrorCode } from "./wire.ts";

/** A player's standing under one rating key (a game's id, or `<game>:<mode>` for a mode rated on its own). */
export interface Rating {
  rating: number;
  ratingDeviation: number;
  wins: number;
  losses: number;
  draws: number;
}

/** `player`: what /auth, GET /players/me and PATCH /players/me answer. */
export interface Player {
  id: string;
  username: string;
  region: string;
  /** The default game's rating (as are wins and losses). */
  rating: number;
  ratingDeviation: number;
  wins: number;
  losses: number;
  guest: boolean;
  /** The live match the player is in (rejoin it with `client.rejoin(id)`), or null. */
  currentSessionId: string | null;
  /** By rating key; may be missing on servers from before games were plug-ins. */
  ratings?: Record<string, Rating>;
}

/** GET /players/:id: the public profile (no secrets, no current session). */
export interface PublicProfile extends Omit<Player, "currentSessionId"> {
  createdAt: string;
}

/** The token pair of /auth/* and /auth/refresh; `expiresIn` in seconds. */
export interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface AuthAnswer extends Tokens {
  player: Player;
}

export interface GameMode {
  id: string;
  players: number;
  teams: number;
}

/** A game the server runs (GET /games), the default game first. */
export interface GameInfo {
  id: string;
  title: string;
  modes: GameMode[];
}

export interface Board {
  id: string;
  title: string;
  order: "asc" | "desc";
  operator: string;
  resetSchedule?: string;
  season?: number;
  nextResetAt?: string;
}

export interface BoardEntry {
  rank: number;
  playerId: string;
  username: string;
  score: number;
}

export interface BoardPage {
  entries: BoardEntry[];
  total: number;
}

export interface BoardRank {
  rank: number;
  score: number;
}

export type SessionStatus = "waiting" | "active" | "ended";

/** `session`: a match (its id is the match room's roomId). */
export interface Session {
  id: string;
  gameType: string;
  mode: string;
  region: string;
  serverId: string;
  status: SessionStatus;
  createdAt: string;
  startedAt: string | null;
  endedAt: string | null;
  players: Array<{ playerId: string; username: string; team?: number }>;
}

/** A seat reservation (`seat` of matchmaking and of POST /sessions/:id/rejoin), for the Colyseus SDK. */
export interface Seat {
  name: string;
  roomId: string;
  sessionId: string;
  processId?: string;
  publicAddress?: string;
  reconnectionToken?: string;
  [key: string]: unknown;
}

/** `status` of the matchmaking room, at least once a second while searching. */
export interface SearchStatus {
  waitedMs: number;
  ratingWindow: number;
  queued: number;
}

/** A room's `error` message: a refused message (the game's own codes besides the framework's). */
export interface RoomError {
  code: RoomErrorCode | (string & {});
  message: string;
}

/** A lobby chat line (`chat` room: `history` and `message`). */
export interface LobbyChatLine {
  id: string;
  from: string;
  username: string;
  text: string;
  at: number;
}

export type MatchChatChannel = "all" | "team";

/** A match chat line (`chat` in every game's room). */
export interface MatchChatLine {
  from: string;
  username: string;
  channel: MatchChatChannel;
  text: string;
  at: number;
}

export type Outcome = "win" | "loss" | "draw";

/** One player's row of `matchEnd`; a game adds its own columns (`Extra`). */
export type MatchResultRow<Extra = unknown> = {
  playerId: string;
  username: string;
  team: number;
  placement: number;
  outcome: Outcome;
  /** null for bots and for results journaled during a database outage. */
  ratingBefore: number | null;
  ratingAfter: number | null;
} & Extra;

/** `matchEnd`: the match is over; the room closes with 4105 shortly after. */
export interface MatchEnd<Extra = unknown> {
  sessionId: string;
  results: Array<MatchResultRow<Extra>>;
}
