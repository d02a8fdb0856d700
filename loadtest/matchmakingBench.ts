/**
 * Matchmaking benchmark. Prints and writes bench/local/matchmaking.json (bench/results/ with --update):
 *  1. ticket ingest per second into Redis (RedisTicketStore.add, 64 in flight);
 *  2. one matching pass over 100,000 queued arena tickets (8 regions × 3 modes, ratings ~ N(1500, 300)): reading the
 *     pools from Redis, forming matches (the pure algorithm), and claiming them;
 *  3. a simulated queue (pure algorithm, simulated clock): players arrive at a stated rate, a pass runs every
 *     500 ms; time-to-match p50/p99 and rating spread per mode.
 * Uses BENCH_REDIS_URL (default redis://127.0.0.1:6379/7), which it empties first. Loopback only; bounded.
 */
import { Redis } from "ioredis";
import { arena } from "../src/games/arena/index.ts";
import { nextFloat, seedRng } from "../src/logic/rng.ts";
import type { ModeDefinition } from "../src/services/games/GameDefinition.ts";
import {
  DEFAULT_SCHEDULE,
  matchPool,
  poolKey,
  poolsOf,
  type Ticket,
} from "../src/services/matchmaking/MatchmakerAlgorithm.ts";
import { RedisTicketStore } from "../src/services/matchmaking/TicketStore.ts";
import { percentile, writeResults } from "./benchServer.ts";
import { resultsDirFromArgv } from "./lib/ResultsDir.ts";

const REDIS_URL = process.env.BENCH_REDIS_URL ?? "redis://127.0.0.1:6379/7";
const TICKETS = Number(process.env.BENCH_TICKETS ?? 100_000);
const REGIONS = ["eu", "us-east", "us-west", "sa", "asia", "oce", "me", "af"];
const MODES: readonly ModeDefinition[] = arena.modes;
const modeOf = (id: string): ModeDefinition => MODES.find((mode) => mode.id === id)!;
const ARRIVALS_PER_SEC = Number(process.env.BENCH_ARRIVALS_PER_SEC ?? 200);
const SIMULATED_SEC = Number(process.env.BENCH_SIMULATED_SEC ?? 600);

const rng = seedRng(2026);
function normal(mean: number, sd: number): number {
  const u = Math.max(1e-12, nextFloat(rng));
  const v = nextFloat(rng);
  return mean + sd * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
}

function randomTicket(i: number, enqueuedAt: number): Ticket {
  return {
    playerId: `p${i}`,
    username: `p${i}`,
    rating: Math.round(normal(1500, 300)),
    ratingDeviation: 50 + Math.round(nextFloat(rng) * 300),
    game: arena.id,
    region: REGIONS[Math.floor(nextFloat(rng) * REGIONS.length)]!,
    mode: MODES[Math.floor(nextFloat(rng) * MODES.length)]!.id,
    enqueuedAt,
  };
}

const round = (n: number, digits = 1) => Math.round(n * 10 ** digits) / 10 ** digits;

