/**
 * The load-test driver: `npm run loadtest -- <scenario> [flags]`. Runs one scenario (loadtest/scenarios.ts),
 * prints a summary table, writes the figures to a JSON file (bench/local/<scenario>.json, gitignored; the committed
 * bench/results/ with --update; or --out) and exits non-zero when a threshold given with --max/--min was missed.
 * A player count that does not fill whole matches is rounded down, and the first line says so. Loopback only; every
 * run stops by itself.
 */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { parseArgs } from "node:util";
import { leaderboard } from "./leaderboard.ts";
import type { WindowFigures } from "./lib/Measure.ts";
import { resultsDir } from "./lib/ResultsDir.ts";
import { allPassed, describe, evaluate, parseThreshold, type Threshold } from "./lib/Thresholds.ts";
import {
  bots,
  churn,
  type Figures,
  flatten,
  matchmakingFlood,
  type RunOptions,
  ramp,
  reconnectStorm,
  rooms,
  SEATS,
  steady,
  wholeMatches,
} from "./scenarios.ts";

const SCENARIOS = [
  "steady",
  "rooms",
  "ramp",
  "churn",
  "reconnect-storm",
  "matchmaking-flood",
  "leaderboard",
  "bots",
] as const;
export type Scenario = (typeof SCENARIOS)[number];

export type { Figures };

const USAGE = `usage: npm run loadtest -- <${SCENARIOS.join("|")}> [flags]
  --players N          bots (steady, rooms, churn, reconnect-storm, bots)      default 500
                       matchmade scenarios and rooms run whole matches: a count that is not a multiple of the
                       match size is rounded down (the first line says so); below one match is refused
  --duration S         measured seconds                                          default 20
  --warmup S           seconds between all joined and the window                default 3
  --processes N        real server processes (src/index.ts), bots spread over them   default 1
  --mode M             duel | ffa | squad (matchmade scenarios)                 default ffa
  --room-size N        players per arena in 'rooms' (bench host)                 default 8
  --input-hz N         inputs per bot per second                                 default 30
  --tick-hz N / --patch-hz N   server TICK_RATE_HZ / PATCH_RATE_HZ               default 30 / 20
  --decode-every N     one bot in N decodes state (latency sample)               default 20
  --baselines          also run the vanilla room and raw ws echo with the same players
  --ramp-step N --ramp-step-sec S --ramp-max N                                   default 250 / 10 / 6000
  --drop-share F       share of players dropped in reconnect-storm              default 0.5
  --tickets-per-sec N  matchmaking-flood arrival rate                            default 100
  --entries N          leaderboard entries                                       default 1000000
  --max metric=V / --min metric=V   thresholds (repeatable); metrics: ${Object.keys(
    flatten({ actionLatencyMs: {}, rttMs: {}, timeToMatchMs: {}, reconnectMs: {} } as unknown as WindowFigures),
  ).join(", ")}
  --out FILE           results file                                    default bench/local/<scenario>.json (gitignored)
  --update             write to the committed bench/results/<scenario>.json instead (the figures the docs quote)
  --base-port N        first server port                                         default 2700
  --url URL            a running server (repeatable or comma-separated): nothing is started, the bots connect
                       there and CPU, RSS and event-loop delay come from its GET /metrics (steady, ramp, churn,
                       reconnect-storm, matchmaking-flood)
  --redis URL          REDIS_URL for the servers ('none' for in-process)         default redis://127.0.0.1:6379/13
  --database D         postgres: a scratch database per run on LOADTEST_POSTGRES_URL (default
                       postgres://postgres@127.0.0.1:5432/postgres); pglite: embedded (one process only); or a URL
  --quiet / --verbose`;

/**
 * Parses the driver's flags. `notice` is set when the player count was rounded down to whole matches
 * ({@link fitWholeMatches}): the caller prints it before anything else.
 */
