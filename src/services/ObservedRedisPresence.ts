import { RedisPresence } from "@colyseus/redis-presence";

/** RedisPresence that reports the state of its two connections, so readiness covers pub/sub and not only ours. */
export class ObservedRedisPresence extends RedisPresence {
  /** Its two connections, for error accounting. */
  connections(): Record<string, RedisPresence["pub"]> {
    return { "presence-pub": this.pub, "presence-sub": this.sub };
  }

  connectionStates(): Record<string, string> {
    return { "presence-pub": this.pub.status, "presence-sub": this.sub.status };
  }
}
