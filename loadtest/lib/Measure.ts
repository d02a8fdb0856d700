/**
 * One measurement window over a fleet and its servers: the bots' figures (latency, RTT, bytes, errors), the
 * servers' CPU and RSS from /proc, their event-loop delay from GET /metrics (or the bench host's own stats route),
 * and the bots' own CPU, so a reader can tell how much of the machine the bots took. Draws a progress bar.
 */
import os from "node:os";
import type { Fleet, WindowStats } from "./Fleet.ts";
import type { HistogramSummary } from "./Histogram.ts";
import { fetchMetrics, type ProcessSample, processSample, type ServerProcess } from "./Servers.ts";

export interface ServerFigures {
  name: string;
  cpuCores: number;
  rssMb: number;
  eventLoopP99Ms: number | undefined;
  source: "metrics" | "bench-host" | "none";
}

export interface WindowFigures {
  label: string;
  seconds: number;
  playersAtEnd: number;
  playersMean: number;
  actionLatencyMs: HistogramSummary;
  rttMs: HistogramSummary;
  timeToMatchMs: HistogramSummary;
  joinMs: HistogramSummary;
  reconnectMs: HistogramSummary;
  bytesInPerClientPerSec: number;
  stateBytesInPerClientPerSec: number;
  bytesOutPerClientPerSec: number;
  inputsPerSec: number;
  ticketsPerSec: number;
  seatsPerSec: number;
  /** Bots that saw their match end (4105), per second. */
  matchEndsPerSec: number;
  reconnected: number;
  errors: Record<string, number>;
  closes: Record<string, number>;
  errorCount: number;
  servers: ServerFigures[];
  serverCpuCores: number;
  serverRssMb: number;
  /** Server CPU per connected player: ms of one core per second. */
  serverCpuMsPerPlayerSec: number;
  /** Players per fully used server core at this load (players ÷ server cores busy). */
  playersPerServerCore: number;
  serverEventLoopP99Ms: number | undefined;
  botCpuCores: number;
  /** Players per fully used core of bots (players ÷ the driver's cores busy). */
  playersPerBotCore: number;
  /** WebSocket messages the bots sent and received, per second. */
  botMessagesPerSec: number;
  /** The driver's CPU per message sent or received, µs. */
  botCpuUsPerMessage: number;
  botRssMb: number;
  machineLoad1: number;
}

export interface MeasureTarget {
  fleet: Fleet;
  servers: readonly ServerProcess[];
  /** Bench host stats route (event-loop p99 since last reset), used when /metrics is absent. */
  statsUrl?: string;
}

const round = (n: number, digits = 2) => (Number.isFinite(n) ? Math.round(n * 10 ** digits) / 10 ** digits : n);

interface ServerReading {
  /** CPU and RSS: /proc for a process this tool started, else /metrics. */
  sample: ProcessSample | undefined;
  /** Event-loop p99: /metrics when served, else the bench host's stats route, else undefined. */
  loopP99: number | undefined;
  source: ServerFigures["source"];
}

/** One reading of a server, with its /metrics fetched once. `reset` starts a new event-loop window. */
async function readServer(server: ServerProcess, statsUrl: string | undefined, reset: boolean): Promise<ServerReading> {
  const metrics = await fetchMetrics(server.httpUrl);
  const sample = processSample(server, metrics);
  if (metrics?.eventLoopLagP99Ms !== undefined)
    return { sample, loopP99: metrics.eventLoopLagP99Ms, source: "metrics" };
  if (statsUrl !== undefined) {
    try {
      const res = await fetch(`${statsUrl}${reset ? "?reset=1" : ""}`, { signal: AbortSignal.timeout(2000) });
      const body = (await res.json()) as { eventLoopP99Ms: number };
      return { sample, loopP99: body.eventLoopP99Ms, source: "bench-host" };
    } catch {
      return { sample, loopP99: undefined, source: "none" };
    }
  }
  return { sample, loopP99: undefined, source: "none" };
}

/**
 * Measures `seconds` of the fleet as it is (starting a fresh window), printing a progress line each second unless
 * `quiet`. `tick` runs every second (scenarios use it to add players or cause trouble).
 */
