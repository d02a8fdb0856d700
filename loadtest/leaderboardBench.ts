/**
 * Leaderboard benchmark: a board of 1,000,000 entries (BENCH_ENTRIES), then through HTTP the rank query
 * (`/leaderboards/rating/players/:id`) and the top 100 (`/leaderboards/rating?limit=100`), p50/p99 and requests/s
 * with 16 in flight, and the p50/p99 of a score submit (PostgreSQL transaction + rank index update).
 *
 *   npm run bench:leaderboard                          # PGlite + in-process order-statistic index
 *   DATABASE_URL=... REDIS_URL=... npm run bench:leaderboard   # PostgreSQL + Redis sorted sets
 * With DATABASE_URL the benchmark writes players and entries into that database: give it a scratch one.
 */
import { burst, percentile, startBenchServer, summarise, writeResults } from "./benchServer.ts";

const ENTRIES = Number(process.env.BENCH_ENTRIES ?? 1_000_000);
const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 4000);
const CONCURRENCY = 16;

async function main(): Promise<void> {
  const server = await startBenchServer(2592);
  try {
    const { db, leaderboards } = server.services;
    const loadStarted = performance.now();
    const board = leaderboards.get("rating")!;
    // In chunks, so no statement runs into the pool's statement timeout.
    for (let from = 1; from <= ENTRIES; from += 100_000) {
      const to = Math.min(ENTRIES, from + 99_999);
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
    process.stdout.write(
      `loaded ${ENTRIES} entries in ${Math.round(insertedMs)} ms, index built in ${Math.round(indexMs)} ms\n`,
    );

    const rank = summarise(
      await burst(REQUESTS, CONCURRENCY, (i) =>
        fetch(`${server.url}/leaderboards/rating/players/lb${1 + ((i * 7919) % ENTRIES)}`),
      ),
    );
    const top = summarise(
      await burst(REQUESTS, CONCURRENCY, () => fetch(`${server.url}/leaderboards/rating?limit=100`)),
    );
    const around = summarise(
      await burst(REQUESTS, CONCURRENCY, (i) =>
        fetch(`${server.url}/leaderboards/rating/around/lb${1 + ((i * 104729) % ENTRIES)}?limit=11`),
      ),
    );

    const submits: number[] = [];
    for (let i = 0; i < 1000; i++) {
      const playerId = `lb${1 + ((i * 15485863) % ENTRIES)}`;
      const t0 = performance.now();
      const pending = await db.transaction((tx) =>
        leaderboards.submit(tx, "rating", playerId, 1000 + (i % 1000), new Date()),
      );
      await leaderboards.publish([pending]);
      submits.push(performance.now() - t0);
    }
    submits.sort((a, b) => a - b);

    const figures = {
      database: db.kind,
      rankIndex: server.services.redis === undefined ? "in-process order-statistic treap" : "Redis sorted set",
      entries: ENTRIES,
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
    const file = writeResults(
      `leaderboard-${db.kind}-${server.services.redis === undefined ? "memory" : "redis"}`,
      figures,
    );
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\nwritten to ${file}\n`);
  } finally {
    await server.close();
  }
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    process.stderr.write(`leaderboard benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
