import { initializeRoomCache, type IRoomCache, type SortOptions } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import { Query } from "@colyseus/redis-driver/Query";
import type { Redis } from "ioredis";
import { withTimeout } from "./db/Database.ts";

/** The hash where Colyseus' Redis driver keeps room listings (`roomcaches`, one field per room). */
const ROOM_CACHES_KEY = "roomcaches";

/**
 * Colyseus' RedisDriver whose room-listing read recovers from a Redis outage.
 *
 * Why it exists: `@colyseus/redis-driver` 0.18.3 shares one in-flight `HGETALL roomcaches` between concurrent
 * `query()`/`findOne()` calls (its private `getRooms()`), and forgets that shared promise only when it resolves.
 * When it rejects (Redis is down: "Reached the max retries per request limit"), the rejected promise stays cached
 * for good, so every later room request of the process fails with 523 until it is restarted. This subclass routes
 * both calls through {@link listings}, which shares the in-flight read the same way but forgets it however it
 * settles. Everything else is the upstream driver. Remove it when upstream clears its cache on rejection.
 */
export class RecoveringRedisDriver extends RedisDriver {
  /** The `HGETALL` in flight, shared by concurrent listing reads; cleared as soon as it settles, either way. */
  private inFlight: Promise<Record<string, string>> | undefined;
  /** The last listing read failed and none has succeeded since (what a room request sees). */
  private listingFailing = false;

  constructor(private readonly client: Redis) {
    super(client);
  }

  override query(conditions: Partial<IRoomCache>, sortOptions?: SortOptions): Promise<IRoomCache[]> {
    const query = new Query<IRoomCache>(this.listings(conditions.name), conditions);
    if (sortOptions) query.sort(sortOptions);
    return query.all();
  }

  override findOne(conditions: Partial<IRoomCache>, sortOptions?: SortOptions): Promise<IRoomCache> {
    if (conditions.roomId !== undefined) return super.findOne(conditions, sortOptions);
    const query = new Query<IRoomCache>(this.listings(conditions.name), conditions);
    if (sortOptions) query.sort(sortOptions);
    // Upstream returns the thenable Query itself as the promise of the first match; so do we.
    return query as unknown as Promise<IRoomCache>;
  }

  /**
   * Readiness: the driver can serve room requests. A round trip on the driver's own connection; while the last
   * listing read failed, a listing read itself, so a process never reports ready while room requests still fail.
   */
  async probe(timeoutMs: number): Promise<void> {
    const check = this.listingFailing ? this.listings(undefined).then(() => undefined) : this.has("readiness-probe");
    await withTimeout(check, timeoutMs, "Redis (matchmaker driver)");
  }

  /** Every listed room, or those of `roomName`; one shared `HGETALL` for all reads in flight at the same time. */
  private listings(roomName: string | undefined): Promise<IRoomCache[]> {
    if (this.inFlight === undefined) {
      const read = this.client.hgetall(ROOM_CACHES_KEY);
      this.inFlight = read;
      read.then(
        () => {
          this.listingFailing = false;
        },
        () => {
          this.listingFailing = true;
        },
      );
      const forget = () => {
        if (this.inFlight === read) this.inFlight = undefined;
      };
      read.then(forget, forget);
    }
    return this.inFlight.then((raw) => {
      let entries = Object.values(raw ?? {});
      // Cheap pre-filter before parsing, as upstream does.
      if (roomName !== undefined) entries = entries.filter((entry) => entry.includes(`"name":"${roomName}"`));
      return entries.map((entry) => initializeRoomCache(JSON.parse(entry)));
    });
  }
}
