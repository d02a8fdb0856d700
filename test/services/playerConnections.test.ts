/**
 * MAX_CONNECTIONS_PER_PLAYER's shared count, one contract over the in-process and the Redis counter: the cap holds
 * across processes (two PlayerConnections on one Redis), a leave frees a place, and a crashed process' entries stop
 * counting once they are not re-asserted for ENTRY_TTL_MS.
 */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import {
  type ConnectionCounter,
  ENTRY_TTL_MS,
  InMemoryConnectionCounter,
  PlayerConnections,
  RedisConnectionCounter,
  TooManyConnectionsError,
} from "../../src/services/auth/PlayerConnections.ts";
import { PrivateRedis } from "../helpers/privateServers.ts";
import { flushTestRedis, TEST_REDIS_URL } from "../helpers/server.ts";

const kinds: Array<{ name: string; make: () => Promise<{ counter: ConnectionCounter; close(): Promise<void> }> }> = [
  { name: "in-process", make: async () => ({ counter: new InMemoryConnectionCounter(), close: async () => {} }) },
  {
    name: "redis",
    make: async () => {
      await flushTestRedis();
      const redis = new Redis(TEST_REDIS_URL);
      return { counter: new RedisConnectionCounter(redis), close: async () => void redis.disconnect() };
    },
  },
];

for (const kind of kinds) {
  describe(`player connections [${kind.name}]`, () => {
    let counter: ConnectionCounter;
    let close: () => Promise<void>;
    let now = 1_000_000;
    const clock = () => now;

    beforeEach(async () => {
      ({ counter, close } = await kind.make());
      now = 1_000_000;
    });
    afterEach(() => close());

    it("the cap holds across processes; a leave frees a place", async () => {
      const p1 = new PlayerConnections(counter, 3, clock);
      const p2 = new PlayerConnections(counter, 3, clock);
      await p1.acquire("alice", p1.connectionId("lobby", "a"));
      await p1.acquire("alice", p1.connectionId("lobby", "b"));
      await p2.acquire("alice", p2.connectionId("arena", "c"));
      await assert.rejects(p2.acquire("alice", p2.connectionId("chat", "d")), TooManyConnectionsError);
      assert.equal(await p1.mayConnect("alice"), false);
      await p2.acquire("bob", p2.connectionId("chat", "e"));
      await p1.release("alice", p1.connectionId("lobby", "a"));
      assert.equal(await p2.mayConnect("alice"), true);
      await p2.acquire("alice", p2.connectionId("chat", "d"));
      await assert.rejects(p1.acquire("alice", p1.connectionId("chat", "f")), TooManyConnectionsError);
    });

    it("a crashed process' connections stop counting after ENTRY_TTL_MS; a live one keeps its own", async () => {
      const crashed = new PlayerConnections(counter, 2, clock);
      const alive = new PlayerConnections(counter, 2, clock);
      await crashed.acquire("alice", crashed.connectionId("arena", "a"));
      await alive.acquire("alice", alive.connectionId("chat", "b"));
      await assert.rejects(alive.acquire("alice", alive.connectionId("chat", "c")), TooManyConnectionsError);
      // The live process re-asserts its entries; the crashed one never does again.
      for (let t = 0; t < 4; t++) {
        now += ENTRY_TTL_MS / 3;
        await alive.process(now);
      }
      await alive.acquire("alice", alive.connectionId("chat", "c"));
      await assert.rejects(alive.acquire("alice", alive.connectionId("chat", "d")), TooManyConnectionsError);
    });

    it("0 = no cap", async () => {
      const p = new PlayerConnections(counter, 0, clock);
      for (let i = 0; i < 20; i++) await p.acquire("alice", p.connectionId("chat", String(i)));
      assert.equal(await p.mayConnect("alice"), true);
    });
  });
}

describe("player connections across a Redis restart [private redis]", function () {
  this.timeout(30_000);
  let redis: PrivateRedis;
  let client: Redis;
  before(async () => {
    redis = await PrivateRedis.start();
    client = new Redis(redis.url, { maxRetriesPerRequest: 1, retryStrategy: () => 100 });
    client.on("error", () => {});
  });
  after(async () => {
    client.disconnect();
    await redis.stop();
  });

  it("live connections count again at the next re-assertion after Redis returns empty, those admitted while it was away too", async () => {
    const connections = new PlayerConnections(new RedisConnectionCounter(client), 2);
    await connections.acquire("alice", connections.connectionId("chat", "before"));
    await redis.stop();
    // Admitted without the shared count (the room logs it and lets the player in).
    await assert.rejects(connections.acquire("alice", connections.connectionId("arena", "during")));
    await redis.start();
    await connections.process();
    assert.equal(await connections.mayConnect("alice"), false, "both connections count again: alice is at the cap");
    await connections.release("alice", connections.connectionId("arena", "during"));
    assert.equal(await connections.mayConnect("alice"), true);
  });
});
