/**
 * The protocol module: room names, message names, their schemas, error codes and close codes. Rooms, tests,
 * load-test bots and the browser client import it; it imports nothing of the server but zod, and the SDK's
 * dependency-free wire module (sdk/src/wire.ts) whose constants it re-exports.
 *
 * The public contract is ../shared/API.md; docs/API.md documents what this module holds. Renaming anything here
 * breaks clients.
 */
import { z } from "zod";

import type { Player, Rating } from "../sdk/src/types.ts";
import { FrameworkClientMessage, FrameworkRoom, type RoomErrorCode } from "../sdk/src/wire.ts";

/**
 * The wire constants (close codes, error codes, server message names) live in the SDK's dependency-free wire module
 * (sdk/src/wire.ts), which this module re-exports: the server and every client read the one definition.
 */
export { CloseCode, ErrorCode, RoomErrorCode, ServerMessage } from "../sdk/src/wire.ts";

/** Room names registered with the matchmaker (the framework's two, and the default game's). */
export const RoomName = {
  Matchmaking: FrameworkRoom.Matchmaking,
  Arena: "arena",
  Chat: FrameworkRoom.Chat,
} as const;
export type RoomName = (typeof RoomName)[keyof typeof RoomName];

export const RegionName = z
  .string()
  .regex(/^[a-z0-9][a-z0-9-]{0,31}$/, "region must be lowercase letters, digits and dashes");

/** Names nobody may register or link (any case): they would pass for staff, the system or a guest. */
export const RESERVED_USERNAMES = ["admin", "system", "moderator", "root"] as const;
/** Every `guest_…` name belongs to the server's own guest accounts. */
export const GUEST_USERNAME_PREFIX = "guest_";

/** Usernames: 3-20 of [A-Za-z0-9_], unique without regard to case, not reserved. */
export const Username = z
  .string()
  .regex(/^[A-Za-z0-9_]{3,20}$/, "username must be 3-20 letters, digits or underscores")
  .refine(
    (name) =>
      !(RESERVED_USERNAMES as readonly string[]).includes(name.toLowerCase()) &&
      !name.toLowerCase().startsWith(GUEST_USERNAME_PREFIX),
    "username is reserved",
  );

/** Passwords: 8-128 characters (the server also refuses common passwords). */
export const Password = z
  .string()
  .min(8, "password must be at least 8 characters")
  .max(128, "password must be at most 128 characters");

/** Guest device ids: client-generated, at least 16 characters. */
export const DeviceId = z
  .string()
  .min(16, "deviceId must be at least 16 characters")
  .max(128, "deviceId must be at most 128 characters")
  .regex(/^[\x21-\x7e]+$/, "deviceId must be printable ASCII without spaces");

export const RegisterBody = z.object({ username: Username, password: Password, region: RegionName.optional() });
export const LoginBody = z.object({ username: z.string().max(64), password: z.string().max(1024) });
export const GuestBody = z.object({ deviceId: DeviceId });
export const RefreshBody = z.object({ refreshToken: z.string().min(1).max(256) });
export const LinkBody = z.object({ username: Username, password: Password });
export const UpdatePlayerBody = z.object({ region: RegionName });
export const RollbackBody = z.object({ version: z.number().int().positive() });
export const BlockBody = z.object({ playerId: z.string().min(1).max(64) });
export const MuteBody = z.object({
  minutes: z
    .number()
    .int()
    .positive()
    .max(10 * 365 * 24 * 60),
});
export const BanBody = z.object({
  minutes: z
    .number()
    .int()
    .positive()
    .max(10 * 365 * 24 * 60)
    .optional(),
  reason: z.string().trim().min(1).max(500),
});

/**
 * Options of `matchmaking` joins. `game` defaults to the default game (GET /games lists the games and their modes;
 * which exist is the game registry's to say, checked when the join is made); `region` to the player's region.
 */
export const MatchmakingJoinOptions = z.object({
  game: z.string().min(1).max(32).optional(),
  mode: z.string().min(1).max(32),
  region: RegionName.optional(),
});
export type MatchmakingJoinOptions = z.infer<typeof MatchmakingJoinOptions>;

