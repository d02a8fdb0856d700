/**
 * The shapes of the HTTP answers (../shared/API.md), as zod schemas. Route declarations (routeSpec.ts) name them,
 * the OpenAPI document describes them, and a test validates real answers of a running server against them
 * (test/http/openApi.test.ts), so an answer that changes shape without its description fails there. Shapes that
 * several routes share carry an `id` (zod's metadata) and become `components.schemas` entries.
 */
import { z } from "zod";
import { ErrorCode } from "../protocol.ts";

/** A shared shape: it becomes `#/components/schemas/<id>` in the OpenAPI document. */
function named<S extends z.ZodType>(schema: S, id: string, description: string): S {
  return schema.meta({ id, description });
}

const Timestamp = z.iso.datetime().meta({ description: "ISO-8601, UTC" });

export const ErrorAnswer = named(
  z.object({
    error: z.object({
      code: z.enum(Object.values(ErrorCode) as [ErrorCode, ...ErrorCode[]]),
      message: z.string().meta({ description: "Human readable; not for parsing." }),
      field: z.string().optional().meta({ description: "The input field at fault (400): dotted for nested fields." }),
    }),
  }),
  "Error",
  "Every refusal: a code clients branch on and a message for people.",
);

export const Rating = named(
  z.object({
    rating: z.number(),
    ratingDeviation: z.number(),
    wins: z.int().min(0),
    losses: z.int().min(0),
    draws: z.int().min(0),
  }),
  "Rating",
  "A player's standing under one rating key (a game's id, or `<game>:<mode>`).",
);

const playerFields = {
  id: z.string().meta({ description: "Opaque player id." }),
  username: z.string(),
  region: z.string(),
  rating: z.number().meta({ description: "The default game's rating (as are ratingDeviation, wins, losses)." }),
  ratingDeviation: z.number(),
  wins: z.int().min(0),
  losses: z.int().min(0),
  guest: z.boolean().meta({ description: "True while the account has no password." }),
  ratings: z.record(z.string(), Rating).meta({ description: "Every rating key of every registered game." }),
};

export const Player = named(
  z.object({
    ...playerFields,
    currentSessionId: z.string().nullable().meta({ description: "The match the player is in, if any." }),
  }),
  "Player",
  "The signed-in player's own account.",
);

export const PublicProfile = named(
  z.object({ ...playerFields, createdAt: Timestamp }),
  "PublicProfile",
  "What anyone may see of a player: no secrets, no session, no moderation state.",
);

export const AuthTokens = named(
  z.object({
    accessToken: z.string().meta({ description: "Send as `Authorization: Bearer <accessToken>`." }),
    refreshToken: z.string().meta({ description: "Single use: POST /auth/refresh spends it." }),
    expiresIn: z.int().positive().meta({ description: "Seconds until the access token expires." }),
  }),
  "AuthTokens",
  "A fresh pair of tokens.",
);

export const SignedIn = named(
  z.object({ player: Player, ...AuthTokens.shape }),
  "SignedIn",
  "The player and a fresh pair of tokens.",
);

export const Session = named(
  z.object({
    id: z.string().meta({ description: "The match room's roomId." }),
    gameType: z.string().meta({ description: "The game's id (GET /games)." }),
    mode: z.string(),
    region: z.string(),
    serverId: z.string().meta({ description: "The Colyseus process that created the match." }),
    status: z.enum(["waiting", "active", "ended"]),
    createdAt: Timestamp,
    startedAt: Timestamp.nullable(),
    endedAt: Timestamp.nullable(),
    players: z.array(
      z.object({
        playerId: z.string(),
        username: z.string(),
        team: z.int().optional().meta({ description: "Team games only." }),
      }),
    ),
  }),
  "Session",
  "A match: who plays, where and how far it is.",
);

export const SeatReservation = named(
  z.object({
    name: z.string().meta({ description: "The room's name." }),
    sessionId: z.string(),
    roomId: z.string(),
    publicAddress: z.string().optional().meta({ description: "Set when the room lives on another process." }),
    processId: z.string().optional(),
    reconnectionToken: z.string().optional(),
    devMode: z.boolean().optional(),
  }),
  "SeatReservation",
  "What the SDK's `client.consumeSeatReservation(seat)` takes.",
);

export const Board = named(
  z.object({
    id: z.string(),
    title: z.string(),
    order: z.enum(["asc", "desc"]),
    operator: z.enum(["best", "set", "incr", "decr"]),
    resetSchedule: z.string().optional().meta({ description: "Cron expression (UTC) at which a new season starts." }),
    season: z.int().min(0),
    nextResetAt: Timestamp.optional(),
  }),
  "Board",
  "A leaderboard.",
);

export const Entry = named(
  z.object({ rank: z.int().min(1), playerId: z.string(), username: z.string(), score: z.number() }),
  "Entry",
  "One place on a leaderboard; rank starts at 1.",
);

export const Game = named(
  z.object({
    id: z.string(),
    title: z.string(),
    modes: z.array(
      z.object({
        id: z.string(),
        players: z.int().positive().meta({ description: "Seats of a match." }),
        teams: z.int().positive(),
      }),
    ),
  }),
  "Game",
  "A registered game and its modes.",
);

const DatabaseCheck = z.object({
  ok: z.boolean(),
  kind: z.enum(["postgres", "pglite"]),
  latencyMs: z.number(),
  error: z.string().optional(),
});
const RedisCheck = z.union([
  z.object({ configured: z.literal(false) }),
  z.object({ configured: z.literal(true), ok: z.boolean(), latencyMs: z.number(), error: z.string().optional() }),
]);

export const Ready = z.object({ status: z.literal("ready"), database: DatabaseCheck, redis: RedisCheck });
export const NotReady = z.object({
  error: ErrorAnswer.shape.error,
  status: z.literal("unavailable"),
  database: DatabaseCheck,
  redis: RedisCheck,
});
export const Health = z.object({ status: z.literal("ok"), uptimeSec: z.int().min(0) });
export const BoardList = z.object({ boards: z.array(Board) });
export const BoardPage = z.object({ entries: z.array(Entry), total: z.int().min(0) });
export const EntryList = z.object({ entries: z.array(Entry) });
export const Rank = z.object({ rank: z.int().min(1), score: z.number() });
export const SessionList = z.object({ sessions: z.array(Session) });
export const Seat = z.object({ seat: SeatReservation });
export const RolledBack = z.object({ version: z.int().positive(), tick: z.int().min(0) });
export const GameList = z.object({ games: z.array(Game) });
/** A matchmaking refusal: the error shape plus a top-level `message`, which @colyseus/sdk reads. */
export const MatchmakeRefusal = z.object({ error: ErrorAnswer.shape.error, message: z.string() });
