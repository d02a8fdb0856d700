/**
 * Chat rules shared by the lobby and the arena: mutes, a per-player rate limit (5 messages per 10 s), repeat-spam
 * detection, a pluggable text filter, lobby history, delivery across processes (presence pub/sub) and blocks.
 * Text arrives validated by the protocol schema (control characters removed, trimmed, 1-280 characters).
 */
import type { Presence } from "@colyseus/core";
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";
import { AppError } from "../../errors.ts";
import { ErrorCode, RoomErrorCode } from "../../protocol.ts";
import type { ChatMessageStore } from "../stores/ChatMessageStore.ts";
import type { BlockStore } from "../stores/BlockStore.ts";
import type { PlayerStore } from "../stores/PlayerStore.ts";

export const CHAT_LIMITS = {
  messages: 5,
  perSeconds: 10,
  /** A message equal to one of the sender's last `repeatWindow` messages within `repeatSeconds` is spam. */
  repeatWindow: 3,
  repeatSeconds: 30,
  historySize: 50,
} as const;

/**
 * Players one player may block. Every chat and match connection loads the whole list and keeps it current, and
 * player ids are public (leaderboards, sessions): without a bound, one account could make each of its connections
 * hold every player of the server.
 */
export const MAX_BLOCKS_PER_PLAYER = 500;

/** Replaces or rejects text; the default masks listed words. */
export interface ChatFilter {
  clean(text: string): string;
}

/** Masks whole words of the list (case-insensitive) with asterisks of the same length. */
export class WordMaskFilter implements ChatFilter {
  private readonly pattern: RegExp | undefined;

  constructor(words: readonly string[]) {
    const escaped = words.filter((w) => w.length > 0).map((w) => w.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    this.pattern = escaped.length === 0 ? undefined : new RegExp(`\\b(${escaped.join("|")})\\b`, "giu");
  }

  clean(text: string): string {
    return this.pattern === undefined ? text : text.replace(this.pattern, (word) => "*".repeat(word.length));
  }
}

/** A small default list; operators replace the filter with their own. */
export const DEFAULT_MASKED_WORDS = ["fuck", "shit", "cunt", "bitch", "asshole", "nigger", "faggot", "retard"];

export class ChatRefusal extends Error {
  constructor(
    readonly code: (typeof RoomErrorCode)[keyof typeof RoomErrorCode],
    message: string,
  ) {
    super(message);
    this.name = "ChatRefusal";
  }
}

export interface ChatMessage {
  id: string;
  from: string;
  username: string;
  text: string;
  at: number;
}

/** Presence channel of a lobby channel (`global`, `region:eu`): every shard on every process listens. */
export function lobbyTopic(channel: string): string {
  return `arena:chat:${channel}`;
}

/** Presence channel telling a player's connections that its block list changed. */
export function blocksTopic(playerId: string): string {
  return `arena:chat:blocks:${playerId}`;
}

export class ChatService {
  private readonly rate: RateLimiterAbstract;
  private readonly recent = new Map<string, Array<{ text: string; at: number }>>();

  constructor(
    private readonly players: PlayerStore,
    private readonly history: ChatMessageStore,
    private readonly blocks: BlockStore,
    private readonly presence: Presence,
    redis: Redis | undefined,
    readonly filter: ChatFilter = new WordMaskFilter(DEFAULT_MASKED_WORDS),
    private readonly now: () => number = Date.now,
  ) {
    const options = {
      keyPrefix: "arena:throttle:chat",
      points: CHAT_LIMITS.messages,
      duration: CHAT_LIMITS.perSeconds,
    };
    this.rate =
      redis === undefined
        ? new RateLimiterMemory(options)
        : new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) });
  }

  /**
   * Checks a message against mute, rate and repeat rules and returns the filtered text.
   * @throws ChatRefusal
   */
  async admit(playerId: string, text: string): Promise<string> {
    // The repeat check runs before any await, so two messages of one player handled concurrently still see
    // each other.
    const now = this.now();
    // Compared without case, invisible (format) characters and combining marks, so that a repeat cannot pass for a
    // new message by a zero-width joiner or an accent.
    const normalised = text
      .toLowerCase()
      .replace(/[\p{Cf}\p{M}]/gu, "")
      .replace(/\s+/g, " ");
    const mine = (this.recent.get(playerId) ?? []).filter((m) => now - m.at < CHAT_LIMITS.repeatSeconds * 1000);
    const repeated = mine.some((m) => m.text === normalised);
    if (!repeated) mine.push({ text: normalised, at: now });
    this.recent.set(playerId, mine.slice(-CHAT_LIMITS.repeatWindow));
    if (repeated) throw new ChatRefusal(RoomErrorCode.Spam, "you just sent that message");

    const player = await this.players.findById(playerId);
    if (player?.mutedUntil && player.mutedUntil.getTime() > now) {
      throw new ChatRefusal(RoomErrorCode.Muted, `muted until ${player.mutedUntil.toISOString()}`);
    }
    if (player?.bannedUntil && player.bannedUntil.getTime() > now) throw new ChatRefusal(RoomErrorCode.Muted, "banned");
    try {
      await this.rate.consume(playerId, 1);
    } catch (rejection) {
      if (rejection instanceof Error) throw rejection;
      const waitSec = Math.ceil((rejection as { msBeforeNext: number }).msBeforeNext / 1000);
      throw new ChatRefusal(RoomErrorCode.Flood, `too many messages; wait ${waitSec} s`);
    }
    return this.filter.clean(text);
  }

  /** Admits, stores and publishes a lobby message to every shard of the channel. @throws ChatRefusal */
  async postLobby(channel: string, sender: { playerId: string; username: string }, text: string): Promise<ChatMessage> {
    const clean = await this.admit(sender.playerId, text);
    const stored = await this.history.append({
      channel,
      playerId: sender.playerId,
      username: sender.username,
      text: clean,
    });
    const message: ChatMessage = {
      id: stored.id,
      from: stored.playerId,
      username: stored.username,
      text: stored.text,
      at: stored.createdAt.getTime(),
    };
    await this.presence.publish(lobbyTopic(channel), message);
    return message;
  }

  async lobbyHistory(channel: string): Promise<ChatMessage[]> {
    const rows = await this.history.recent(channel, CHAT_LIMITS.historySize);
    return rows.map((row) => ({
      id: row.id,
      from: row.playerId,
      username: row.username,
      text: row.text,
      at: row.createdAt.getTime(),
    }));
  }

  blockedBy(playerId: string): Promise<Set<string>> {
    return this.blocks.blockedBy(playerId);
  }

  /**
   * Blocks and tells the player's live chat connections. False when `blocked` is no player.
   * @throws AppError 409 when the player already blocks {@link MAX_BLOCKS_PER_PLAYER} others.
   */
  async block(playerId: string, blocked: string): Promise<boolean> {
    const current = await this.blocks.blockedBy(playerId);
    if (!current.has(blocked) && current.size >= MAX_BLOCKS_PER_PLAYER) {
      throw new AppError(
        ErrorCode.Conflict,
        `the block list is full (${MAX_BLOCKS_PER_PLAYER} players); unblock someone first`,
      );
    }
    if (!(await this.blocks.block(playerId, blocked))) return false;
    await this.presence.publish(blocksTopic(playerId), { blocked, on: true });
    return true;
  }

  async unblock(playerId: string, blocked: string): Promise<void> {
    await this.blocks.unblock(playerId, blocked);
    await this.presence.publish(blocksTopic(playerId), { blocked, on: false });
  }
}