export function parseOptions(argv: string[]): {
  scenario: Scenario;
  options: RunOptions;
  out: string;
  notice: string | undefined;
} {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      players: { type: "string", default: "500" },
      duration: { type: "string", default: "20" },
      warmup: { type: "string", default: "3" },
      processes: { type: "string", default: "1" },
      mode: { type: "string", default: "ffa" },
      region: { type: "string", default: "local" },
      "room-size": { type: "string", default: "8" },
      "input-hz": { type: "string", default: "30" },
      "tick-hz": { type: "string", default: "30" },
      "patch-hz": { type: "string", default: "20" },
      "decode-every": { type: "string", default: "20" },
      baselines: { type: "boolean", default: false },
      "ramp-step": { type: "string", default: "250" },
      "ramp-step-sec": { type: "string", default: "10" },
      "ramp-max": { type: "string", default: "6000" },
      "drop-share": { type: "string", default: "0.5" },
      "tickets-per-sec": { type: "string", default: "100" },
      entries: { type: "string", default: "1000000" },
      max: { type: "string", multiple: true, default: [] },
      min: { type: "string", multiple: true, default: [] },
      out: { type: "string" },
      update: { type: "boolean", default: false },
      "base-port": { type: "string", default: "2700" },
      url: { type: "string", multiple: true, default: [] },
      redis: { type: "string", default: "redis://127.0.0.1:6379/13" },
      database: { type: "string", default: "postgres" },
      quiet: { type: "boolean", default: false },
      verbose: { type: "boolean", default: false },
      help: { type: "boolean", default: false },
    },
  });
  const scenario = positionals[0] as Scenario;
  if (values.help || !SCENARIOS.includes(scenario)) throw new UsageError(USAGE);
  const num = (name: keyof typeof values) => {
    const value = Number(values[name]);
    if (!Number.isFinite(value) || value < 0) throw new UsageError(`--${name} must be a non-negative number`);
    return value;
  };
  const mode = values.mode as RunOptions["mode"];
  if (!["duel", "ffa", "squad"].includes(mode)) throw new UsageError("--mode must be duel, ffa or squad");
  const thresholds: Threshold[] = [
    ...values.max.map((spec) => parseThreshold(spec, "<=")),
    ...values.min.map((spec) => parseThreshold(spec, ">=")),
  ];
  const options: RunOptions = {
    players: num("players"),
    durationSec: num("duration"),
    warmupSec: num("warmup"),
    processes: Math.max(1, num("processes")),
    mode,
    region: values.region,
    roomSize: Math.max(2, num("room-size")),
    inputHz: Math.max(1, num("input-hz")),
    tickHz: num("tick-hz"),
    patchHz: num("patch-hz"),
    decodeEvery: Math.max(1, num("decode-every")),
    baselines: values.baselines,
    basePort: num("base-port"),
    urls: values.url.flatMap((u) => u.split(",")).filter((u) => u !== ""),
    redisUrl: values.redis === "none" ? undefined : values.redis,
    database: values.database,
    rampStep: Math.max(1, num("ramp-step")),
    rampStepSec: Math.max(1, num("ramp-step-sec")),
    rampMax: num("ramp-max"),
    dropShare: Math.min(1, Math.max(0.01, num("drop-share"))),
    ticketsPerSec: Math.max(1, num("tickets-per-sec")),
    entries: Math.max(1, num("entries")),
    thresholds,
    quiet: values.quiet,
    verbose: values.verbose,
  };
  const fitted = fitWholeMatches(scenario, options);
  return {
    scenario,
    options: fitted.options,
    out: values.out ?? path.join(resultsDir(values.update), `${scenario}.json`),
    notice: fitted.notice,
  };
}

/**
 * Whole matches only. A player who cannot fill a match searches for ever: the run used to wait a minute in silence
 * for them and then measure fewer players than asked. For each scenario that forms matches (matchmade ones by the
 * mode's seats, on each process when they share no Redis; `rooms` by `--room-size`; `ramp` by its step;
 * `matchmaking-flood` by its searches), a count below one
 * match is refused with the smallest valid one, and any other is rounded down to whole matches with a notice naming
 * the two nearest valid counts.
 */
