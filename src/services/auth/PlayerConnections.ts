/**
 * MAX_CONNECTIONS_PER_PLAYER: how many room connections one player holds at once, counted across every process, so
 * that one account (a guest token is free) cannot take the seats of the whole server.
 *
 * Each connection is an entry with an expiry time (a Redis sorted set per player; a map in-process). The process
 * holding the connection re-asserts its entries every {@link REFRESH_INTERVAL_MS} and removes them when the client
 * leaves; a process that dies stops re-asserting, and its entries stop counting after {@link ENTRY_TTL_MS}, so a
 * crash never locks a player out for longer than that. Re-asserting also re-adds entries Redis lost (a restart, or a
 * connection admitted while it was away), so after an outage the cap counts every live connection again within
 * {@link REFRESH_INTERVAL_MS}.
 */
import { randomUUID } from "node:crypto";
import type { Redis } from "ioredis";

/** How long an entry counts without being re-asserted: the longest a crashed process' connections still count. */
export const ENTRY_TTL_MS = 60_000;
/** How often a process re-asserts its live entries. */
export const REFRESH_INTERVAL_MS = 20_000;

/** Where the entries live: one contract, an in-process and a Redis implementation. */
export interface ConnectionCounter {
  /**
   * Adds `connectionId` for `playerId`, valid for `ttlMs` from `now`, unless the player already holds `cap` entries
   * still valid at `now` (0 = no cap). True when added (or already present).
   */
  acquire(playerId: string, connectionId: string, cap: number, now: number, ttlMs: number): Promise<boolean>;
  /**
   * Sets the entries' expiry to `now + ttlMs`, adding those that are missing (Redis restarted empty, or was away when
   * the connection was made). The holder calls it only for connections it still has.
   */
  refresh(
    entries: ReadonlyArray<{ playerId: string; connectionId: string }>,
    now: number,
    ttlMs: number,
  ): Promise<void>;
  release(playerId: string, connectionId: string): Promise<void>;
  /** Entries of the player still valid at `now`. */
  count(playerId: string, now: number): Promise<number>;
}

export class InMemoryConnectionCounter implements ConnectionCounter {
  private readonly entries = new Map<string, Map<string, number>>();

  async acquire(playerId: string, connectionId: string, cap: number, now: number, ttlMs: number) {
    const entries = this.live(playerId, now);
    if (!entries.has(connectionId) && cap > 0 && entries.size >= cap) return false;
    entries.set(connectionId, now + ttlMs);
    this.entries.set(playerId, entries);
    return true;
  }

  async refresh(entries: ReadonlyArray<{ playerId: string; connectionId: string }>, now: number, ttlMs: number) {
    for (const { playerId, connectionId } of entries) {
      const held = this.entries.get(playerId) ?? new Map<string, number>();
      held.set(connectionId, now + ttlMs);
      this.entries.set(playerId, held);
    }
  }

  async release(playerId: string, connectionId: string) {
    const held = this.entries.get(playerId);
    held?.delete(connectionId);
    if (held?.size === 0) this.entries.delete(playerId);
  }

  async count(playerId: string, now: number) {
    return this.live(playerId, now).size;
  }

  private live(playerId: string, now: number): Map<string, number> {
    const held = this.entries.get(playerId) ?? new Map<string, number>();
    for (const [id, expiresAt] of held) if (expiresAt <= now) held.delete(id);
    return held;
  }
}

const KEY_PREFIX = "arena:conns:";

/**
 * Drops expired entries, then adds the entry unless the cap is reached. Scores are expiry times on the processes'
 * clock (ARGV[2]); the key itself expires (Redis' clock, relative) when its newest entry would.
 */
const ACQUIRE = `
redis.call('ZREMRANGEBYSCORE', KEYS[1], '-inf', ARGV[1])
local cap = tonumber(ARGV[3])
if not redis.call('ZSCORE', KEYS[1], ARGV[4]) and cap > 0 and redis.call('ZCARD', KEYS[1]) >= cap then
  return 0
end
redis.call('ZADD', KEYS[1], ARGV[2], ARGV[4])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1
`;

export class RedisConnectionCounter implements ConnectionCounter {
  constructor(private readonly redis: Redis) {}

