/**
 * The `leaderboard` scenario: a board of `entries` (1,000,000 by default), then through HTTP the rank query
 * (`/leaderboards/rating/players/:id`), the top 100 (`/leaderboards/rating?limit=100`) and the 11 around a player,
 * p50/p99 and requests/s with 16 in flight, and the p50/p99 of a score submit (database transaction + rank index
 * update). The server runs in this process (loadtest/benchServer.ts), on PGlite + the in-process order-statistic
 * index, or on PostgreSQL + Redis sorted sets when DATABASE_URL and REDIS_URL are set (it writes players and entries
 * into that database: give it a scratch one).
 */
import { burst, percentile, startBenchServer, summarise } from "./benchServer.ts";

const CONCURRENCY = 16;

export async function leaderboard(
  entries: number,
  requests: number,
  port: number,
  log: (line: string) => void,
): Promise<Record<string, unknown>> {
  const server = await startBenchServer(port);
  try {
    const { db, leaderboards } = server.services;
    const loadStarted = performance.now();
    const board = leaderboards.get("rating")!;
    // In chunks, so no statement runs into the pool's statement timeout.
    for (let from = 1; from <= entries; from += 100_000) {
      const to = Math.min(entries, from + 99_999);
      await db.execute(
        `INSERT INTO players (id, username, region)
         SELECT 'lb' || i, 'lb_' || i, 'local' FROM generate_series($1::int, $2::int) AS i ON CONFLICT DO NOTHING`,
        [from, to],
      );
      await db.execute(
        `INSERT INTO leaderboard_entries (board_id, season, player_id, score, updated_at)
         SELECT 'rating', $3::int, 'lb' || i, round((1500 + 300 * sin(i * 12.9898) * cos(i * 78.233))::numeric, 2),
                now() - (i || ' milliseconds')::interval
         FROM generate_series($1::int, $2::int) AS i ON CONFLICT DO NOTHING`,
        [from, to, board.season],
      );
    }
    const insertedMs = performance.now() - loadStarted;
    const indexStarted = performance.now();
    await leaderboards.process(Date.now(), true);
    const indexMs = performance.now() - indexStarted;
    log(`loaded ${entries} entries in ${Math.round(insertedMs)} ms, index built in ${Math.round(indexMs)} ms`);

    const rank = summarise(
      await burst(requests, CONCURRENCY, (i) =>
        fetch(`${server.url}/leaderboards/rating/players/lb${1 + ((i * 7919) % entries)}`),
      ),
    );
    const top = summarise(
      await burst(requests, CONCURRENCY, () => fetch(`${server.url}/leaderboards/rating?limit=100`)),
    );
    const around = summarise(
      await burst(requests, CONCURRENCY, (i) =>
        fetch(`${server.url}/leaderboards/rating/around/lb${1 + ((i * 104729) % entries)}?limit=11`),
      ),
    );

    const submits: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const playerId = `lb${1 + ((i * 15485863) % entries)}`;
      const t0 = performance.now();
      const pending = await db.transaction((tx) =>
        leaderboards.submit(tx, "rating", playerId, 1000 + (i % 1000), new Date()),
      );
      await leaderboards.publish([pending]);
      submits.push(performance.now() - t0);
    }
    submits.sort((a, b) => a - b);

    return {
      database: db.kind,
      rankIndex: server.services.redis === undefined ? "in-process order-statistic treap" : "Redis sorted set",
      entries: entries,
      loadIntoDatabaseMs: Math.round(insertedMs),
      buildIndexMs: Math.round(indexMs),
      httpConcurrency: CONCURRENCY,
      rankQuery: rank,
      top100: top,
      around11: around,
      scoreSubmit: {
        submits: submits.length,
        p50Ms: Math.round(percentile(submits, 50) * 100) / 100,
        p99Ms: Math.round(percentile(submits, 99) * 100) / 100,
      },
    };
  } finally {
    await server.close();
  }
}
