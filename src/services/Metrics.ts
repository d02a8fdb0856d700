/**
 * The process' Prometheus metrics (prom-client), served at GET /metrics. One registry per process, built by the
 * composition root and handed to whoever records: rooms (ticks, snapshots, sockets), the matchmaker (time to match),
 * the HTTP edge (logins), the database and Redis wrappers (errors). Gauges that describe live state (CCU, rooms,
 * queue depth) are computed at scrape time from their source, so they cannot drift.
 *
 * Names are documented in docs/OBSERVABILITY.md; dashboards and alerts depend on them: add, never rename.
 */
import type { Socket } from "node:net";
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from "prom-client";

export const METRIC_PREFIX = "arena_";

/**
 * Process CPU, RSS, heap, GC and event-loop delay (nodejs_eventloop_lag_*) are facts of the process, however many
 * Metrics it builds (a test process boots many servers): prom-client's collectors, which can never be stopped (an
 * event-loop monitor and a GC observer each), are set up once per process and shared. The delay histogram's
 * resolution is 1 ms: an idle loop reads ~1 ms, and a coarser resolution would be added to every reading. The
 * shared registry has no labels of its own: each Metrics labels it with its region when it renders.
 */
let processMetrics: Registry | undefined;

function processRegistry(): Registry {
  if (processMetrics === undefined) {
    processMetrics = new Registry();
    collectDefaultMetrics({ register: processMetrics, eventLoopMonitoringPrecision: 1 });
  }
  return processMetrics;
}

/** Live state the gauges read at scrape time. */
export interface MetricSources {
  /** Connected clients of this process, by room type. */
  clientsByRoom(): Map<string, number>;
  /** Rooms hosted by this process, by room type. */
  roomsByType(): Map<string, number>;
  /** Searching tickets per matchmaking pool (`game`, `region`, `mode`). */
  queueDepths(): Promise<Array<{ game: string; region: string; mode: string; depth: number }>>;
}

/** Login outcomes as the HTTP edge sees them. */
export type LoginOutcome = "success" | "failure" | "throttled";

export class Metrics {
  readonly registry = new Registry();
  readonly tickDuration: Histogram<"room">;
  readonly snapshotDuration: Histogram<"room">;
  readonly staleInputs: Counter;
  readonly excessInputs: Counter;
  readonly timeToMatch: Histogram<"game" | "mode" | "region">;
  readonly logins: Counter<"method" | "outcome">;
  readonly databaseErrors: Counter<"kind">;
  readonly redisErrors: Counter<"client">;
  readonly matchesRefused: Counter<"region" | "reason">;
  readonly resultsRefused: Counter<"reason">;
  readonly resultsParked: Counter<"reason">;
  private readonly bytesSent: Counter<"room">;
  private readonly clientSendRate: Histogram<"room">;
  private sources: MetricSources | undefined;
  private readonly process = processRegistry();
  /** Added to every sample at render time; a metric's own label of the same name wins (see the constructor). */
  private readonly defaultLabels: { region: string };
  /** Bytes already counted per live socket, so each scrape adds only what was written since the last one. */
  private readonly liveSockets = new Map<Socket, { room: string; counted: number; since: number }>();