  async acquire(playerId: string, connectionId: string, cap: number, now: number, ttlMs: number) {
    const key = KEY_PREFIX + playerId;
    const added = await this.redis.eval(ACQUIRE, 1, key, now, now + ttlMs, cap, connectionId, ttlMs);
    return added === 1;
  }

  async refresh(entries: ReadonlyArray<{ playerId: string; connectionId: string }>, now: number, ttlMs: number) {
    if (entries.length === 0) return;
    const batch = this.redis.pipeline();
    for (const { playerId, connectionId } of entries) {
      batch.zadd(KEY_PREFIX + playerId, now + ttlMs, connectionId);
      batch.pexpire(KEY_PREFIX + playerId, ttlMs);
    }
    await batch.exec();
  }

  async release(playerId: string, connectionId: string) {
    await this.redis.zrem(KEY_PREFIX + playerId, connectionId);
  }

  async count(playerId: string, now: number) {
    return this.redis.zcount(KEY_PREFIX + playerId, `(${now}`, "+inf");
  }
}

/** A player already holds MAX_CONNECTIONS_PER_PLAYER connections. */
export class TooManyConnectionsError extends Error {
  constructor(readonly cap: number) {
    super(`this player already holds ${cap} connections (MAX_CONNECTIONS_PER_PLAYER)`);
    this.name = "TooManyConnectionsError";
  }
}

/** This process' side of the cap: registers its connections, re-asserts them, releases them. */
export class PlayerConnections {
  /** Connection ids of this process, by player. */
  private readonly own = new Map<string, Set<string>>();
  private readonly processKey = randomUUID();
  private timer: NodeJS.Timeout | undefined;

  constructor(
    private readonly counter: ConnectionCounter,
    readonly cap: number,
    private readonly clock: () => number = Date.now,
  ) {}

  /** The id of one room connection of this process. */
  connectionId(roomId: string, sessionId: string): string {
    return `${this.processKey}:${roomId}:${sessionId}`;
  }

  /** Whether the player may open one more connection (a quick check before a seat is reserved). */
  async mayConnect(playerId: string): Promise<boolean> {
    return this.cap === 0 || (await this.counter.count(playerId, this.clock())) < this.cap;
  }

  /**
   * Registers a connection; throws {@link TooManyConnectionsError} when the player is at the cap. When the shared
   * count cannot be reached the error is thrown too, but the connection is this process' all the same (the room
   * admits it): the next re-assertion counts it.
   */
  async acquire(playerId: string, connectionId: string): Promise<void> {
    const now = this.clock();
    let ids = this.own.get(playerId);
    if (ids === undefined) {
      ids = new Set();
      this.own.set(playerId, ids);
    }
    ids.add(connectionId);
    if (!(await this.counter.acquire(playerId, connectionId, this.cap, now, ENTRY_TTL_MS))) {
      this.forget(playerId, connectionId);
      throw new TooManyConnectionsError(this.cap);
    }
  }

  private forget(playerId: string, connectionId: string): void {
    const ids = this.own.get(playerId);
    ids?.delete(connectionId);
    if (ids?.size === 0) this.own.delete(playerId);
  }

  async release(playerId: string, connectionId: string): Promise<void> {
    this.forget(playerId, connectionId);
    await this.counter.release(playerId, connectionId);
  }

  /** Releases whatever this room still holds (its clients' leaves normally did). */
  async forgetRoom(roomId: string): Promise<void> {
    const prefix = this.connectionId(roomId, "");
    const left: Array<Promise<void>> = [];
    for (const [playerId, ids] of this.own) {
      for (const id of ids) if (id.startsWith(prefix)) left.push(this.release(playerId, id));
    }
    await Promise.all(left);
  }

  /** Re-asserts this process' connections (the timer calls it; tests call it with their own clock). */
  async process(now: number = this.clock()): Promise<void> {
    const entries: Array<{ playerId: string; connectionId: string }> = [];
    for (const [playerId, ids] of this.own) for (const connectionId of ids) entries.push({ playerId, connectionId });
    await this.counter.refresh(entries, now, ENTRY_TTL_MS);
  }

  start(onError: (error: unknown) => void): void {
    this.timer ??= setInterval(() => void this.process().catch(onError), REFRESH_INTERVAL_MS);
    this.timer.unref();
  }

  stop(): void {
    clearInterval(this.timer);
    this.timer = undefined;
  }
}
