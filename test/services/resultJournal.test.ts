/** The result journal holds results while PostgreSQL is away: as a Redis stream, or as a file without Redis. */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Redis } from "ioredis";
import type { MatchResult } from "../../src/services/matches/MatchResults.ts";
import { FileResultJournal, RedisResultJournal, type ResultJournal } from "../../src/services/results/ResultJournal.ts";
import { freePort } from "../helpers/ports.ts";
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
    /** Appends a line that is not a match result, as a damaged or hand-edited journal would hold. */
    let appendGarbage: (raw: string) => Promise<void>;
    /** The environment under which the operator's script finds this journal. */
    let scriptEnv: Record<string, string>;
    beforeEach(async () => {
      if (kind === "file") {
        const dir = fs.mkdtempSync(path.join(os.tmpdir(), "arena-journal-"));
        const file = path.join(dir, "sub", "results-journal.ndjson");
        journal = new FileResultJournal(file);
        scriptEnv = { DATA_DIR: path.dirname(file) };
        appendGarbage = async (raw) => {
          fs.mkdirSync(path.dirname(file), { recursive: true });
          fs.appendFileSync(file, `${raw}\n`);
        };
        cleanup = async () => fs.rmSync(dir, { recursive: true, force: true });
      } else {
        const redis = new Redis(TEST_REDIS_URL);
        await redis.flushdb();
        journal = new RedisResultJournal(redis);
        scriptEnv = { REDIS_URL: TEST_REDIS_URL };
        appendGarbage = async (raw) => {
          await redis.xadd("arena:results:pending", "*", "result", raw);
        };
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
        pending.map((e) => e.result?.sessionId),
        ["s1", "s2"],
      );
      assert.deepEqual(pending[0]!.result, result("s1"));
      await journal.remove(pending[0]!.id);
      assert.deepEqual(
        (await journal.pending(10)).map((e) => e.result?.sessionId),
        ["s2"],
      );
      assert.equal((await journal.pending(1)).length, 1);
    });

    it("parks an entry with its reason (kept, out of the way), replays it to the end, and knows every session in it", async () => {
      await journal.append(result("s1"));
      await journal.append(result("s2"));
      const [first] = await journal.pending(10);
      await journal.park(first!, "failing", "3 tries: boom");
      assert.deepEqual(
        (await journal.pending(10)).map((e) => e.result?.sessionId),
        ["s2"],
        "parked entries no longer block the journal",
      );
      const parked = await journal.parked(10);
      assert.equal(parked.length, 1);
      assert.equal(parked[0]!.reason, "failing");
      assert.equal(parked[0]!.detail, "3 tries: boom");
      assert.deepEqual(parked[0]!.result, result("s1"));
      assert.deepEqual([...(await journal.sessionIds())].sort(), ["s1", "s2"], "pending and parked sessions");

      assert.equal(await journal.replay(parked[0]!.id), true);
      assert.equal(await journal.replay(parked[0]!.id), false, "replayed once");
      assert.deepEqual(await journal.parked(10), []);
      assert.deepEqual(
        (await journal.pending(10)).map((e) => e.result?.sessionId),
        ["s2", "s1"],
        "a replayed entry goes to the end",
      );
    });

    it("an unreadable entry is listed (result undefined) without hiding the ones behind it", async () => {
      await appendGarbage("{not json");
      await journal.append(result("s3"));
      const pending = await journal.pending(10);
      assert.equal(pending.length, 2);
      assert.equal(pending[0]!.result, undefined);
      assert.equal(pending[0]!.raw, "{not json");
      assert.equal(pending[1]!.result?.sessionId, "s3");
      await journal.park(pending[0]!, "malformed", "not a readable match result");
      assert.deepEqual(
        (await journal.pending(10)).map((e) => e.result?.sessionId),
        ["s3"],
      );
      assert.equal((await journal.parked(10))[0]!.raw, "{not json");
    });

    it("scripts/resultJournal.ts lists parked entries with their reason and replays one", async () => {
      const script = (...args: string[]) =>
        execFileSync(process.execPath, ["--import", "tsx", "scripts/resultJournal.ts", ...args], {
          cwd: path.resolve(import.meta.dirname, "../.."),
          env: { PATH: process.env.PATH, ...scriptEnv },
          encoding: "utf8",
        });
      await journal.append(result("s4"));
      await journal.append(result("s5"));
      await journal.park((await journal.pending(1))[0]!, "fenced", "refused by the result store");
      const lines = script("list")
        .trim()
        .split("\n")
        .map((line) => JSON.parse(line));
      assert.deepEqual(lines[0], { pending: 1 });
      assert.equal(lines.length, 2);
      assert.equal(lines[1].sessionId, "s4");
      assert.equal(lines[1].reason, "fenced");
      assert.match(script("replay", lines[1].id), /replayed/);
      assert.deepEqual(await journal.parked(10), []);
      assert.deepEqual(
        (await journal.pending(10)).map((e) => e.result?.sessionId),
        ["s5", "s4"],
      );
    });
  });
}