/** Options of `chat` joins: `global` or `region:<region>`. */
export const ChatJoinOptions = z.object({
  channel: z.union([z.literal("global"), z.string().regex(/^region:[a-z0-9][a-z0-9-]{0,31}$/)]),
});
export type ChatJoinOptions = z.infer<typeof ChatJoinOptions>;

/**
 * Chat text: 1-280 characters after control characters (C0, C1, zero-width and bidi controls, line and paragraph
 * separators) are removed and the ends trimmed, with at least one visible character.
 */
export const CHAT_TEXT_MAX = 280;
// biome-ignore lint/suspicious/noControlCharactersInRegex: removing control characters is the point.
const CONTROL_CHARACTERS = /[\u0000-\u001f\u007f-\u009f\u200b-\u200f\u2028-\u202e\u2066-\u2069\u061c]/g;
/**
 * What renders as nothing of its own: format characters (Cf: zero-width, bidi, tags, soft hyphen, ...), whitespace,
 * default ignorables (Hangul fillers, ...), variation selectors, the braille blank, and combining marks (M), which
 * only decorate the character before them. A message made only of these is refused; inside a message they stay (an
 * emoji's variation selector, an accent), except the controls stripped above.
 */
const INVISIBLE =
  /[\p{Cf}\p{White_Space}\p{Default_Ignorable_Code_Point}\p{Variation_Selector}\p{M}\u2800\u115f\u1160\u3164\uffa0]/gu;
export const ChatText = z
  .string()
  .max(CHAT_TEXT_MAX * 4, "text is too long")
  .transform((text) => text.replace(CONTROL_CHARACTERS, "").trim())
  .pipe(
    z
      .string()
      .min(1, "text is empty")
      .max(CHAT_TEXT_MAX, `text is longer than ${CHAT_TEXT_MAX} characters`)
      .refine((text) => text.replace(INVISIBLE, "").length > 0, "text has no visible characters"),
  );

/** Client → server message names and payload schemas. */
export const ClientMessage = {
  Input: "input",
  Chat: FrameworkClientMessage.Chat,
  Message: FrameworkClientMessage.Message,
} as const;

export const finiteNumber = z.number().refine(Number.isFinite, "must be a finite number");

/** `arena` input. moveX/moveY are clamped to [-1, 1] by the room; NaN and Infinity are refused here. */
export const InputMessage = z.object({
  seq: z.number().int().nonnegative().max(Number.MAX_SAFE_INTEGER),
  moveX: finiteNumber,
  moveY: finiteNumber,
  aim: finiteNumber,
  fire: z.boolean(),
});
export type InputMessage = z.infer<typeof InputMessage>;

/** Chat inside a match room (every game): `all` reaches the match, `team` the sender's team. */
export const MatchChatMessage = z.object({ channel: z.enum(["all", "team"]), text: ChatText });
export type MatchChatMessage = z.infer<typeof MatchChatMessage>;
/** The arena's name for {@link MatchChatMessage}, kept for clients that import it. */
export const ArenaChatMessage = MatchChatMessage;
export type ArenaChatMessage = MatchChatMessage;

/** `chat` room message. */
export const LobbyChatMessage = z.object({ text: ChatText });
export type LobbyChatMessage = z.infer<typeof LobbyChatMessage>;

/** Payload of the room `error` message. */
export interface RoomErrorPayload {
  code: RoomErrorCode;
  message: string;
}

/** A player's standing under one rating key (a game's id, or `<game>:<mode>` for a mode rated on its own). */
/** A player's standing in one game: the SDK's `Rating` (sdk/src/types.ts), one definition for server and clients. */
export type RatingJson = Rating;

/**
 * `player` of the HTTP contract (../shared/API.md): what /auth, /players/me and PATCH /players/me answer. The SDK's
 * `Player`, whose `ratings` this server always sends: every rating key of every registered game, the starting rating
 * for keys the player has not played yet.
 */
export type PlayerJson = Player & { ratings: Record<string, RatingJson> };
