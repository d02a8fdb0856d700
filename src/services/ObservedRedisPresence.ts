import { RedisPresence } from "@colyseus/redis-presence";
import { withTimeout } from "./db/Database.ts";

/** RedisPresence that reports the state of its two connections, so readiness covers pub/sub and not only ours. */
export class ObservedRedisPresence extends RedisPresence {
  /** Its two connections, for error accounting. */
  connections(): Record<string, RedisPresence["pub"]> {
    return { "presence-pub": this.pub, "presence-sub": this.sub };
  }

  connectionStates(): Record<string, string> {
    return { "presence-pub": this.pub.status, "presence-sub": this.sub.status };
  }

  /**
   * Readiness: presence commands get through. Unlike the driver (see RecoveringRedisDriver), RedisPresence 0.18.5
   * keeps no promise across calls (checked: every method asks Redis anew, and the subscriber re-subscribes every
   * topic when it is ready again), so a round trip on its command connection is the whole check.
   */
  async probe(timeoutMs: number): Promise<void> {
    await withTimeout(this.pub.ping(), timeoutMs, "Redis (presence)");
  }
}
