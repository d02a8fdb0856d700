/**
 * Draining the result journal on a real PostgreSQL, with the Redis stream and with the file journal: results go in
 * in order; an entry that fails while the database answers is retried, then parked (kept, logged, counted) and the
 * ones behind it drain; an unreadable entry is parked at once; refused results (fenced, conflicting) are logged at
 * error level, counted and parked, never dropped silently; so is a result of a game this server does not register.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { Writable } from "node:stream";
import { pino } from "pino";
import type { MatchResult } from "../../src/services/matches/MatchResults.ts";
import { MatchResultStore } from "../../src/services/results/MatchResultStore.ts";
import {
  MAX_ENTRY_TRIES,
  type ParkReason,
  PersistentMatchResults,
} from "../../src/services/results/PersistentMatchResults.ts";
import { FileResultJournal, RedisResultJournal, type ResultJournal } from "../../src/services/results/ResultJournal.ts";
import type { RefusalReason } from "../../src/services/results/MatchResultStore.ts";
import { duelResult } from "../helpers/results.ts";
import { bootTestServer, type Registered, registerPlayer, type TestServer } from "../helpers/server.ts";

let sessions = 0;
function duel(winner: Registered, loser: Registered, over: Partial<MatchResult> = {}): MatchResult {
  sessions += 1;
  return duelResult(`drain-${process.pid}-${sessions}`, winner, loser, [4, 1], over);
}

describe("result journal drain and refusals [postgres, redis]", function () {
  this.timeout(60_000);
  let server: TestServer;
  before(async () => {
    server = await bootTestServer({ database: "postgres", redis: true });
    // This suite drains by hand.
    server.services.results.stop();
  });
  after(() => server.close());

  const stored = async (sessionId: string) =>
    server.services.db.query<{ result: { result: MatchResult } }>(
      "SELECT result FROM match_results WHERE session_id = $1",
      [sessionId],
    );

  for (const kind of ["redis", "file"] as const) {
    describe(`with the ${kind} journal`, () => {
      let journal: ResultJournal;
      let sink: PersistentMatchResults;
      let logs: Array<{ level: number; msg: string; sessionId?: string; reason?: string }>;
      let counted: { refused: RefusalReason[]; parked: ParkReason[] };
      let dir: string;

      beforeEach(async () => {
        dir = fs.mkdtempSync(path.join(os.tmpdir(), "arena-drain-"));
        if (kind === "redis") {
          await server.services.redis!.del("arena:results:pending", "arena:results:parked");
          journal = new RedisResultJournal(server.services.redis!);
        } else {
          journal = new FileResultJournal(path.join(dir, "results-journal.ndjson"));
        }
        logs = [];
        counted = { refused: [], parked: [] };
        const log = pino(
          { level: "info" },
          new Writable({
            write(chunk, _encoding, done) {
              logs.push(JSON.parse(chunk.toString()));
              done();
            },
          }),
        );
        const { db, leaderboards, games } = server.services;
        sink = new PersistentMatchResults(
          new MatchResultStore(db, leaderboards, games),
          leaderboards,
          journal,
          log,
          () => db.ping(1_000),
          { refused: (reason) => counted.refused.push(reason), parked: (reason) => counted.parked.push(reason) },
        );
      });
      afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

      it(`an entry failing while the database answers is retried, parked after ${MAX_ENTRY_TRIES} tries, and the ones behind it drain in order`, async () => {
        const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
        // PostgreSQL refuses this one for good: duration_ms is an integer column.
        const poison = duel(w, l, { durationMs: "forever" as unknown as number });
        const first = duel(w, l);
        const second = duel(l, w);
        for (const result of [poison, first, second]) await journal.append(result);

        for (let pass = 1; pass < MAX_ENTRY_TRIES; pass++) {
          assert.equal(await sink.drain(), 0, `pass ${pass}: the failing entry is retried first (order kept)`);
          assert.equal((await stored(first.sessionId)).length, 0, "nothing behind it is written out of order");
        }
        assert.equal(await sink.drain(), 2, "parked at the last try; the two behind it are written");
        assert.deepEqual(await journal.pending(10), []);
        const parked = await journal.parked(10);
        assert.deepEqual(
          parked.map((entry) => [entry.result?.sessionId, entry.reason]),
          [[poison.sessionId, "failing"]],
          "kept, with its reason",
        );
        assert.match(parked[0]!.detail, /3 tries/);
        assert.deepEqual(counted.parked, ["failing"]);
        assert.ok(
          logs.some((line) => line.level >= 50 && line.sessionId === poison.sessionId && line.reason === "failing"),
          "logged at error level with the session id",
        );
        // Written in journal order: the second result saw the first's ratings.
        const winner = await server.services.stores.players.findById(w.player.id);
        assert.equal(winner?.wins, 1);
        assert.equal(winner?.losses, 1);
        assert.equal((await stored(second.sessionId)).length, 1);
      });

      it("a fenced result (the match was taken over) is refused: logged, counted and parked, not stored", async () => {
        const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
        const result = duel(w, l, { epoch: 0 });
        const sessions = server.services.stores.sessions;
        await sessions.create({
          id: result.sessionId,
          gameType: "arena",
          mode: "duel",
          region: "local",
          serverId: "a-process",
          players: [],
        });
        assert.equal(await sessions.claim(result.sessionId, 0, "another-process", new Date()), true);
        await journal.append(result);
        assert.equal(await sink.drain(), 0);
        assert.equal((await stored(result.sessionId)).length, 0, "not stored");
        assert.deepEqual(await journal.pending(10), []);
        assert.deepEqual(
          (await journal.parked(10)).map((entry) => [entry.result?.sessionId, entry.reason]),
          [[result.sessionId, "fenced"]],
          "parked, not dropped",
        );
        assert.deepEqual(counted.refused, ["fenced"]);
        assert.ok(
          logs.some((line) => line.level >= 50 && line.sessionId === result.sessionId && /refused/.test(line.msg)),
          "logged at error level",
        );
        // Replayed as it is, it is refused and parked again: nothing of it counts behind the operator's back.
        assert.equal(await journal.replay((await journal.parked(1))[0]!.id), true);
        assert.equal(await sink.drain(), 0);
        assert.equal((await journal.parked(10)).length, 1);
        assert.equal((await stored(result.sessionId)).length, 0);
      });

      it("a different result for a session that has one is refused (conflict) and parked; the first stays", async () => {
        const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
        const real = duel(w, l);
        assert.equal((await sink.submit(real)).length, 2);
        const phantom: MatchResult = {
          ...real,
          players: real.players.map((p) => ({ ...p, kills: 3, placement: 1 })),
        };
        assert.deepEqual(await sink.submit(phantom), [], "no rating change for a refused result");
        assert.deepEqual(counted.refused, ["conflict"]);
        assert.deepEqual(
          (await journal.parked(10)).map((entry) => [entry.result?.sessionId, entry.reason]),
          [[real.sessionId, "conflict"]],
        );
        const [row] = await stored(real.sessionId);
        assert.deepEqual(
          row!.result.result.players.map((p) => p.kills),
          [4, 1],
          "the stored result is still the first",
        );
        // The same result again is a plain duplicate: neither refused nor parked.
        await sink.submit(real);
        assert.deepEqual(counted.refused, ["conflict"]);
      });
    });
  }

  it("a result of a game this server does not register is refused (unregistered), parked at once, and the next drains", async () => {
    const redis = server.services.redis!;
    await redis.del("arena:results:pending", "arena:results:parked");
    const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
    const stray = duel(w, l, { game: "no-such-game" });
    const after = duel(w, l);
    const journal = server.services.results.journal;
    await journal.append(stray);
    await journal.append(after);
    assert.equal(await server.services.results.drain(), 1, "the entry behind it is written in the same pass");
    assert.equal((await stored(stray.sessionId)).length, 0);
    assert.equal((await stored(after.sessionId)).length, 1);
    assert.deepEqual(
      (await journal.parked(10)).map((entry) => [entry.result?.sessionId, entry.reason]),
      [[stray.sessionId, "unregistered"]],
    );
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    assert.match(metrics, /arena_results_refused_total\{[^}]*reason="unregistered"[^}]*\} 1/);
  });

  it("an unreadable journal entry is parked at once and the next one drains", async () => {
    const redis = server.services.redis!;
    await redis.del("arena:results:pending", "arena:results:parked");
    const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
    const after = duel(w, l);
    await redis.xadd("arena:results:pending", "*", "result", "{truncated");
    await server.services.results.journal.append(after);
    assert.equal(await server.services.results.drain(), 1);
    assert.equal((await stored(after.sessionId)).length, 1);
    const parked = await server.services.results.journal.parked(10);
    assert.deepEqual(
      parked.map((entry) => [entry.raw, entry.reason]),
      [["{truncated", "malformed"]],
    );
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    assert.match(metrics, /arena_results_parked_total\{[^}]*reason="malformed"[^}]*\} 1/);
  });

  it("the server counts a refused result in arena_results_refused_total", async () => {
    const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
    const result = duel(w, l, { epoch: 0 });
    await server.services.stores.sessions.create({
      id: result.sessionId,
      gameType: "arena",
      mode: "duel",
      region: "local",
      serverId: "a-process",
      players: [],
    });
    await server.services.stores.sessions.claim(result.sessionId, 0, "another-process", new Date());
    assert.deepEqual(await server.services.results.submit(result), []);
    const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
    assert.match(metrics, /arena_results_refused_total\{[^}]*reason="fenced"[^}]*\} 1/);
  });
});
