/**
 * `npm run bench`: a short run of every scenario (about three minutes on a 2-core machine: {@link BENCH_WALL_TIME}),
 * each writing bench/local/<name>.json, then bench/local/SUMMARY.md: every performance target with the measured
 * figure, how far it is from the target, and the figures' conditions. `npm run bench -- --update` writes to the
 * committed bench/results/ instead (the figures the docs quote). Longer runs: `npm run loadtest -- <scenario>`.
 * Exits non-zero when a scenario failed to run (a missed target is reported, not an error).
 */
import fs from "node:fs";
import path from "node:path";
import type { WindowFigures } from "./lib/Measure.ts";
import { resultsDirFromArgv } from "./lib/ResultsDir.ts";
import {
  type Figures as Run,
  machine,
  parseOptions,
  runScenario,
  summaryTable,
  windowsOf,
  writeFigures,
} from "./loadtest.ts";

/**
 * What `npm run bench` takes, as measured on this project's 2-core machine (docs/PERFORMANCE.md): printed when it
 * starts, and the figure the docs give. Re-measure when RUNS change; the run prints its own wall time at the end.
 */
export const BENCH_WALL_TIME = "about three minutes (148 s on a quiet machine, 175 s beside other work)";

/** The runs of `npm run bench`: name → the same flags `npm run loadtest` takes. */
export const RUNS: Array<[string, string[]]> = [
  ["rooms-8", ["rooms", "--room-size", "8", "--players", "400", "--duration", "6", "--warmup", "1", "--baselines"]],
  ["rooms-100", ["rooms", "--room-size", "100", "--players", "100", "--duration", "5", "--warmup", "1", "--baselines"]],
  ["steady-30hz", ["steady", "--players", "400", "--duration", "6", "--warmup", "1", "--patch-hz", "30"]],
  ["churn", ["churn", "--players", "200", "--duration", "15"]],
  ["reconnect-storm", ["reconnect-storm", "--players", "200", "--duration", "6", "--warmup", "1"]],
  ["matchmaking-flood", ["matchmaking-flood", "--tickets-per-sec", "40", "--duration", "4"]],
  ["leaderboard", ["leaderboard", "--entries", "50000"]],
  ["bots", ["bots", "--players", "2000", "--duration", "5", "--warmup", "1"]],
];

interface Target {
  figure: string;
  target: string;
  limit: number;
  op: "<=" | ">=";
  value: (runs: Map<string, Run>) => number | undefined;
  where: string;
  /** What holds the figure back, with this run's own evidence: printed under the table when the target is missed. */
  limitedBy: (runs: Map<string, Run>) => string;
}

const game = (run: Run | undefined) => run?.game as WindowFigures | undefined;
const baseline = (run: Run | undefined, name: "vanilla" | "echo") => run?.[name] as WindowFigures | undefined;

