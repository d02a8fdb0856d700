/**
 * RecoveringRedisDriver against a private `redis-server` that goes away and comes back: listing reads fail during
 * the outage and work again after it, and the readiness probe says so. The upstream driver is run through the same
 * outage to show why the subclass exists (when this check starts failing, upstream is fixed and the subclass can go).
 */
import assert from "node:assert/strict";
import { initializeRoomCache } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import { Redis } from "ioredis";
import { REDIS_RECONNECT_MAX_MS } from "../../src/services/createServices.ts";
import { RecoveringRedisDriver } from "../../src/services/RecoveringRedisDriver.ts";
import { PrivateRedis } from "../helpers/privateServers.ts";

/** As the server's driver connection is configured (src/services/createServices.ts). */
function driverClient(redis: PrivateRedis): Redis {
  const client = new Redis(redis.url, {
    maxRetriesPerRequest: 2,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(attempt * 50, REDIS_RECONNECT_MAX_MS),
  });
  client.on("error", () => undefined);
  return client;
}

/** Retries `attempt` until it resolves, for at most `withinMs`; the last error otherwise. */
async function succeedsWithin<T>(withinMs: number, attempt: () => Promise<T>): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    try {
      return await attempt();
    } catch (error) {
      if (Date.now() > deadline) throw error;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
  }
}

/** Every command Redis runs from now on (MONITOR), lower-cased, in the order Redis ran them. */
async function watchCommands(redis: PrivateRedis): Promise<{ seen: string[]; stop(): void }> {
  const connection = new Redis(redis.url);
  const seen: string[] = [];
  const watcher = await connection.monitor();
  watcher.on("monitor", (_time: string, args: string[]) => seen.push(args[0]!.toLowerCase()));
  return {
    seen,
    stop() {
      watcher.disconnect();
      connection.disconnect();
    },
  };
}

/** Resolves once MONITOR has shown a PING sent now on `client`, and so every command Redis ran before it. */
async function flushed(client: Redis, seen: string[]): Promise<void> {
  const before = seen.filter((command) => command === "ping").length;
  await client.ping();
  await succeedsWithin(2000, async () => assert.ok(seen.filter((command) => command === "ping").length > before));
}

describe("RecoveringRedisDriver through a Redis outage", function () {
  this.timeout(30_000);
  let redis: PrivateRedis;
  let client: Redis;

  before(async () => {
    redis = await PrivateRedis.start();
  });
  afterEach(() => client?.disconnect());
  after(async () => {
    await redis?.stop();
  });

  async function outage(): Promise<void> {
    await redis.stop();
  }

  it("listing reads fail during the outage and serve again once Redis is back; the probe follows", async () => {
    client = driverClient(redis);
    const driver = new RecoveringRedisDriver(client);
    const room = initializeRoomCache({ name: "chat", roomId: "room-a", processId: "p1", clients: 0, maxClients: 10 });
    await driver.persist(room);
    assert.deepEqual(
      (await driver.query({ name: "chat" })).map((r) => r.roomId),
      ["room-a"],
    );
    await driver.probe(1000);

    await outage();
    // The probe may give up (its 1 s bound) before the read it started does; the query after it shares that read
    // and waits for its failure, so no read is left pending when Redis comes back.
    await assert.rejects(driver.probe(1000));
    await assert.rejects(driver.query({ name: "chat" }), /max retries|Connection is closed/);
    await assert.rejects(Promise.resolve(driver.findOne({ name: "chat" })), /max retries|Connection is closed/);

    await redis.start();
    const watch = await watchCommands(redis);
    try {
      // The last listing read failed: readiness does not take a connection round trip for an answer, it makes a
      // listing read itself, so it says ready only once room requests can be served again.
      await succeedsWithin(5000, () => driver.probe(1000));
      await flushed(client, watch.seen);
      assert.ok(watch.seen.includes("hgetall"), `the probe read the listings: ${watch.seen.join(",")}`);
      // That read succeeded: from now on a probe is a single cheap command.
      watch.seen.length = 0;
      await driver.probe(1000);
      await flushed(client, watch.seen);
      assert.deepEqual(
        watch.seen.filter((command) => command !== "ping"),
        ["hexists"],
      );
    } finally {
      watch.stop();
    }
    // Redis came back empty: the listing is gone, but the read itself works again.
    assert.deepEqual(await driver.query({ name: "chat" }), []);
    await driver.persist(room);
    assert.equal((await driver.findOne({ name: "chat" }))?.roomId, "room-a");
    assert.equal((await driver.query({ processId: "p1" })).length, 1);
  });

  it("concurrent reads share one HGETALL, and rooms are filtered by name", async () => {
    client = driverClient(redis);
    const driver = new RecoveringRedisDriver(client);
    await driver.clear();
    await driver.persist(initializeRoomCache({ name: "chat", roomId: "c1", processId: "p1" }));
    await driver.persist(initializeRoomCache({ name: "matchmaking", roomId: "m1", processId: "p1" }));
    const watch = await watchCommands(redis);
    try {
      const [chat, matchmaking, all] = await Promise.all([
        driver.query({ name: "chat" }),
        driver.query({ name: "matchmaking" }),
        driver.query({}),
      ]);
      assert.deepEqual(
        chat.map((r) => r.roomId),
        ["c1"],
      );
      assert.deepEqual(
        matchmaking.map((r) => r.roomId),
        ["m1"],
      );
      assert.equal(all.length, 2);
      await flushed(client, watch.seen);
      assert.equal(watch.seen.filter((command) => command === "hgetall").length, 1);
    } finally {
      watch.stop();
    }
  });

  it("why it exists: the upstream RedisDriver 0.18.3 keeps failing after Redis is back", async () => {
    client = driverClient(redis);
    const upstream = new RedisDriver(client);
    await upstream.query({ name: "chat" });
    await outage();
    await assert.rejects(upstream.query({ name: "chat" }));
    await redis.start();
    await succeedsWithin(5000, () => client.ping());
    await assert.rejects(upstream.query({ name: "chat" }), /max retries/);
  });
});