describe("FileResultJournal after a crash and under concurrent use", () => {
  let dir: string;
  let file: string;
  let journal: FileResultJournal;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "arena-journal-"));
    file = path.join(dir, "results-journal.ndjson");
    journal = new FileResultJournal(file);
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("a line cut short by a crash stays one unreadable entry; the next result is appended as its own line", async () => {
    await journal.append(result("before"));
    // The process died while writing: half a line, no newline.
    fs.appendFileSync(file, JSON.stringify(result("cut")).slice(0, 30));
    await journal.append(result("after"));
    const pending = await journal.pending(10);
    assert.deepEqual(
      pending.map((entry) => entry.result?.sessionId),
      ["before", undefined, "after"],
    );
  });

  it("a result appended by another process (the operator's replay) while the server removes an entry is kept", async () => {
    const other = new FileResultJournal(file);
    for (let round = 0; round < 50; round++) {
      await journal.append(result(`old-${round}`));
      const [old] = await journal.pending(1);
      await Promise.all([journal.remove(old!.id), other.append(result(`new-${round}`))]);
      const left = (await journal.pending(1_000)).map((entry) => entry.result?.sessionId);
      assert.ok(left.includes(`new-${round}`), `round ${round}: new-${round} kept (journal: ${left.join(", ")})`);
    }
  });

  it("a result appended while another entry is removed is kept", async () => {
    for (let round = 0; round < 50; round++) {
      await journal.append(result(`old-${round}`));
      const [old] = await journal.pending(1);
      await Promise.all([journal.remove(old!.id), journal.append(result(`new-${round}`))]);
      const left = (await journal.pending(1_000)).map((entry) => entry.result?.sessionId);
      assert.ok(left.includes(`new-${round}`), `round ${round}: new-${round} kept (journal: ${left.join(", ")})`);
    }
  });
});

describe("scripts/resultJournal.ts without its Redis", () => {
  it("says in one line that REDIS_URL does not answer, exit 1", async () => {
    const port = await freePort();
    let failure: { status?: number; stderr?: string } = {};
    try {
      execFileSync(process.execPath, ["--import", "tsx", "scripts/resultJournal.ts", "list"], {
        cwd: path.resolve(import.meta.dirname, "../.."),
        env: { PATH: process.env.PATH, REDIS_URL: `redis://127.0.0.1:${port}/0` },
        encoding: "utf8",
        stdio: ["ignore", "pipe", "pipe"],
      });
    } catch (error) {
      failure = error as { status?: number; stderr?: string };
    }
    assert.equal(failure.status, 1);
    const lines = (failure.stderr ?? "").trim().split("\n");
    assert.equal(lines.length, 1, failure.stderr);
    assert.match(lines[0]!, /^REDIS_URL /);
  });
});