const TARGETS: Target[] = [
  {
    figure: "players per server core, 8-player matches, 30 Hz tick / 20 Hz patch",
    target: "≥ 3,000",
    limit: 3000,
    op: ">=",
    value: (r) => game(r.get("rooms-8"))?.playersPerServerCore,
    where: "rooms-8",
    limitedBy: (r) =>
      `the transport: the raw ws echo in the same run, with no game and no Colyseus, holds ${fmt(
        baseline(r.get("rooms-8"), "echo")?.playersPerServerCore,
      )} players per core at the same message rates (30 inputs in, 30 echoes out per player-second). Every message ` +
      "is a TCP segment through the kernel, a few µs each on this virtual machine, before any game work " +
      '(docs/PERFORMANCE.md, "Where the time goes")',
  },
  {
    figure: "server event-loop delay p99 at that load",
    target: "≤ 10 ms",
    limit: 10,
    op: "<=",
    value: (r) => game(r.get("rooms-8"))?.serverEventLoopP99Ms,
    where: "rooms-8",
    limitedBy: () => "ticks of many rooms falling due together on a saturated core",
  },
  {
    figure: "action→update p99, 30 Hz patch, matchmade 4-player matches",
    target: "≤ 45 ms (with 1,000 players)",
    limit: 45,
    op: "<=",
    value: (r) => game(r.get("steady-30hz"))?.actionLatencyMs.p99 ?? undefined,
    where: "steady-30hz",
    limitedBy: () =>
      "the wait of an input for the next tick (≤ 33 ms) and for its patch, longer when the CPU is saturated",
  },
  {
    figure: "bytes/s per client, 8-player matches",
    target: "≤ 2,000",
    limit: 2000,
    op: "<=",
    value: (r) => game(r.get("rooms-8"))?.bytesInPerClientPerSec,
    where: "rooms-8",
    limitedBy: () =>
      "every bot moves, turns and fires all the time: each visible player costs x, y (int16), angle (float32) and a " +
      "ref switch in every patch, each projectile its spawn and its positions",
  },
  {
    figure: "bytes/s per client, 100-player room (interest management)",
    target: "≤ 5,000",
    limit: 5000,
    op: "<=",
    value: (r) => game(r.get("rooms-100"))?.bytesInPerClientPerSec,
    where: "rooms-100",
    limitedBy: () =>
      "visible players: the 900 u view radius (what the client's screen shows) holds about a third of a 100-player " +
      "room, ~33 players each moving and turning in every patch at ~13 B (x, y int16, angle float32, ref switch): " +
      "≈ 8.6 kB/s before projectiles. 5 kB/s needs fewer visible players or lower rates for far ones; Colyseus " +
      "tracks an entity's changes once for every view that holds it, so per-client rates are not available",
  },
  {
    figure: "server memory per player, live (V8 heap + external after a full GC), KB",
    target: "≤ 48",
    limit: 48,
    op: "<=",
    value: (r) => r.get("rooms-8")?.liveMemoryPerPlayerKb as number | undefined,
    where: "rooms-8",
    limitedBy: () => "per-connection objects: the Colyseus client and its StateView, socket buffers, input queues",
  },
  {
    figure: "server RSS growth per player (both ends after a full GC), KB",
    target: "≤ 48",
    limit: 48,
    op: "<=",
    value: (r) => r.get("rooms-8")?.memoryPerPlayerKb as number | undefined,
    where: "rooms-8",
    limitedBy: (r) => {
      const growth = r.get("rooms-8")?.memoryGrowthPerPlayerKb as Record<string, number> | undefined;
      return (
        `V8's heap headroom: after a full collection its heap still holds the space it grew into under load ` +
        `(heap reserved +${fmt(growth?.v8HeapReserved)} KB per player, of which live ${fmt(
          r.get("rooms-8")?.liveMemoryPerPlayerKb as number | undefined,
        )} KB with ${fmt(growth?.external)} KB of buffers outside it); it gives pages back only when the process idles`
      );
    },
  },
  {
    figure: "server CPU per player, arena ÷ vanilla Colyseus room (8 per room)",
    target: "≤ 1.5×",
    limit: 1.5,
    op: "<=",
    value: (r) => r.get("rooms-8")?.cpuPerPlayerRatioToVanilla as number | undefined,
    where: "rooms-8",
    limitedBy: () =>
      "the game itself: simulation and hit tests, input validation and queues, snapshots for crash recovery, and one " +
      "patch encoded per client view (interest management, the owner-only ack) where the vanilla room broadcasts one",
  },
  {
    figure: "players per core of bots (the load driver), 30 inputs/s out and 20 patches/s in per player",
    target: "well over 2,000",
    limit: 2000,
    op: ">=",
    value: (r) => game(r.get("bots"))?.playersPerBotCore,
    where: "bots",
    limitedBy: (r) =>
      `the cost of a socket message on this machine: ${fmt(game(r.get("bots"))?.botCpuUsPerMessage)} µs of the ` +
      "driver's CPU per message sent or received, most of it in the kernel (a bare loop of LeanSockets with no bot " +
      "logic takes ≈ 7.5 µs, a Python epoll loop ≈ 5 µs); next to a saturated server on the same two cores, " +
      `${fmt(game(r.get("rooms-8"))?.playersPerBotCore)} (rooms-8)`,
  },
];

function fmt(n: number | undefined): string {
  if (n === undefined || !Number.isFinite(n)) return "n/a";
  return Math.abs(n) >= 100 ? Math.round(n).toLocaleString("en-US") : String(Math.round(n * 100) / 100);
}

export function targetRows(runs: Map<string, Run>): string[][] {
  return TARGETS.map((t) => {
    const value = t.value(runs);
    const met = value === undefined ? "n/a" : (t.op === "<=" ? value <= t.limit : value >= t.limit) ? "met" : "missed";
    const distance = value === undefined ? "n/a" : `${(value / t.limit).toFixed(2)}× the target`;
    return [t.figure, t.target, fmt(value), distance, met, t.where];
  });
}

