/**
 * Login benchmark: throughput and latency of POST /auth/login through the real HTTP stack (argon2id at OWASP's
 * parameters, bounded hashing concurrency), the event-loop delay while the burst runs (what a game room on the same
 * process would feel), and unknown-user logins for comparison (no timing oracle). Loopback only; bounded in count.
 * Writes bench/local/auth.json (bench/results/auth.json with --update).
 *
 *   npm run bench:auth                       # PGlite, in-process
 *   npm run bench:auth -- --update           # replace the committed bench/results/auth.json
 *   DATABASE_URL=... REDIS_URL=... npm run bench:auth
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { burst, startBenchServer, summarise, writeResults } from "./benchServer.ts";
import { resultsDirFromArgv } from "./lib/ResultsDir.ts";

const PLAYERS = Number(process.env.BENCH_PLAYERS ?? 20);
const LOGINS = Number(process.env.BENCH_LOGINS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const PASSWORD = "correct horse battery staple";

function post(url: string, body: unknown, ip: string): Promise<Response> {
  return fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": ip },
    body: JSON.stringify(body),
  });
}

async function main(): Promise<void> {
  const dir = resultsDirFromArgv(process.argv.slice(2));
  const server = await startBenchServer();
  try {
    const login = `${server.url}/auth/login`;
    for (let i = 0; i < PLAYERS; i++) {
      const res = await post(
        `${server.url}/auth/register`,
        { username: `bench_${i}`, password: PASSWORD },
        `10.1.0.${i}`,
      );
      if (res.status !== 201) throw new Error(`register bench_${i}: ${res.status}`);
    }
    // Warm-up: one login per player (JIT, connection pool, the dummy hash).
    await burst(PLAYERS, 4, (i) => post(login, { username: `bench_${i}`, password: PASSWORD }, `10.2.0.${i}`), 200);

    const loop = monitorEventLoopDelay({ resolution: 1 });
    loop.enable();
    const known = await burst(
      LOGINS,
      CONCURRENCY,
      (i) => post(login, { username: `bench_${i % PLAYERS}`, password: PASSWORD }, `10.3.${i >> 8}.${i & 255}`),
      200,
    );
    loop.disable();
    const unknown = await burst(
      Math.min(LOGINS, 100),
      CONCURRENCY,
      (i) => post(login, { username: `nobody_${i}`, password: PASSWORD }, `10.4.${i >> 8}.${i & 255}`),
      401,
    );

    const figures = {
      database: server.services.db.kind,
      redis: server.services.redis === undefined ? "in-process" : "redis",
      hashingConcurrency: server.services.hasher.concurrency,
      argon2: "argon2id m=19456 KiB t=2 p=1",
      clientConcurrency: CONCURRENCY,
      login: summarise(known),
      unknownUserLogin: summarise(unknown),
      eventLoopDelayDuringBurst: {
        p50Ms: Math.round(loop.percentile(50) / 1e4) / 100,
        p99Ms: Math.round(loop.percentile(99) / 1e4) / 100,
        maxMs: Math.round(loop.max / 1e4) / 100,
      },
    };
    const file = writeResults(dir, "auth", figures);
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\nwritten to ${file}\n`);
  } finally {
    await server.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`auth benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
