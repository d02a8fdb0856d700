/**
 * Where matchmaking tickets wait: pools per (game, region, mode) (see poolKey), one live ticket per player whatever
 * the game, a TTL refreshed by the process holding the player's connection (tickets of a dead process expire), atomic
 * claims for a formed match (a cancelled ticket makes the claim fail, so a cancelled player is never matched), and
 * per-pool leases with fencing so one process at a time runs a pool's pass. In Redis when REDIS_URL is set; in memory otherwise.
 */
import type { Redis } from "ioredis";
import { poolKey, type Ticket } from "./MatchmakerAlgorithm.ts";

export interface TicketStore {
  /** Adds the ticket; false when the player already has a live ticket. */
  add(ticket: Ticket, ttlMs: number, now: number): Promise<boolean>;
  /**
   * Extends the players' tickets (their holder is alive). Returns the players that have no ticket and were not
   * claimed for a match in the last {@link CLAIMED_MARK_MS}: their tickets were lost (Redis restarted empty, or
   * unreachable past the TTL; a matchmaker died between claim and seat), and their holder should add them again.
   */
  touch(playerIds: readonly string[], ttlMs: number, now: number): Promise<string[]>;
  /** Removes the player's ticket; true if there was one. */
  cancel(playerId: string): Promise<boolean>;
  /** Pools that may hold tickets. */
  pools(): Promise<string[]>;
  /** The live tickets of a pool; expired tickets are removed on the way. */
  list(pool: string, now: number): Promise<Ticket[]>;
  /** Number of tickets in a pool (expired ones included until the next list). */
  size(pool: string): Promise<number>;
  /**
   * Removes every listed ticket of the pool at once if all are still there and `lease` is still the pool's
   * current lease; otherwise removes nothing. "fenced" means the caller's lease was lost.
   */
  claim(pool: string, playerIds: readonly string[], lease: string): Promise<"claimed" | "missing" | "fenced">;
  /** Remembers since when a player has been waiting (its match was cancelled), for its next search. */
  rememberWait(playerId: string, since: number, ttlMs: number): Promise<void>;
  /** The remembered waiting start of the player, consumed. */
  takeRememberedWait(playerId: string): Promise<number | undefined>;
  /** Takes the pool's lease for `ttlMs`, or renews it when `current` is still the holder. Returns the token held. */
  lease(pool: string, owner: string, ttlMs: number, current?: string): Promise<string | undefined>;
}

/**
 * How long a claimed player still counts as "being seated" rather than "lost": longer than a launch and the seat
 * delivery take. Past it, a player whose room still searches gets its ticket back.
 */
export const CLAIMED_MARK_MS = 30_000;

interface StoredTicket {
  ticket: Ticket;
  expiresAt: number;
}

export class InMemoryTicketStore implements TicketStore {
  private readonly byPool = new Map<string, Map<string, StoredTicket>>();
  private readonly poolOf = new Map<string, string>();
  private readonly leases = new Map<string, { token: string; expiresAt: number }>();
  private epoch = 0;
  private readonly waits = new Map<string, { since: number; expiresAt: number }>();
  /** Players claimed for a match, until when they count as being seated. */
  private readonly claimedUntil = new Map<string, number>();

  constructor(private readonly clock: () => number = Date.now) {}

  async rememberWait(playerId: string, since: number, ttlMs: number): Promise<void> {
    this.waits.set(playerId, { since, expiresAt: this.clock() + ttlMs });
  }

  async takeRememberedWait(playerId: string): Promise<number | undefined> {
    const wait = this.waits.get(playerId);
    this.waits.delete(playerId);
    return wait !== undefined && wait.expiresAt > this.clock() ? wait.since : undefined;
  }

  async add(ticket: Ticket, ttlMs: number, now: number): Promise<boolean> {
    const existing = this.poolOf.get(ticket.playerId);
    if (existing !== undefined) {
      const stored = this.byPool.get(existing)?.get(ticket.playerId);
      if (stored !== undefined && stored.expiresAt > now) return false;
      this.remove(existing, ticket.playerId);
    }
    const pool = poolKey(ticket.game, ticket.region, ticket.mode);
    let tickets = this.byPool.get(pool);
    if (tickets === undefined) {
      tickets = new Map();
      this.byPool.set(pool, tickets);
    }
    tickets.set(ticket.playerId, { ticket, expiresAt: now + ttlMs });
    this.poolOf.set(ticket.playerId, pool);
    return true;
  }

  async touch(playerIds: readonly string[], ttlMs: number, now: number): Promise<string[]> {
    const lost: string[] = [];
    for (const id of playerIds) {
      const pool = this.poolOf.get(id);
      const stored = pool === undefined ? undefined : this.byPool.get(pool)?.get(id);
      if (stored !== undefined && stored.expiresAt > now) stored.expiresAt = now + ttlMs;
      else if ((this.claimedUntil.get(id) ?? 0) <= now) lost.push(id);
    }
    return lost;
  }

