/**
 * Bounds how often one IP may ask the matchmaker for a room (create/join/joinOrCreate/joinById over HTTP): 60 a
 * minute (ROOM_JOINS_PER_MIN). Reconnection requests (`/matchmake/reconnect`, which run no onAuth) have a budget of
 * their own, {@link RECONNECTS_PER_JOIN} times larger: a whole match of players behind one address may come back at
 * once. Shared through Redis when the process has it.
 */
import type { Redis } from "ioredis";
import { RateLimiterMemory, RateLimiterRedis, type RateLimiterAbstract } from "rate-limiter-flexible";

export const JOINS_PER_MINUTE = 60;
/** Reconnection requests per IP per minute, as a multiple of the room-request budget. */
export const RECONNECTS_PER_JOIN = 10;

export class JoinThrottle {
  private readonly limiter: RateLimiterAbstract;

  constructor(redis: Redis | undefined, perMinute = JOINS_PER_MINUTE, kind: "join" | "reconnect" = "join") {
    const options = { keyPrefix: `arena:throttle:${kind}`, points: perMinute, duration: 60 };
    this.limiter =
      redis === undefined
        ? new RateLimiterMemory(options)
        : new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) });
  }

  /** Seconds to wait when the IP is over its budget; undefined when it may join. */
  async admit(ip: string | undefined): Promise<number | undefined> {
    try {
      await this.limiter.consume(ip ?? "unknown", 1);
      return undefined;
    } catch (rejection) {
      if (rejection instanceof Error) throw rejection;
      return Math.max(1, Math.ceil((rejection as { msBeforeNext: number }).msBeforeNext / 1000));
    }
  }
}