async function redisFigures() {
  const redis = new Redis(REDIS_URL);
  try {
    await redis.flushdb();
    const store = new RedisTicketStore(redis);
    const now = Date.now();
    const tickets = Array.from({ length: TICKETS }, (_, i) =>
      randomTicket(i, now - Math.floor(nextFloat(rng) * 60_000)),
    );
    let next = 0;
    const ingestStarted = performance.now();
    await Promise.all(
      Array.from({ length: 64 }, async () => {
        while (next < tickets.length) await store.add(tickets[next++]!, 600_000, now);
      }),
    );
    const ingestMs = performance.now() - ingestStarted;

    const passStarted = performance.now();
    const pools = await store.pools();
    const listed: Ticket[] = [];
    for (const pool of pools) listed.push(...(await store.list(pool, now)));
    const listMs = performance.now() - passStarted;
    const formStarted = performance.now();
    const matches = [...poolsOf(listed).values()].flatMap((pool) =>
      matchPool(pool, modeOf(pool[0]!.mode), now, DEFAULT_SCHEDULE, 0),
    );
    const formMs = performance.now() - formStarted;
    const claimStarted = performance.now();
    const leases = new Map<string, string>();
    for (const pool of pools) leases.set(pool, (await store.lease(pool, "bench", 60_000))!);
    let claimed = 0;
    let cursor = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (cursor < matches.length) {
          const match = matches[cursor++]!;
          const pool = poolKey(match.game, match.region, match.mode);
          const ids = match.teams.flat().map((t) => t.playerId);
          if ((await store.claim(pool, ids, leases.get(pool)!)) === "claimed") claimed += 1;
        }
      }),
    );
    const claimMs = performance.now() - claimStarted;
    const matchedPlayers = matches.reduce((n, m) => n + m.teams.flat().length, 0);
    await redis.flushdb();
    return {
      ingest: { tickets: TICKETS, ms: Math.round(ingestMs), perSecond: Math.round(TICKETS / (ingestMs / 1000)) },
      onePassOver100k: {
        pools: pools.length,
        readFromRedisMs: Math.round(listMs),
        formMatchesMs: Math.round(formMs),
        claimMatchesMs: Math.round(claimMs),
        totalMs: Math.round(listMs + formMs + claimMs),
        matchesFormed: matches.length,
        matchesClaimed: claimed,
        playersMatched: matchedPlayers,
        medianSpread: percentile(
          matches.map((m) => m.spread).sort((a, b) => a - b),
          50,
        ),
      },
    };
  } finally {
    redis.disconnect();
  }
}

function simulate() {
  const waits: Record<string, number[]> = Object.fromEntries(MODES.map((mode) => [mode.id, []]));
  const spreads: Record<string, number[]> = Object.fromEntries(MODES.map((mode) => [mode.id, []]));
  const queue = new Map<string, Ticket>();
  let arrived = 0;
  const passMs = 500;
  for (let t = 0; t < SIMULATED_SEC * 1000; t += passMs) {
    const arrivals = Math.round((ARRIVALS_PER_SEC * passMs) / 1000);
    for (let i = 0; i < arrivals; i++) {
      const ticket = randomTicket(arrived++, t + nextFloat(rng) * passMs);
      queue.set(ticket.playerId, ticket);
    }
    for (const pool of poolsOf([...queue.values()]).values()) {
      for (const match of matchPool(pool, modeOf(pool[0]!.mode), t + passMs, DEFAULT_SCHEDULE, 0)) {
        spreads[match.mode]!.push(match.spread);
        for (const ticket of match.teams.flat()) {
          waits[match.mode]!.push(t + passMs - ticket.enqueuedAt);
          queue.delete(ticket.playerId);
        }
      }
    }
  }
  const figures: Record<string, unknown> = {};
  for (const { id: mode } of MODES) {
    const w = waits[mode]!.sort((a, b) => a - b);
    const s = spreads[mode]!.sort((a, b) => a - b);
    figures[mode] = {
      matched: w.length,
      timeToMatchP50Sec: round(percentile(w, 50) / 1000),
      timeToMatchP99Sec: round(percentile(w, 99) / 1000),
      spreadP50: percentile(s, 50),
      spreadP99: percentile(s, 99),
    };
  }
  return {
    arrivalsPerSec: ARRIVALS_PER_SEC,
    arrivalsPerPoolPerSec: round(ARRIVALS_PER_SEC / (REGIONS.length * MODES.length), 2),
    simulatedSec: SIMULATED_SEC,
    passEveryMs: passMs,
    stillQueuedAtEnd: queue.size,
    byMode: figures,
  };
}

async function main(): Promise<void> {
  const dir = resultsDirFromArgv(process.argv.slice(2));
  const redis = await redisFigures();
  process.stdout.write(`${JSON.stringify(redis, null, 2)}\n`);
  const simulation = simulate();
  process.stdout.write(`${JSON.stringify(simulation, null, 2)}\n`);
  const file = writeResults(dir, "matchmaking", {
    redis,
    simulation,
    schedule: DEFAULT_SCHEDULE,
    regions: REGIONS.length,
    modes: MODES.map((mode) => mode.id),
  });
  process.stdout.write(`written to ${file}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`matchmaking benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