  /**
   * `region` is this process' region, carried by every sample (dashboards sum players, rooms and errors by region).
   * Two matchmaking metrics declare `region` themselves, as the region of the pool matched: any process may hold a
   * pool's lease, so the process' region would say nothing about where players waited.
   */
  constructor(labels: { region: string; processId?: () => string | undefined }) {
    const registers = [this.registry];
    this.defaultLabels = { region: labels.region };

    const self = this;
    new Gauge({
      name: `${METRIC_PREFIX}ccu`,
      help: "Clients connected to this process, by room type",
      labelNames: ["room"],
      registers,
      collect() {
        this.reset();
        for (const [room, count] of self.sources?.clientsByRoom() ?? []) this.set({ room }, count);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}rooms`,
      help: "Rooms hosted by this process, by room type",
      labelNames: ["type"],
      registers,
      collect() {
        this.reset();
        for (const [type, count] of self.sources?.roomsByType() ?? []) this.set({ type }, count);
      },
    });
    new Gauge({
      name: `${METRIC_PREFIX}matchmaking_queue_depth`,
      help: "Players searching for a match, by pool (shared by all processes: aggregate with max, not sum)",
      labelNames: ["game", "mode", "pool_region"],
      registers,
      async collect() {
        this.reset();
        for (const pool of (await self.sources?.queueDepths()) ?? []) {
          this.set({ game: pool.game, mode: pool.mode, pool_region: pool.region }, pool.depth);
        }
      },
    });
    this.tickDuration = new Histogram({
      name: `${METRIC_PREFIX}tick_duration_seconds`,
      help: "Wall time of one simulation tick",
      labelNames: ["room"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.002, 0.005, 0.01, 0.02, 0.05],
      registers,
    });
    this.snapshotDuration = new Histogram({
      name: `${METRIC_PREFIX}snapshot_duration_seconds`,
      help: "Time a match snapshot blocks its room (serialisation; the write is asynchronous), by room type (the game)",
      labelNames: ["room"],
      buckets: [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025],
      registers,
    });
    this.staleInputs = new Counter({
      name: `${METRIC_PREFIX}inputs_stale_total`,
      help: "Client inputs dropped because a newer one was waiting for the same tick (network jitter)",
      registers,
    });
    this.excessInputs = new Counter({
      name: `${METRIC_PREFIX}inputs_excess_total`,
      help: "Client inputs dropped for arriving beyond the burst capacity or rate (a stalled server reads a burst)",
      registers,
    });
    this.timeToMatch = new Histogram({
      name: `${METRIC_PREFIX}matchmaking_time_to_match_seconds`,
      help: "Time from a player's ticket to its match being formed",
      labelNames: ["game", "mode", "region"],
      buckets: [0.5, 1, 2, 5, 10, 20, 30, 60, 120],
      registers,
    });
    this.matchesRefused = new Counter({
      name: `${METRIC_PREFIX}matchmaking_refused_total`,
      help: "Matches formed but not started because no process of their region had room",
      labelNames: ["region", "reason"],
      registers,
    });
    this.resultsRefused = new Counter({
      name: `${METRIC_PREFIX}results_refused_total`,
      help: "Match results not stored because they were refused: fenced (the match was taken over), conflict (another result is stored) or unregistered (its game or mode is not registered)",
      labelNames: ["reason"],
      registers,
    });
    this.resultsParked = new Counter({
      name: `${METRIC_PREFIX}results_parked_total`,
      help: "Match results moved to the journal's parked list: refused (fenced, conflict, unregistered), malformed, or failing at every try",
      labelNames: ["reason"],
      registers,
    });
    this.logins = new Counter({
      name: `${METRIC_PREFIX}logins_total`,
      help: "Login attempts at the HTTP edge, by method (register, login, guest, refresh) and outcome",
      labelNames: ["method", "outcome"],
      registers,
    });
    this.databaseErrors = new Counter({
      name: `${METRIC_PREFIX}database_errors_total`,
      help: "Failed database calls: connection (unreachable, timeout) or statement (SQL error)",
      labelNames: ["kind"],
      registers,
    });
    this.redisErrors = new Counter({
      name: `${METRIC_PREFIX}redis_errors_total`,
      help: "Redis connection errors, by connection",
      labelNames: ["client"],
      registers,
    });
    this.bytesSent = new Counter({
      name: `${METRIC_PREFIX}ws_bytes_sent_total`,
      help: "Bytes written to room clients' WebSockets (framing included), by room type",
      labelNames: ["room"],
      registers,
      collect() {
        self.countLiveSockets();
      },
    });
    this.clientSendRate = new Histogram({
      name: `${METRIC_PREFIX}client_bytes_per_second`,
      help: "Average bytes per second sent to one client over its connection, observed when it closes",
      labelNames: ["room"],
      buckets: [250, 500, 1000, 2000, 3000, 5000, 10_000, 20_000, 50_000],
      registers,
    });
    new Gauge({
      name: `${METRIC_PREFIX}process_info`,
      help: "This process (value 1), labelled with its Colyseus process id",
      labelNames: ["process_id"],
      registers,
      collect() {
        this.reset();
        const processId = labels.processId?.();
        if (processId !== undefined) this.set({ process_id: processId }, 1);
      },
    });
  }

  /** Connects the scrape-time gauges to their sources (once the services exist). */
  observe(sources: MetricSources): void {
    this.sources = sources;
  }

  /**
   * Counts what is written to a client's socket from now until it closes. `socket` is the TCP socket under the
   * client's WebSocket; a reconnected client is tracked again on its new socket.
   */
  trackSocket(socket: Socket | undefined, room: string): void {
    if (socket === undefined || this.liveSockets.has(socket)) return;
    this.liveSockets.set(socket, { room, counted: socket.bytesWritten, since: performance.now() });
    const started = socket.bytesWritten;
    socket.once("close", () => {
      const entry = this.liveSockets.get(socket);
      if (entry === undefined) return;
      this.liveSockets.delete(socket);
      this.bytesSent.inc({ room }, socket.bytesWritten - entry.counted);
      const seconds = (performance.now() - entry.since) / 1000;
      if (seconds >= 1) this.clientSendRate.observe({ room }, (socket.bytesWritten - started) / seconds);
    });
  }

  /**
   * The text exposition of every metric, each sample labelled with the process' region. The labels are set on the
   * merged registry, the one rendered: prom-client applies a registry's default labels only to what that registry
   * renders, and a merge starts without any.
   */
  async render(): Promise<{ contentType: string; body: string }> {
    const merged = Registry.merge([this.process, this.registry]);
    merged.setDefaultLabels(this.defaultLabels);
    return { contentType: this.registry.contentType, body: await merged.metrics() };
  }

  private countLiveSockets(): void {
    for (const [socket, entry] of this.liveSockets) {
      const written = socket.bytesWritten;
      if (written > entry.counted) this.bytesSent.inc({ room: entry.room }, written - entry.counted);
      entry.counted = written;
    }
  }
}