  private remove(pool: string, playerId: string): void {
    this.byPool.get(pool)?.delete(playerId);
    if (this.poolOf.get(playerId) === pool) this.poolOf.delete(playerId);
  }

  async cancel(playerId: string): Promise<boolean> {
    const pool = this.poolOf.get(playerId);
    if (pool === undefined) return false;
    this.remove(pool, playerId);
    return true;
  }

  async pools(): Promise<string[]> {
    return [...this.byPool.entries()].filter(([, tickets]) => tickets.size > 0).map(([pool]) => pool);
  }

  async list(pool: string, now: number): Promise<Ticket[]> {
    const tickets = this.byPool.get(pool);
    if (tickets === undefined) return [];
    const live: Ticket[] = [];
    for (const [id, stored] of [...tickets]) {
      if (stored.expiresAt <= now) this.remove(pool, id);
      else live.push(stored.ticket);
    }
    return live;
  }

  async size(pool: string): Promise<number> {
    return this.byPool.get(pool)?.size ?? 0;
  }

  async claim(pool: string, playerIds: readonly string[], lease: string): Promise<"claimed" | "missing" | "fenced"> {
    const held = this.leases.get(pool);
    if (held === undefined || held.token !== lease || held.expiresAt <= this.clock()) return "fenced";
    const tickets = this.byPool.get(pool);
    if (tickets === undefined || playerIds.some((id) => !tickets.has(id))) return "missing";
    for (const id of playerIds) {
      this.remove(pool, id);
      this.claimedUntil.set(id, this.clock() + CLAIMED_MARK_MS);
    }
    return "claimed";
  }

  async lease(pool: string, owner: string, ttlMs: number, current?: string): Promise<string | undefined> {
    const now = this.clock();
    const held = this.leases.get(pool);
    if (held !== undefined && held.expiresAt > now) {
      if (held.token !== current) return undefined;
      held.expiresAt = now + ttlMs;
      return held.token;
    }
    this.epoch += 1;
    const token = `${owner}:${this.epoch}`;
    this.leases.set(pool, { token, expiresAt: now + ttlMs });
    return token;
  }
}

/** The value of a claimed player's `p:` key (not a pool name): it is being seated, its ticket is not lost. */
const CLAIMED = "!claimed";

const ADD = `
-- KEYS: player key, pool hash, pool expiry zset, pools set; ARGV: player id, pool, ticket json, ttl ms, expires at
local owner = redis.call('GET', KEYS[1])
if owner then
  local score = redis.call('ZSCORE', 'arena:mm:e:' .. owner, ARGV[1])
  if score and tonumber(score) > tonumber(ARGV[5]) - tonumber(ARGV[4]) then return 0 end
  redis.call('HDEL', 'arena:mm:t:' .. owner, ARGV[1])
  redis.call('ZREM', 'arena:mm:e:' .. owner, ARGV[1])
end
redis.call('SET', KEYS[1], ARGV[2], 'PX', ARGV[4])
redis.call('HSET', KEYS[2], ARGV[1], ARGV[3])
redis.call('ZADD', KEYS[3], ARGV[5], ARGV[1])
redis.call('SADD', KEYS[4], ARGV[2])
return 1`;

const TOUCH = `
-- ARGV: ttl ms, expires at, player ids... Returns the ids with no ticket and no claim mark (lost).
local lost = {}
for i = 3, #ARGV do
  local pool = redis.call('GET', 'arena:mm:p:' .. ARGV[i])
  if not pool then
    table.insert(lost, ARGV[i])
  elseif pool ~= '${CLAIMED}' then
    redis.call('PEXPIRE', 'arena:mm:p:' .. ARGV[i], ARGV[1])
    redis.call('ZADD', 'arena:mm:e:' .. pool, 'XX', ARGV[2], ARGV[i])
  end
end
return lost`;

const CANCEL = `
-- KEYS: player key; ARGV: player id
local pool = redis.call('GET', KEYS[1])
if not pool then return 0 end
redis.call('HDEL', 'arena:mm:t:' .. pool, ARGV[1])
redis.call('ZREM', 'arena:mm:e:' .. pool, ARGV[1])
redis.call('DEL', KEYS[1])
return 1`;

const PURGE = `
-- KEYS: pool hash, pool expiry zset; ARGV: now, pool
local expired = redis.call('ZRANGEBYSCORE', KEYS[2], '-inf', ARGV[1])
for _, id in ipairs(expired) do
  redis.call('HDEL', KEYS[1], id)
  redis.call('ZREM', KEYS[2], id)
  if redis.call('GET', 'arena:mm:p:' .. id) == ARGV[2] then redis.call('DEL', 'arena:mm:p:' .. id) end
end
return redis.call('HGETALL', KEYS[1])`;

