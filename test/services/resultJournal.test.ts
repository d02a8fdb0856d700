/** The result journal holds results while PostgreSQL is away: as a Redis stream, or as a file without Redis. */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import type { MatchResult } from "../../src/services/matches/MatchResults.ts";
import { FileResultJournal, RedisResultJournal, type ResultJournal } from "../../src/services/results/ResultJournal.ts";
import { TEST_REDIS_URL } from "../helpers/server.ts";

function result(sessionId: string): MatchResult {
  return {
    sessionId,
    mode: "duel",
    region: "local",
    seed: 1,
    durationMs: 1,
    startedAt: 1,
    endedAt: 2,
    rated: false,
    players: [],
  };
}

for (const kind of ["file", "redis"] as const) {
  describe(`ResultJournal [${kind}]`, () => {
    let journal: ResultJournal;
    let cleanup: () => Promise<void>;
    beforeEach(async () => {
      if (kind === "file") {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arena-journal-"));
        journal = new FileResultJournal(path.join(dir, "sub", "results-journal.ndjson"));
        cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
      } else {
        const redis = new Redis(TEST_REDIS_URL);
        await redis.flushdb();
        journal = new RedisResultJournal(redis);
        cleanup = async () => redis.disconnect();
      }
    });
    afterEach(() => cleanup());

    it("keeps results in order until removed", async () => {
      assert.deepEqual(await journal.pending(10), []);
      await journal.append(result("s1"));
      await journal.append(result("s2"));
      const pending = await journal.pending(10);
      assert.deepEqual(
        pending.map((e) => e.result.sessionId),
        ["s1", "s2"],
      );
      assert.deepEqual(pending[0]!.result, result("s1"));
      await journal.remove(pending[0]!.id);
      assert.deepEqual(
        (await journal.pending(10)).map((e) => e.result.sessionId),
        ["s2"],
      );
      assert.equal((await journal.pending(1)).length, 1);
    });
  });
}