export function fitWholeMatches(scenario: Scenario, o: RunOptions): { options: RunOptions; notice?: string } {
  // Without a shared Redis each started process matches only its own bots (dealt round-robin), so each needs
  // whole matches.
  const apart = o.urls.length === 0 && o.redisUrl === undefined && o.processes > 1 ? o.processes : 1;
  const seats = SEATS[o.mode] * apart;
  const matches =
    apart === 1
      ? `${seats}-player ${o.mode} matches`
      : `${SEATS[o.mode]}-player ${o.mode} matches on each of ${apart} processes (no shared Redis)`;
  const check = (flag: string, count: number, size: number, unit: string) => {
    const fitted = wholeMatches(count, size);
    if (fitted === 0) {
      throw new UsageError(`${flag} ${count} is fewer than one of the ${unit}: use ${size} or a multiple of ${size}`);
    }
    const notice =
      fitted === count
        ? undefined
        : `note: ${flag} ${count} does not fill whole ${unit}: running ${fitted} ` +
          `(the nearest whole counts are ${fitted} and ${fitted + size})`;
    return { fitted, notice };
  };
  switch (scenario) {
    case "steady":
    case "churn":
    case "reconnect-storm": {
      const { fitted, notice } = check("--players", o.players, seats, matches);
      return { options: { ...o, players: fitted }, notice };
    }
    case "rooms": {
      const { fitted, notice } = check("--players", o.players, o.roomSize, `${o.roomSize}-player rooms`);
      return { options: { ...o, players: fitted }, notice };
    }
    case "ramp": {
      const { fitted, notice } = check("--ramp-step", o.rampStep, seats, matches);
      return { options: { ...o, rampStep: fitted }, notice };
    }
    case "matchmaking-flood": {
      const searches = Math.round(o.ticketsPerSec * o.durationSec);
      const flag = `--tickets-per-sec ${o.ticketsPerSec} × --duration ${o.durationSec} =`;
      // The scenario sends floodSearches(o): the same rounding.
      const { notice } = check(flag, searches, seats, `${matches} (searches)`);
      return { options: o, notice };
    }
    case "leaderboard":
    case "bots":
      return { options: o };
  }
}

export class UsageError extends Error {}

/** Runs one scenario and returns its figures (with the machine and the options). */
export async function runScenario(scenario: Scenario, options: RunOptions): Promise<Figures> {
  const started = Date.now();
  const figures = await (async (): Promise<Figures> => {
    switch (scenario) {
      case "steady":
        return steady(options);
      case "rooms":
        return rooms(options);
      case "ramp":
        return ramp(options);
      case "churn":
        return churn(options);
      case "reconnect-storm":
        return reconnectStorm(options);
      case "matchmaking-flood":
        return matchmakingFlood(options);
      case "bots":
        return bots(options);
      case "leaderboard":
        return leaderboard(options.entries, 4000, options.basePort + 60, (line) => {
          if (!options.quiet) process.stdout.write(`${line}\n`);
        });
    }
  })();
  return {
    scenario,
    at: new Date(started).toISOString(),
    wallSec: Math.round((Date.now() - started) / 1000),
    machine: machine(),
    options: { ...options, thresholds: options.thresholds.map((t) => `${t.metric}${t.op}${t.limit}`) },
    ...figures,
  };
}

export function machine() {
  return {
    cpus: os.availableParallelism(),
    cpuModel: os.cpus()[0]?.model,
    memoryGb: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    note: "bots and servers share these cores: compare botCpuCores with serverCpuCores",
  };
}

/** The windows of a scenario's figures, by label, for the summary table and thresholds. */
export function windowsOf(figures: Figures): WindowFigures[] {
  const windows: WindowFigures[] = [];
  for (const key of ["game", "vanilla", "echo"]) {
    const w = figures[key] as WindowFigures | undefined;
    if (w !== undefined) windows.push(w);
  }
  for (const step of (figures.steps as Array<{ window: WindowFigures }> | undefined) ?? []) windows.push(step.window);
  return windows;
}

