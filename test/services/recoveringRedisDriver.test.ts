/**
 * RecoveringRedisDriver against a private `redis-server` that goes away and comes back: listing reads fail during
 * the outage and work again after it, and the readiness probe says so. The upstream driver is run through the same
 * outage to show why the subclass exists (when this check starts failing, upstream is fixed and the subclass can go).
 */
import assert from "node:assert/strict";
import { initializeRoomCache } from "@colyseus/core";
import { RedisDriver } from "@colyseus/redis-driver";
import { Redis } from "ioredis";
import { RecoveringRedisDriver } from "../../src/services/RecoveringRedisDriver.ts";
import { PrivateRedis } from "../helpers/privateServers.ts";

/** As the server's driver connection is configured (src/services/createServices.ts). */
function driverClient(redis: PrivateRedis): Redis {
  const client = new Redis(redis.url, { maxRetriesPerRequest: 2, enableReadyCheck: true });
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
    await assert.rejects(driver.query({ name: "chat" }), /max retries|Connection is closed/);
    await assert.rejects(Promise.resolve(driver.findOne({ name: "chat" })), /max retries|Connection is closed/);
    await assert.rejects(driver.probe(1000));

    await redis.start();
    // Redis came back empty: the listing is gone, but the read itself works again, as does the probe.
    const rooms = await succeedsWithin(5000, () => driver.query({ name: "chat" }));
    assert.deepEqual(rooms, []);
    await driver.probe(1000);
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
    const monitor = new Redis(redis.url);
    const seen: string[] = [];
    const watcher = await monitor.monitor();
    watcher.on("monitor", (_time: string, args: string[]) => seen.push(args[0]!.toLowerCase()));
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
      // MONITOR lists commands in the order Redis ran them: once it shows this PING, it has shown every read above.
      await client.ping();
      await succeedsWithin(2000, async () => assert.ok(seen.includes("ping")));
      assert.equal(seen.filter((command) => command === "hgetall").length, 1);
    } finally {
      watcher.disconnect();
      monitor.disconnect();
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
