import assert from "node:assert/strict";
import { Redis } from "ioredis";
import { PgDatabase } from "../../src/services/db/PgDatabase.ts";
import { boardDefinitions, LeaderboardService } from "../../src/services/leaderboards/LeaderboardService.ts";
import { SqlLeaderboardStore } from "../../src/services/leaderboards/LeaderboardStore.ts";
import { InMemoryRankIndex } from "../../src/services/leaderboards/RankIndex.ts";
import type { MatchResult } from "../../src/services/matches/MatchResults.ts";
import { MatchResultStore } from "../../src/services/results/MatchResultStore.ts";
import { testLogger } from "../helpers/logger.ts";
import {
  bootTestServer,
  jsonBody,
  type Registered,
  registerPlayer,
  SERVER_MATRIX,
  TEST_REDIS_URL,
  type TestServer,
} from "../helpers/server.ts";
import { TcpProxy } from "../helpers/tcpProxy.ts";

let sessions = 0;
function duel(winner: Registered, loser: Registered, over: Partial<MatchResult> = {}): MatchResult {
  sessions += 1;
  const now = Date.now();
  return {
    sessionId: `session-${process.pid}-${sessions}`,
    mode: "duel",
    region: "local",
    seed: 1,
    durationMs: 180_000,
    startedAt: now - 180_000,
    endedAt: now,
    rated: true,
    players: [
      {
        playerId: winner.player.id,
        username: winner.player.username,
        team: 0,
        bot: false,
        placement: 1,
        kills: 5,
        deaths: 1,
      },
      {
        playerId: loser.player.id,
        username: loser.player.username,
        team: 1,
        bot: false,
        placement: 2,
        kills: 1,
        deaths: 5,
      },
    ],
    ...over,
  };
}

async function get(
  server: TestServer,
  path: string,
): Promise<{ status: number; body: ReturnType<typeof jsonBody> extends Promise<infer T> ? T : never }> {
  const res = await fetch(`${server.baseUrl}${path}`);
  return { status: res.status, body: await jsonBody(res) };
}

async function getAs(
  server: TestServer,
  path: string,
  token: string,
): Promise<{ status: number; body: Awaited<ReturnType<typeof jsonBody>> }> {
  const res = await fetch(`${server.baseUrl}${path}`, { headers: { authorization: `Bearer ${token}` } });
  return { status: res.status, body: await jsonBody(res) };
}