const CLAIM = `
-- KEYS: pool hash, pool expiry zset, lease key; ARGV: lease token, pool, claim mark ms, player ids...
if redis.call('GET', KEYS[3]) ~= ARGV[1] then return -1 end
for i = 4, #ARGV do
  if redis.call('HEXISTS', KEYS[1], ARGV[i]) == 0 then return 0 end
end
for i = 4, #ARGV do
  redis.call('HDEL', KEYS[1], ARGV[i])
  redis.call('ZREM', KEYS[2], ARGV[i])
  if redis.call('GET', 'arena:mm:p:' .. ARGV[i]) == ARGV[2] then
    redis.call('SET', 'arena:mm:p:' .. ARGV[i], '${CLAIMED}', 'PX', ARGV[3])
  end
end
return 1`;

const LEASE = `
-- KEYS: lease key, epoch key; ARGV: owner, ttl ms, current token or ''
local held = redis.call('GET', KEYS[1])
if held then
  if held == ARGV[3] then
    redis.call('PEXPIRE', KEYS[1], ARGV[2])
    return held
  end
  return false
end
local epoch = redis.call('INCR', KEYS[2])
local token = ARGV[1] .. ':' .. epoch
redis.call('SET', KEYS[1], token, 'PX', ARGV[2])
return token`;

/**
 * Redis layout (all keys under `arena:mm:`, `<pool>` being `<game>:<region>:<mode>`): `t:<pool>` hash playerId →
 * ticket JSON; `e:<pool>` sorted set playerId → expiry (ms); `p:<playerId>` → its pool (one live ticket per player;
 * expires with the TTL), or for {@link CLAIMED_MARK_MS} after a claim a mark saying the player is being seated;
 * `pools` set; `w:<playerId>` → remembered waiting start (after a cancelled match); `lease:<pool>` →
 * `<owner>:<epoch>` with a TTL; `epoch:<pool>` counter (the fencing token).
 * Every multi-key change is one Lua script, so it is atomic.
 */
export class RedisTicketStore implements TicketStore {
  constructor(private readonly redis: Redis) {}

  async add(ticket: Ticket, ttlMs: number, now: number): Promise<boolean> {
    const pool = poolKey(ticket.game, ticket.region, ticket.mode);
    const added = await this.redis.eval(
      ADD,
      4,
      `arena:mm:p:${ticket.playerId}`,
      `arena:mm:t:${pool}`,
      `arena:mm:e:${pool}`,
      "arena:mm:pools",
      ticket.playerId,
      pool,
      JSON.stringify(ticket),
      ttlMs,
      now + ttlMs,
    );
    return added === 1;
  }

  async touch(playerIds: readonly string[], ttlMs: number, now: number): Promise<string[]> {
    if (playerIds.length === 0) return [];
    return (await this.redis.eval(TOUCH, 0, ttlMs, now + ttlMs, ...playerIds)) as string[];
  }

  async cancel(playerId: string): Promise<boolean> {
    return (await this.redis.eval(CANCEL, 1, `arena:mm:p:${playerId}`, playerId)) === 1;
  }

  pools(): Promise<string[]> {
    return this.redis.smembers("arena:mm:pools");
  }

  async list(pool: string, now: number): Promise<Ticket[]> {
    const flat = (await this.redis.eval(PURGE, 2, `arena:mm:t:${pool}`, `arena:mm:e:${pool}`, now, pool)) as string[];
    const tickets: Ticket[] = [];
    for (let i = 1; i < flat.length; i += 2) tickets.push(JSON.parse(flat[i]!) as Ticket);
    return tickets;
  }

  size(pool: string): Promise<number> {
    return this.redis.hlen(`arena:mm:t:${pool}`);
  }

  async claim(pool: string, playerIds: readonly string[], lease: string): Promise<"claimed" | "missing" | "fenced"> {
    const result = await this.redis.eval(
      CLAIM,
      3,
      `arena:mm:t:${pool}`,
      `arena:mm:e:${pool}`,
      `arena:mm:lease:${pool}`,
      lease,
      pool,
      CLAIMED_MARK_MS,
      ...playerIds,
    );
    return result === 1 ? "claimed" : result === -1 ? "fenced" : "missing";
  }

  async rememberWait(playerId: string, since: number, ttlMs: number): Promise<void> {
    await this.redis.set(`arena:mm:w:${playerId}`, String(since), "PX", ttlMs);
  }

  async takeRememberedWait(playerId: string): Promise<number | undefined> {
    const since = await this.redis.getdel(`arena:mm:w:${playerId}`);
    return since === null ? undefined : Number(since);
  }

  async lease(pool: string, owner: string, ttlMs: number, current?: string): Promise<string | undefined> {
    const token = await this.redis.eval(
      LEASE,
      2,
      `arena:mm:lease:${pool}`,
      `arena:mm:epoch:${pool}`,
      owner,
      ttlMs,
      current ?? "",
    );
    return typeof token === "string" ? token : undefined;
  }
}
