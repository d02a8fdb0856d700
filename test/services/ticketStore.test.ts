/** One contract suite for the ticket store, run in-process and on real Redis. */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import type { Ticket } from "../../src/services/matchmaking/MatchmakerAlgorithm.ts";
import {
  CLAIMED_MARK_MS,
  InMemoryTicketStore,
  RedisTicketStore,
  type TicketStore,
} from "../../src/services/matchmaking/TicketStore.ts";
import { TEST_REDIS_URL } from "../helpers/server.ts";

function ticket(id: string, over: Partial<Ticket> = {}): Ticket {
  return {
    playerId: id,
    username: id,
    rating: 1500,
    ratingDeviation: 200,
    game: "arena",
    region: "eu",
    mode: "duel",
    enqueuedAt: 1000,
    ...over,
  };
}

const TTL = 10_000;

for (const kind of ["in-process", "redis"] as const) {
  describe(`TicketStore [${kind}]`, () => {
    let redis: Redis | undefined;
    let store: TicketStore;

    beforeEach(async () => {
      if (kind === "redis") {
        redis ??= new Redis(TEST_REDIS_URL);
        await redis.flushdb();
        store = new RedisTicketStore(redis);
      } else {
        store = new InMemoryTicketStore();
      }
    });
    after(() => redis?.disconnect());

    it("keeps one live ticket per player, in the pool of its region and mode", async () => {
      assert.equal(await store.add(ticket("a"), TTL, 1000), true);
      assert.equal(await store.add(ticket("a", { mode: "ffa" }), TTL, 1000), false, "second ticket refused");
      assert.equal(await store.add(ticket("b", { region: "us" }), TTL, 1000), true);
      assert.deepEqual((await store.pools()).sort(), ["arena:eu:duel", "arena:us:duel"]);
      assert.deepEqual(
        (await store.list("arena:eu:duel", 2000)).map((t) => t.playerId),
        ["a"],
      );
      assert.deepEqual(await store.list("arena:eu:duel", 2000), [ticket("a")], "the ticket round-trips intact");
      assert.equal(await store.size("arena:eu:duel"), 1);
    });

    it("pools are per game: two games' searchers of one region and mode wait apart, one ticket per player", async () => {
      assert.equal(await store.add(ticket("a"), TTL, 1000), true);
      assert.equal(await store.add(ticket("b", { game: "connect4" }), TTL, 1000), true);
      assert.equal(await store.add(ticket("a", { game: "connect4" }), TTL, 1000), false, "one search at a time");
      assert.deepEqual((await store.pools()).sort(), ["arena:eu:duel", "connect4:eu:duel"]);
      assert.deepEqual(
        (await store.list("arena:eu:duel", 2000)).map((t) => t.playerId),
        ["a"],
      );
      assert.deepEqual(await store.list("connect4:eu:duel", 2000), [ticket("b", { game: "connect4" })]);
      assert.equal(await store.size("connect4:eu:duel"), 1);
      const lease = (await store.lease("connect4:eu:duel", "proc-1", 5000))!;
      assert.equal(await store.claim("connect4:eu:duel", ["a", "b"], lease), "missing", "a is not in that pool");
    });

    it("cancel removes the ticket and frees the player for a new one", async () => {
      await store.add(ticket("a"), TTL, 1000);
      assert.equal(await store.cancel("a"), true);
      assert.equal(await store.cancel("a"), false);
      assert.deepEqual(await store.list("arena:eu:duel", 2000), []);
      assert.equal(await store.add(ticket("a", { mode: "squad" }), TTL, 3000), true);
    });

    it("tickets expire after their TTL unless touched (a dead holder's tickets vanish)", async () => {
      await store.add(ticket("kept"), TTL, 1000);
      await store.add(ticket("dropped"), TTL, 1000);
      await store.touch(["kept"], TTL, 8000);
      const live = await store.list("arena:eu:duel", 12_000);
      assert.deepEqual(
        live.map((t) => t.playerId),
        ["kept"],
      );
      assert.equal(
        await store.add(ticket("dropped", { mode: "ffa" }), TTL, 12_000),
        true,
        "expired ticket no longer blocks",
      );
    });

    it("a claim takes all tickets of a match or none; a cancelled member makes it fail", async () => {
      const lease = (await store.lease("arena:eu:duel", "proc-1", 5000))!;
      for (const id of ["a", "b", "c", "d"]) await store.add(ticket(id), TTL, 1000);
      assert.equal(await store.claim("arena:eu:duel", ["a", "b"], lease), "claimed");
      await store.cancel("d");
      assert.equal(await store.claim("arena:eu:duel", ["c", "d"], lease), "missing");
      assert.deepEqual(
        (await store.list("arena:eu:duel", 2000)).map((t) => t.playerId),
        ["c"],
        "c stays queued",
      );
      assert.equal(await store.add(ticket("a"), TTL, 2000), true, "a claimed player may queue again");
    });

    it("touch names the players whose tickets are gone, but not those claimed for a match (being seated)", async () => {
      const lease = (await store.lease("arena:eu:duel", "proc-1", 5000))!;
      for (const id of ["seated-1", "seated-2", "kept", "lost"]) await store.add(ticket(id), TTL, 1000);
      assert.equal(await store.claim("arena:eu:duel", ["seated-1", "seated-2"], lease), "claimed");
      // A ticket that vanished (Redis restarted empty, say) while its holder still searches.
      await store.cancel("lost");
      assert.deepEqual(await store.touch(["seated-1", "seated-2", "kept", "lost"], TTL, 2000), ["lost"]);
      assert.equal(await store.add(ticket("lost"), TTL, 2000), true, "the holder queues it again");
      assert.deepEqual(await store.touch(["kept", "lost"], TTL, 2000), []);
    });

    it("remembers a player's waiting start once", async () => {
      await store.rememberWait("a", 1234, 60_000);
      assert.equal(await store.takeRememberedWait("a"), 1234);
      assert.equal(await store.takeRememberedWait("a"), undefined);
      assert.equal(await store.takeRememberedWait("never"), undefined);
    });

    it("one lease holder per pool; renewals by the holder; a fenced claim after takeover fails", async () => {
      const first = await store.lease("arena:eu:duel", "proc-1", 200);
      assert.ok(first);
      assert.equal(await store.lease("arena:eu:duel", "proc-2", 200), undefined, "held by proc-1");
      assert.equal(await store.lease("arena:eu:duel", "proc-1", 200, first), first, "renewed");
      await new Promise((resolve) => setTimeout(resolve, 300));
      const second = await store.lease("arena:eu:duel", "proc-2", 5000);
      assert.ok(second && second !== first, "taken over after expiry with a new epoch");
      await store.add(ticket("x"), TTL, 1000);
      await store.add(ticket("y"), TTL, 1000);
      assert.equal(await store.claim("arena:eu:duel", ["x", "y"], first!), "fenced", "the stale holder cannot claim");
      assert.equal(await store.claim("arena:eu:duel", ["x", "y"], second!), "claimed");
    });
  });
}

describe("TicketStore [in-process] claim mark", () => {
  it(`a claimed player whose seat never came counts as lost after ${CLAIMED_MARK_MS} ms`, async () => {
    let now = 1000;
    const store = new InMemoryTicketStore(() => now);
    const lease = (await store.lease("arena:eu:duel", "proc-1", 5000))!;
    await store.add(ticket("a"), TTL, now);
    assert.equal(await store.claim("arena:eu:duel", ["a"], lease), "claimed");
    assert.deepEqual(await store.touch(["a"], TTL, now), []);
    now += CLAIMED_MARK_MS;
    assert.deepEqual(await store.touch(["a"], TTL, now), ["a"]);
  });
});