for (const setup of SERVER_MATRIX) {
  describe(`results and leaderboards [${setup.database}, ${setup.redis ? "redis" : "in-process"}]`, function () {
    this.timeout(60_000);
    let server: TestServer;
    before(async () => {
      server = await bootTestServer(setup);
    });
    after(() => server.close());

    it("a rated duel updates ratings, wins and losses, and the rating and kills boards", async () => {
      const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
      const changes = await server.services.results.submit(duel(w, l));
      const mine = new Map(changes.map((c) => [c.playerId, c]));
      assert.equal(mine.get(w.player.id)?.ratingBefore, 1500);
      assert.ok(mine.get(w.player.id)!.ratingAfter > 1500);
      assert.ok(mine.get(l.player.id)!.ratingAfter < 1500);
      const winner = await server.services.stores.players.findById(w.player.id);
      assert.equal(winner?.wins, 1);
      assert.equal(winner?.rating, mine.get(w.player.id)!.ratingAfter);
      assert.equal((await server.services.stores.players.findById(l.player.id))?.losses, 1);

      const rank = await get(server, `/leaderboards/rating/players/${w.player.id}`);
      assert.equal(rank.status, 200);
      assert.equal(rank.body.score, winner?.rating);
      const kills = await get(server, `/leaderboards/kills:duel/players/${w.player.id}`);
      assert.equal(kills.body.score, 5);
      const game = await get(server, `/leaderboards/rating:arena/players/${w.player.id}`);
      assert.equal(game.body.score, winner?.rating, "the default game's board has the same rating");
    });

    it("a tied duel is a draw for both: no win, a draw in the player's ratings; the player view has every game's rating", async () => {
      const [a, b] = [await registerPlayer(server), await registerPlayer(server)];
      const tie = duel(a, b);
      tie.players = tie.players.map((p) => ({ ...p, placement: 1, kills: 3, deaths: 3 }));
      await server.services.results.submit(tie);
      for (const who of [a, b]) {
        const record = await server.services.stores.players.findById(who.player.id);
        assert.deepEqual([record?.wins, record?.losses], [0, 0], "a tie is neither a win nor a loss");
        const me = await getAs(server, "/players/me", who.accessToken);
        assert.equal(me.status, 200);
        assert.deepEqual(me.body.ratings[server.services.games.defaultGame.id], {
          rating: record?.rating,
          ratingDeviation: record?.ratingDeviation,
          wins: 0,
          losses: 0,
          draws: 1,
        });
        assert.deepEqual(
          [me.body.rating, me.body.ratingDeviation, me.body.wins, me.body.losses],
          [record?.rating, record?.ratingDeviation, 0, 0],
          "the top-level figures are the default game's, as before",
        );
        const profile = await get(server, `/players/${who.player.id}`);
        assert.deepEqual(profile.body.ratings, me.body.ratings);
        assert.equal(profile.body.currentSessionId, undefined);
      }
    });

    it("stores a result exactly once: a second delivery changes nothing and returns the same changes", async () => {
      const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
      const result = duel(w, l);
      const first = await server.services.results.submit(result);
      const second = await server.services.results.submit(result);
      assert.deepEqual(second, first);
      const rows = await server.services.db.query("SELECT 1 FROM match_results WHERE session_id = $1", [
        result.sessionId,
      ]);
      assert.equal(rows.length, 1);
      assert.equal((await server.services.stores.players.findById(w.player.id))?.wins, 1);
      const kills = await get(server, `/leaderboards/kills:duel/players/${w.player.id}`);
      assert.equal(kills.body.score, 5, "kills counted once");
    });

    it("a bot match is stored but unrated", async () => {
      const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
      const result = duel(w, l, { rated: false });
      const changes = await server.services.results.submit(result);
      assert.ok(changes.every((c) => c.ratingAfter === c.ratingBefore));
      assert.equal((await server.services.stores.players.findById(w.player.id))?.wins, 0);
      const rows = await server.services.db.query<{ rated: boolean }>(
        "SELECT rated FROM match_results WHERE session_id = $1",
        [result.sessionId],
      );
      assert.deepEqual(rows, [{ rated: false }]);
    });

    it("serves boards over HTTP: list, top N with offset and total, around a player, a player's rank; errors", async () => {
      const list = await get(server, "/leaderboards");
      assert.deepEqual(list.body.boards.map((b: { id: string }) => b.id).sort(), [
        "kills:duel",
        "kills:ffa",
        "kills:squad",
        "rating",
        "rating:arena",
        "rating:connect4",
      ]);
      const killsDuel = list.body.boards.find((b: { id: string }) => b.id === "kills:duel");
      assert.equal(killsDuel.operator, "incr");
      assert.equal(killsDuel.resetSchedule, "0 0 * * 1");
      const players = await Promise.all(Array.from({ length: 6 }, () => registerPlayer(server)));
      for (let i = 0; i + 1 < players.length; i += 2)
        await server.services.results.submit(duel(players[i]!, players[i + 1]!));
      const top = await get(server, "/leaderboards/rating?limit=3&offset=1");
      assert.equal(top.status, 200);
      assert.equal(top.body.entries.length, 3);
      assert.equal(top.body.entries[0].rank, 2);
      assert.ok(top.body.total >= 6);
      assert.ok(top.body.entries.every((e: { username: string }) => e.username.length > 0));
      const scores = top.body.entries.map((e: { score: number }) => e.score);
      assert.deepEqual(
        [...scores].sort((a, b) => b - a),
        scores,
      );
      const around = await get(server, `/leaderboards/rating/around/${players[1]!.player.id}?limit=5`);
      assert.equal(around.status, 200);
      assert.ok(around.body.entries.some((e: { playerId: string }) => e.playerId === players[1]!.player.id));
      assert.ok(around.body.entries.length <= 5);
      assert.equal((await get(server, "/leaderboards/nope")).status, 404);
      assert.equal((await get(server, "/leaderboards/rating/players/nobody")).status, 404);
      const bad = await get(server, "/leaderboards/rating?limit=0");
      assert.equal(bad.status, 400);
      assert.equal(bad.body.error.field, "limit");
    });

    it("rebuilds a lost rank index from PostgreSQL", async () => {
      const before = await get(server, "/leaderboards/rating?limit=100");
      if (setup.redis) {
        const redis = new Redis(TEST_REDIS_URL);
        await redis.flushdb();
        redis.disconnect();
        assert.equal((await get(server, "/leaderboards/rating?limit=100")).body.total, 0, "Redis lost the ranks");
      }
      const { rebuilt } = await server.services.leaderboards.process(Date.now());
      if (setup.redis) assert.ok(rebuilt.includes("rating"));
      const after = await get(server, "/leaderboards/rating?limit=100");
      assert.deepEqual(after.body, before.body);
    });
  });
}