/** "What limits it" for each missed target, with the run's own figures. */
export function missedNotes(runs: Map<string, Run>): string[] {
  const notes = TARGETS.filter((t) => {
    const value = t.value(runs);
    return value !== undefined && !(t.op === "<=" ? value <= t.limit : value >= t.limit);
  }).map((t) => `- **${t.figure}** is limited by ${t.limitedBy(runs)}.`);
  return notes.length === 0 ? [] : ["Where a target is missed, what limits it:", "", ...notes, ""];
}

function markdown(runs: Map<string, Run>, wallSec: number): string {
  const rows = targetRows(runs);
  const lines = [
    "# Benchmark summary",
    "",
    `\`npm run bench\` on ${new Date().toISOString()}, ${wallSec} s. Machine: ${JSON.stringify(machine())}.`,
    "Bots and servers share the machine's cores: each window lists the bots' CPU next to the servers'.",
    "",
    "| figure | target | measured | distance | | run |",
    "|---|---|---|---|---|---|",
    ...rows.map((r) => `| ${r.join(" | ")} |`),
    "",
    ...missedNotes(runs),
  ];
  for (const [name, run] of runs) {
    const windows = windowsOf(run);
    lines.push(
      `## ${name}`,
      "",
      `\`npm run loadtest -- ${(RUNS.find(([n]) => n === name)?.[1] ?? []).join(" ")}\``,
      "",
    );
    if (windows.length > 0) lines.push("```", summaryTable(windows), "```", "");
    const extra = Object.entries(run).filter(
      ([key, value]) =>
        [
          "cpuPerPlayerRatioToVanilla",
          "cpuPerPlayerRatioToEcho",
          "memoryPerPlayerKb",
          "liveMemoryPerPlayerKb",
          "memoryGrowthPerPlayerKb",
          "reconnectSuccessRate",
          "matchesEndedPerSec",
          "runErrors",
          "dropped",
          "seated",
          "searches",
          "sustainedCcu",
        ].includes(key) && value !== undefined,
    );
    if (extra.length > 0)
      lines.push(extra.map(([k, v]) => `${k}: ${typeof v === "object" ? JSON.stringify(v) : v}`).join(", "), "");
    if (name === "leaderboard") {
      const { rankQuery, top100, around11, scoreSubmit, entries, database } = run as Record<string, unknown>;
      lines.push(
        "```",
        JSON.stringify({ database, entries, rankQuery, top100, around11, scoreSubmit }, null, 1),
        "```",
        "",
      );
    }
  }
  return `${lines.join("\n")}\n`;
}

async function main(): Promise<void> {
  const dir = resultsDirFromArgv(process.argv.slice(2));
  const shown = path.relative(process.cwd(), dir);
  process.stdout.write(
    `npm run bench: ${RUNS.length} runs, ${BENCH_WALL_TIME} on a 2-core machine; figures to ${shown}/\n`,
  );
  const started = Date.now();
  const runs = new Map<string, Run>();
  let failed = false;
  for (const [i, [name, argv]] of RUNS.entries()) {
    const elapsed = Math.round((Date.now() - started) / 1000);
    process.stdout.write(
      `\n== [${i + 1}/${RUNS.length}, ${elapsed} s] ${name}: npm run loadtest -- ${argv.join(" ")}\n`,
    );
    try {
      const { scenario, options, notice } = parseOptions(argv);
      if (notice !== undefined) process.stdout.write(`${notice}\n`);
      const run = await runScenario(scenario, options);
      runs.set(name, run);
      writeFigures(path.join(dir, `${name}.json`), run);
      const windows = windowsOf(run);
      if (windows.length > 0) process.stdout.write(`${summaryTable(windows)}\n`);
    } catch (error) {
      failed = true;
      process.stderr.write(`${name} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    }
  }
  const wallSec = Math.round((Date.now() - started) / 1000);
  const summary = markdown(runs, wallSec);
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, "SUMMARY.md"), summary);
  process.stdout.write(`\n${summary}\nwritten to ${shown}/ (${wallSec} s)\n`);
  process.exit(failed ? 1 : 0);
}

if (import.meta.url === `file://${process.argv[1]}`) {
  main().catch((error: unknown) => {
    process.stderr.write(`bench failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
}
