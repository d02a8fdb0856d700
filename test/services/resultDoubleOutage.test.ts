/**
 * A match ends while PostgreSQL is away (a private PostgreSQL and `redis-server`, stopped and restarted): the
 * result goes to the journal and stays in the process until stored, so it is stored exactly once when PostgreSQL
 * returns — also when Redis is away too (nothing could be journaled), whichever comes back first, and when Redis
 * restarted empty meanwhile (the journal lost it).
 */
import assert from "node:assert/strict";
import type { MatchResult } from "../../src/services/matches/MatchResults.ts";
import { PrivatePostgres, PrivateRedis } from "../helpers/privateServers.ts";
import { duelResult } from "../helpers/results.ts";
import { bootTestServer, registerPlayer, type TestServer } from "../helpers/server.ts";

describe("a result while PostgreSQL and Redis are both down [private postgres, redis]", function () {
  this.timeout(90_000);
  let pg: PrivatePostgres;
  let redis: PrivateRedis;
  let server: TestServer;
  before(async () => {
    [pg, redis] = await Promise.all([PrivatePostgres.start(), PrivateRedis.start()]);
    server = await bootTestServer({
      database: "postgres",
      redis: true,
      databaseUrl: () => pg.url,
      env: { REDIS_URL: redis.url },
    });
    // Drained by hand below.
    server.services.results.stop();
  });
  after(async () => {
    await server?.close();
    await pg?.destroy();
    await redis?.stop();
  });

  const stored = (sessionId: string) =>
    server.services.db.query<{ result: { result: MatchResult } }>(
      "SELECT result FROM match_results WHERE session_id = $1",
      [sessionId],
    );

  it("journaled while PostgreSQL is down, then Redis restarts empty (no persistence): still stored once", async () => {
    const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
    const result = duelResult(`journal-lost-${process.pid}`, w, l, [5, 4]);
    await pg.stop();
    await server.services.results.submit(result);
    assert.equal((await server.services.results.journal.pending(10)).length, 1, "journaled in Redis");
    await redis.stop();
    await redis.start();
    await pg.start();
    const deadline = Date.now() + 20_000;
    while ((await stored(result.sessionId).catch(() => [])).length === 0 && Date.now() < deadline) {
      await server.services.results.drain().catch(() => 0);
      await new Promise((resolve) => setTimeout(resolve, 500));
    }
    assert.equal((await stored(result.sessionId)).length, 1, "the result is stored");
    assert.equal((await server.services.stores.players.findById(w.player.id))?.wins, 1, "counted once");
  });

  for (const first of ["redis", "postgres"] as const) {
    it(`is kept and stored once when they return (${first} first)`, async () => {
      const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
      const result = duelResult(`double-outage-${first}-${process.pid}`, w, l, [5, 4]);
      await Promise.all([pg.stop(), redis.stop()]);
      await server.services.results.submit(result);
      await assert.rejects(server.services.results.drain(), "nothing drains while both are away");
      await (first === "redis" ? redis.start() : pg.start());
      await server.services.results.drain().catch(() => 0);
      await (first === "redis" ? pg.start() : redis.start());
      const deadline = Date.now() + 20_000;
      while ((await stored(result.sessionId).catch(() => [])).length === 0 && Date.now() < deadline) {
        await server.services.results.drain().catch(() => 0);
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
      const rows = await stored(result.sessionId);
      assert.equal(rows.length, 1, "the result is stored");
      assert.deepEqual(
        rows[0]!.result.result.players.map((p) => [p.playerId, p.kills]),
        result.players.map((p) => [p.playerId, p.kills]),
      );
      // Stored directly while the journal was away, its leaderboard publication may have failed (Redis): then it
      // went to the journal too, and drains as a duplicate that changes nothing.
      await server.services.results.drain();
      assert.deepEqual(await server.services.results.journal.pending(10), [], "nothing left in the journal");
      assert.deepEqual(await server.services.results.journal.parked(10), [], "nothing parked");
      assert.equal((await server.services.stores.players.findById(w.player.id))?.wins, 1, "counted once");
    });
  }
});