describe("results across processes, resets and outages [postgres]", function () {
  this.timeout(60_000);
  let server: TestServer;
  before(async () => {
    server = await bootTestServer({ database: "postgres", redis: true });
  });
  after(() => server.close());

  it("two processes recording the same result at once: one row, one rating change", async () => {
    const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
    const other = new PgDatabase({ connectionString: server.config.databaseUrl! }, testLogger);
    try {
      const otherLeaderboards = new LeaderboardService(
        new SqlLeaderboardStore(other),
        new InMemoryRankIndex(),
        testLogger,
      );
      await otherLeaderboards.init(boardDefinitions(server.services.games));
      const stores = [
        server.services.resultStore,
        new MatchResultStore(other, otherLeaderboards, server.services.games),
      ];
      const result = duel(w, l);
      const outcomes = await Promise.all(stores.map((store) => store.record(result)));
      assert.deepEqual(outcomes.map((o) => o.recorded).sort(), [false, true]);
      assert.deepEqual(outcomes[0]!.changes, outcomes[1]!.changes);
      const winner = await server.services.stores.players.findById(w.player.id);
      assert.equal(winner?.wins, 1);
      assert.equal(winner?.rating, outcomes[0]!.changes.find((c) => c.playerId === w.player.id)?.ratingAfter);
    } finally {
      await other.close();
    }
  });

  it("a due reset fires once across two processes and archives the ended season", async () => {
    const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
    await server.services.results.submit(duel(w, l));
    const db = server.services.db;
    const [{ season }] = (await db.query<{ season: number }>(
      "SELECT season FROM leaderboards WHERE id = 'kills:duel'",
    )) as [{ season: number }];
    await db.execute("UPDATE leaderboards SET next_reset_at = now() - interval '1 minute' WHERE id = 'kills:duel'");
    const other = new PgDatabase({ connectionString: server.config.databaseUrl! }, testLogger);
    try {
      const second = new LeaderboardService(new SqlLeaderboardStore(other), new InMemoryRankIndex(), testLogger);
      const passes = await Promise.all([server.services.leaderboards.process(Date.now()), second.process(Date.now())]);
      assert.deepEqual(passes.map((p) => p.resets.includes("kills:duel")).sort(), [false, true], "exactly one reset");
      const [board] = await db.query<{ season: number; next_reset_at: Date }>(
        "SELECT season, next_reset_at FROM leaderboards WHERE id = 'kills:duel'",
      );
      assert.equal(board!.season, season + 1);
      assert.ok(board!.next_reset_at.getTime() > Date.now(), "next reset scheduled ahead");
      assert.equal(board!.next_reset_at.getUTCDay(), 1, "on a Monday");
      const archived = await db.query(
        "SELECT 1 FROM leaderboard_entries WHERE board_id = 'kills:duel' AND season = $1",
        [season],
      );
      assert.ok(archived.length >= 1, "the ended season's entries are kept");
      const current = await get(server, "/leaderboards/kills:duel");
      assert.equal(current.body.total, 0, "the new season starts empty");
      // A second pass does not reset again.
      const again = await Promise.all([server.services.leaderboards.process(Date.now()), second.process(Date.now())]);
      assert.deepEqual(
        again.flatMap((p) => p.resets),
        [],
      );
    } finally {
      await other.close();
    }
  });

  it("PostgreSQL down at match end: the result is journaled, then written once when the database is back", async () => {
    const proxy = new TcpProxy("127.0.0.1", 5432);
    await proxy.start();
    const url = new URL(server.config.databaseUrl!);
    url.port = String(proxy.port);
    const viaProxy = new PgDatabase({ connectionString: url.toString(), connectTimeoutMs: 500 }, testLogger);
    const { PersistentMatchResults } = await import("../../src/services/results/PersistentMatchResults.ts");
    const { RedisResultJournal } = await import("../../src/services/results/ResultJournal.ts");
    const redis = new Redis(TEST_REDIS_URL);
    // Only the sink under test drains (the server's own drain shares the stream and its database is up).
    server.services.results.stop();
    try {
      const leaderboards = new LeaderboardService(
        new SqlLeaderboardStore(viaProxy),
        new InMemoryRankIndex(),
        testLogger,
      );
      await leaderboards.init(boardDefinitions(server.services.games));
      const sink = new PersistentMatchResults(
        new MatchResultStore(viaProxy, leaderboards, server.services.games),
        leaderboards,
        new RedisResultJournal(redis),
        testLogger,
        () => viaProxy.ping(500),
      );
      const [w, l] = [await registerPlayer(server), await registerPlayer(server)];
      const result = duel(w, l);
      await proxy.cut();
      assert.deepEqual(await sink.submit(result), [], "no changes known while the database is away");
      assert.equal(await redis.xlen("arena:results:pending"), 1, "journaled durably");
      const later = duel(l, w);
      await sink.submit(later);
      // The database being away is not an entry failing: however many passes fail, nothing is parked.
      for (let pass = 0; pass < 4; pass++) await assert.rejects(sink.drain(), "still down: nothing drained");
      assert.equal(await redis.xlen("arena:results:parked"), 0, "nothing parked while the database is away");
      assert.equal(await redis.xlen("arena:results:pending"), 2, "both kept, in order");
      await proxy.restore();
      assert.equal(await sink.drain(), 2);
      assert.equal(await sink.drain(), 0);
      const rows = await server.services.db.query("SELECT 1 FROM match_results WHERE session_id = $1", [
        result.sessionId,
      ]);
      assert.equal(rows.length, 1);
      const winner = await server.services.stores.players.findById(w.player.id);
      assert.equal(winner?.wins, 1);
      assert.equal(winner?.losses, 1);
      assert.equal(await redis.xlen("arena:results:pending"), 0);
    } finally {
      redis.disconnect();
      await viaProxy.close();
      await proxy.stop();
    }
  });
});