export async function measureWindow(
  target: MeasureTarget,
  label: string,
  seconds: number,
  options: { quiet?: boolean; tick?: (second: number) => void | Promise<void> } = {},
): Promise<WindowFigures> {
  const { fleet, servers } = target;
  const before = await Promise.all(servers.map((server) => readServer(server, target.statsUrl, true)));
  const cpuBefore = before.map((reading) => reading.sample?.cpuSec ?? 0);
  const botCpuBefore = process.cpuUsage();
  fleet.resetWindow();
  const started = performance.now();
  let playersSum = 0;
  let samples = 0;
  for (let second = 1; second <= seconds; second++) {
    await options.tick?.(second);
    const due = started + second * 1000;
    await new Promise((resolve) => setTimeout(resolve, Math.max(0, due - performance.now())));
    const playing = fleet.census().playing;
    playersSum += playing;
    samples += 1;
    if (!options.quiet && (process.stdout.isTTY || second % 5 === 0 || second === seconds)) {
      progress(label, second, seconds, playing, fleet.window);
    }
  }
  const wallSec = (performance.now() - started) / 1000;
  const botCpu = process.cpuUsage(botCpuBefore);
  const stats = fleet.window;
  const traffic = fleet.trafficInWindow();
  const census = fleet.census();
  const playersMean = samples === 0 ? 0 : playersSum / samples;
  const serverFigures: ServerFigures[] = [];
  for (const [i, server] of servers.entries()) {
    const { sample, loopP99, source } = await readServer(server, target.statsUrl, false);
    serverFigures.push({
      name: server.name,
      cpuCores: round(((sample?.cpuSec ?? 0) - cpuBefore[i]!) / wallSec, 3),
      rssMb: round((sample?.rssBytes ?? 0) / 1e6, 1),
      eventLoopP99Ms: loopP99 === undefined ? undefined : round(loopP99),
      source,
    });
  }
  if (!options.quiet && process.stdout.isTTY) process.stdout.write("\n");
  const serverCpuCores = serverFigures.reduce((sum, s) => sum + s.cpuCores, 0);
  const loops = serverFigures.map((s) => s.eventLoopP99Ms).filter((v): v is number => v !== undefined);
  const perClient = (bytes: number) => (playersMean === 0 ? 0 : Math.round(bytes / wallSec / playersMean));
  const botCores = (botCpu.user + botCpu.system) / 1e6 / wallSec;
  const messagesPerSec = (traffic.framesIn + stats.framesOut) / wallSec;
  return {
    label,
    seconds: round(wallSec),
    playersAtEnd: census.playing,
    playersMean: round(playersMean, 1),
    actionLatencyMs: stats.actionLatency.summary(),
    rttMs: stats.rtt.summary(),
    timeToMatchMs: stats.timeToMatch.summary(),
    joinMs: stats.joinTime.summary(),
    reconnectMs: stats.reconnectTime.summary(),
    bytesInPerClientPerSec: perClient(traffic.bytesIn),
    stateBytesInPerClientPerSec: perClient(traffic.stateBytesIn),
    bytesOutPerClientPerSec: perClient(stats.bytesOut),
    inputsPerSec: Math.round(stats.inputsSent / wallSec),
    ticketsPerSec: round(stats.tickets / wallSec, 1),
    seatsPerSec: round(stats.seats / wallSec, 1),
    matchEndsPerSec: round(stats.matchesEnded / wallSec, 2),
    reconnected: stats.reconnected,
    errors: Object.fromEntries(stats.errors),
    closes: Object.fromEntries(stats.closes),
    errorCount: stats.errorCount,
    servers: serverFigures,
    serverCpuCores: round(serverCpuCores, 3),
    serverRssMb: round(
      serverFigures.reduce((sum, s) => sum + s.rssMb, 0),
      1,
    ),
    serverCpuMsPerPlayerSec: playersMean === 0 ? 0 : round((serverCpuCores * 1000) / playersMean, 3),
    playersPerServerCore: serverCpuCores === 0 ? 0 : Math.round(playersMean / serverCpuCores),
    serverEventLoopP99Ms: loops.length === 0 ? undefined : Math.max(...loops),
    botCpuCores: round(botCores, 3),
    playersPerBotCore: botCores === 0 ? 0 : Math.round(playersMean / botCores),
    botMessagesPerSec: Math.round(messagesPerSec),
    botCpuUsPerMessage: messagesPerSec === 0 ? 0 : round((botCores * 1e6) / messagesPerSec, 1),
    botRssMb: round(process.memoryUsage().rss / 1e6, 1),
    machineLoad1: round(os.loadavg()[0]!),
  };
}

function progress(label: string, second: number, seconds: number, playing: number, stats: WindowStats): void {
  const width = 24;
  const done = Math.round((second / seconds) * width);
  const bar = `${"█".repeat(done)}${"░".repeat(width - done)}`;
  const p99 = stats.actionLatency.percentile(99);
  const line =
    `\r${label.padEnd(22).slice(0, 22)} ${bar} ${String(second).padStart(3)}/${seconds}s ` +
    `players ${String(playing).padStart(5)}  action→update p99 ${Number.isNaN(p99) ? "  n/a" : p99.toFixed(1).padStart(5)} ms  ` +
    `errors ${stats.errorCount}`;
  process.stdout.write(process.stdout.isTTY ? line : `${line.slice(1)}\n`);
}
