/** One contract suite for rank indexes, in-process and on real Redis, with ties. */
import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { InMemoryRankIndex, type RankIndex, RedisRankIndex } from "../../src/services/leaderboards/RankIndex.ts";
import { TEST_REDIS_URL } from "../helpers/server.ts";

for (const kind of ["in-process", "redis"] as const) {
  describe(`RankIndex [${kind}]`, () => {
    let redis: Redis | undefined;
    let index: RankIndex;
    beforeEach(async () => {
      if (kind === "redis") {
        redis ??= new Redis(TEST_REDIS_URL);
        await redis.flushdb();
        index = new RedisRankIndex(redis);
      } else {
        index = new InMemoryRankIndex();
      }
    });
    after(() => redis?.disconnect());

    it("ranks descending boards from 1, ties going to who got there first", async () => {
      await index.set("b", "desc", "late", 100, 2000);
      await index.set("b", "desc", "early", 100, 1000);
      await index.set("b", "desc", "top", 150, 3000);
      await index.set("b", "desc", "low", 10, 500);
      assert.deepEqual(await index.range("b", 0, 10), [
        { playerId: "top", score: 150, rank: 1 },
        { playerId: "early", score: 100, rank: 2 },
        { playerId: "late", score: 100, rank: 3 },
        { playerId: "low", score: 10, rank: 4 },
      ]);
      assert.deepEqual(await index.rank("b", "late"), { playerId: "late", score: 100, rank: 3 });
      assert.equal(await index.rank("b", "nobody"), undefined);
      assert.equal(await index.count("b"), 4);
    });

    it("ascending boards put the lowest first, ties to the earliest", async () => {
      await index.set("fast", "asc", "b", 30.5, 2);
      await index.set("fast", "asc", "a", 30.5, 1);
      await index.set("fast", "asc", "c", 12.25, 3);
      assert.deepEqual(
        (await index.range("fast", 0, 3)).map((e) => e.playerId),
        ["c", "a", "b"],
      );
    });

    it("moves a player on a new score, pages with offset, and replaces content on load", async () => {
      for (let i = 0; i < 10; i++) await index.set("p", "desc", `p${i}`, i, i);
      await index.set("p", "desc", "p0", 100, 20);
      assert.deepEqual(await index.rank("p", "p0"), { playerId: "p0", score: 100, rank: 1 });
      assert.deepEqual(
        (await index.range("p", 3, 2)).map((e) => [e.playerId, e.rank]),
        [
          ["p7", 4],
          ["p6", 5],
        ],
      );
      assert.equal(await index.count("p"), 10);
      assert.equal(await index.has("p"), true);
      assert.equal(await index.has("other"), false);
      await index.load("p", "desc", [{ playerId: "x", score: 1, at: 1 }]);
      assert.deepEqual(await index.range("p", 0, 5), [{ playerId: "x", score: 1, rank: 1 }]);
    });

    it("agrees with a plain sort over many random entries", async () => {
      const entries = Array.from({ length: 500 }, (_, i) => ({
        playerId: `q${i}`,
        score: (i * 7919) % 97,
        at: (i * 31) % 1000,
      }));
      await index.load("r", "desc", entries);
      const sorted = [...entries].sort((a, b) => b.score - a.score || a.at - b.at);
      const ranked = await index.range("r", 0, 500);
      assert.deepEqual(
        ranked.map((e) => e.playerId),
        sorted.map((e) => e.playerId),
      );
      for (const probe of [0, 17, 250, 499]) {
        assert.equal((await index.rank("r", sorted[probe]!.playerId))?.rank, probe + 1);
      }
    });
  });
}
