/**
 * Login benchmark: throughput and latency of POST /auth/login through the real HTTP stack (argon2id at OWASP's
 * parameters, bounded hashing concurrency), the event-loop delay while the burst runs (what a game room on the same
 * process would feel), and unknown-user logins for comparison (no timing oracle). Loopback only; bounded in count.
 *
 *   npm run bench:auth                       # PGlite, in-process
 *   DATABASE_URL=... REDIS_URL=... npm run bench:auth
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import { percentile, startBenchServer, writeResults } from "./benchServer.ts";

const PLAYERS = Number(process.env.BENCH_PLAYERS ?? 20);
const LOGINS = Number(process.env.BENCH_LOGINS ?? 200);
const CONCURRENCY = Number(process.env.BENCH_CONCURRENCY ?? 16);
const PASSWORD = "correct horse battery staple";

async function post(url: string, body: unknown, ip: string): Promise<number> {
  const res = await fetch(url, {
    method: "POST",
    headers: { "content-type": "application/json", "x-forwarded-for": ip },
    body: JSON.stringify(body),
  });
  await res.arrayBuffer();
  return res.status;
}

/** Runs `total` requests with `concurrency` in flight; returns each latency in ms, and the wall time. */
async function burst(total: number, concurrency: number, request: (i: number) => Promise<number>, expect: number) {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        const status = await request(i);
        latencies.push(performance.now() - t0);
        if (status !== expect) throw new Error(`request ${i}: status ${status}, expected ${expect}`);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), wallMs: performance.now() - started };
}

function summary(run: { latencies: number[]; wallMs: number }) {
  const round = (n: number) => Math.round(n * 10) / 10;
  return {
    requests: run.latencies.length,
    perSecond: round((run.latencies.length / run.wallMs) * 1000),
    p50Ms: round(percentile(run.latencies, 50)),
    p99Ms: round(percentile(run.latencies, 99)),
    maxMs: round(run.latencies.at(-1) ?? Number.NaN),
  };
}

async function main(): Promise<void> {
  const server = await startBenchServer();
  try {
    const login = `${server.url}/auth/login`;
    for (let i = 0; i < PLAYERS; i++) {
      const status = await post(
        `${server.url}/auth/register`,
        { username: `bench_${i}`, password: PASSWORD },
        `10.1.0.${i}`,
      );
      if (status !== 201) throw new Error(`register bench_${i}: ${status}`);
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
      login: summary(known),
      unknownUserLogin: summary(unknown),
      eventLoopDelayDuringBurst: {
        p50Ms: Math.round(loop.percentile(50) / 1e4) / 100,
        p99Ms: Math.round(loop.percentile(99) / 1e4) / 100,
        maxMs: Math.round(loop.max / 1e4) / 100,
      },
    };
    const file = writeResults("auth", figures);
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\nwritten to ${file}\n`);
  } finally {
    await server.close();
  }
}

main().catch((error: unknown) => {
  process.stderr.write(`auth benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