const cell = (v: number | null | undefined, digits = 1) =>
  v === null || v === undefined || Number.isNaN(v) ? "n/a" : v.toFixed(digits);

/** A fixed-width table of the windows: one row per window. */
export function summaryTable(windows: readonly WindowFigures[]): string {
  const header = [
    "window",
    "players",
    "act→upd p50",
    "p99 ms",
    "rtt p99",
    "B/s/client",
    "srv cores",
    "ms/s/player",
    "pl/core",
    "loop p99",
    "bot cores",
    "pl/bot core",
    "bot µs/msg",
    "errors",
  ];
  const rows = windows.map((w) => [
    w.label,
    String(Math.round(w.playersMean)),
    cell(w.actionLatencyMs.p50),
    cell(w.actionLatencyMs.p99),
    cell(w.rttMs.p99),
    String(w.bytesInPerClientPerSec),
    cell(w.serverCpuCores, 2),
    cell(w.serverCpuMsPerPlayerSec, 3),
    String(w.playersPerServerCore),
    cell(w.serverEventLoopP99Ms),
    cell(w.botCpuCores, 2),
    // Without players (matchmaking-flood) the bots' CPU goes to HTTP, not to messages: per-player figures are n/a.
    w.playersMean === 0 ? "n/a" : String(w.playersPerBotCore),
    w.playersMean === 0 ? "n/a" : cell(w.botCpuUsPerMessage, 1),
    String(w.errorCount),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) =>
    cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join("  ");
  return [line(header), line(widths.map((w) => "-".repeat(w))), ...rows.map(line)].join("\n");
}

export function writeFigures(file: string, figures: Figures): void {
  fs.mkdirSync(path.dirname(file), { recursive: true });
  fs.writeFileSync(file, `${JSON.stringify(figures, null, 2)}\n`);
}

async function main(): Promise<void> {
  const { scenario, options, out, notice } = parseOptions(process.argv.slice(2));
  if (notice !== undefined) process.stdout.write(`${notice}\n`);
  const figures = await runScenario(scenario, options);
  const windows = windowsOf(figures);
  if (windows.length > 0) process.stdout.write(`\n${summaryTable(windows)}\n`);
  else process.stdout.write(`\n${JSON.stringify(figures, null, 2)}\n`);
  for (const key of [
    "sustainedCcu",
    "cpuPerPlayerRatioToVanilla",
    "cpuPerPlayerRatioToEcho",
    "memoryPerPlayerKb",
    "liveMemoryPerPlayerKb",
  ]) {
    if (figures[key] !== undefined) process.stdout.write(`${key}: ${figures[key]}\n`);
  }
  // Thresholds apply to the game's window (ramp applied them step by step already).
  const judged = scenario === "ramp" ? undefined : windows[0];
  const results = judged === undefined ? [] : evaluate(options.thresholds, { ...flatten(judged), ...extras(figures) });
  for (const result of results) process.stdout.write(`threshold: ${describe(result)}\n`);
  writeFigures(out, { ...figures, ...(notice === undefined ? {} : { notice }), thresholds: results });
  process.stdout.write(`written to ${path.relative(process.cwd(), out)}\n`);
  process.exit(allPassed(results) ? 0 : 1);
}

/** Run-level figures thresholds may name besides a window's. */
export function extras(figures: Figures): Record<string, number | undefined> {
  const pick = (key: string) => (typeof figures[key] === "number" ? (figures[key] as number) : undefined);
  return {
    cpuRatio: pick("cpuPerPlayerRatioToVanilla"),
    memoryPerPlayerKb: pick("memoryPerPlayerKb"),
    liveMemoryPerPlayerKb: pick("liveMemoryPerPlayerKb"),
    ccu: pick("sustainedCcu"),
    reconnectSuccessRate: pick("reconnectSuccessRate"),
  };
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    if (error instanceof UsageError) {
      process.stderr.write(`${error.message}\n`);
      process.exit(2);
    }
    process.stderr.write(`load test failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
