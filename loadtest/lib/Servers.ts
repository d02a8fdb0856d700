/**
 * Server processes for a load test: N real servers (`src/index.ts`, the `npm start` entry point) sharing Redis and
 * PostgreSQL, or the bench host (loadtest/benchHost.ts: the same server definition plus the baseline rooms).
 * Measures each child's CPU and RSS from /proc (so it works before and without /metrics) and reads the standard
 * prom-client figures from GET /metrics when the server serves them.
 */
import { type ChildProcess, spawn } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import pg from "pg";

const ROOT = path.resolve(import.meta.dirname, "..", "..");
const CLOCK_TICKS_PER_SEC = 100;

export interface ProcessSample {
  /** CPU seconds (user + system) since the process started. */
  cpuSec: number;
  rssBytes: number;
}

/** CPU and RSS of a process from /proc (Linux). Undefined when the process is gone or /proc is absent. */
export function readProc(pid: number): ProcessSample | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields after the command: state(0) … utime(11) stime(12); rss pages(21).
    const cpuSec = (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS_PER_SEC;
    const rssBytes = Number(fields[21]) * 4096;
    return { cpuSec, rssBytes };
  } catch {
    return undefined;
  }
}

/** The figures of GET /metrics this tool relies on (prom-client default metrics); undefined ones were absent. */
export interface ServerMetrics {
  cpuSec?: number;
  rssBytes?: number;
  /** p99 of the delay beyond schedule (the sampling interval taken off). */
  eventLoopLagP99Ms?: number;
  /** p99 as prom-client reports it (sampling interval included). */
  eventLoopLagP99RawMs?: number;
  heapUsedBytes?: number;
}

/** Parses the Prometheus text format for the four default metrics; labelled series are summed. */
export function parseMetrics(text: string): ServerMetrics {
  const values = new Map<string, number>();
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+(\S+)/.exec(line);
    if (match === null) continue;
    const value = Number(match[3]);
    if (!Number.isFinite(value)) continue;
    values.set(match[1]!, (values.get(match[1]!) ?? 0) + value);
  }
  const lag = values.get("nodejs_eventloop_lag_p99_seconds");
  // prom-client samples the loop with a timer of `eventLoopMonitoringPrecision` ms and records whole intervals, so
  // an idle loop reads about that precision; the minimum shows it. The delay beyond schedule is p99 − precision.
  const floorMs = Math.floor((values.get("nodejs_eventloop_lag_min_seconds") ?? 0) * 1000);
  return {
    cpuSec: values.get("process_cpu_seconds_total"),
    rssBytes: values.get("process_resident_memory_bytes"),
    eventLoopLagP99Ms: lag === undefined ? undefined : Math.max(0, lag * 1000 - floorMs),
    eventLoopLagP99RawMs: lag === undefined ? undefined : lag * 1000,
    heapUsedBytes: values.get("nodejs_heap_size_used_bytes"),
  };
}

/** GET /metrics; undefined when the server has no such route (404) or does not answer within 2 s. */
export async function fetchMetrics(httpUrl: string): Promise<ServerMetrics | undefined> {
  try {
    const res = await fetch(`${httpUrl}/metrics`, { signal: AbortSignal.timeout(2000) });
    if (res.status !== 200) return undefined;
    return parseMetrics(await res.text());
  } catch {
    return undefined;
  }
}

export interface ServerProcess {
  name: string;
  /** A process this tool started (measured from /proc); absent for a remote server (measured from /metrics). */
  pid?: number;
  httpUrl: string;
  /** host:port for WebSocket seats without a publicAddress. */
  host: string;
  child?: ChildProcess;
  stop(): Promise<void>;
}

/**
 * CPU seconds and RSS of a server: from /proc for a process this tool started, else from its GET /metrics
 * (`process_cpu_seconds_total`, `process_resident_memory_bytes`). Undefined when neither answers.
 */
export async function sampleServer(server: ServerProcess): Promise<ProcessSample | undefined> {
  return processSample(server, server.pid === undefined ? await fetchMetrics(server.httpUrl) : undefined);
}

/** {@link sampleServer} with the server's /metrics already read (undefined for a process this tool started). */
export function processSample(server: ServerProcess, metrics: ServerMetrics | undefined): ProcessSample | undefined {
  if (server.pid !== undefined) return readProc(server.pid);
  if (metrics?.cpuSec === undefined || metrics.rssBytes === undefined) return undefined;
  return { cpuSec: metrics.cpuSec, rssBytes: metrics.rssBytes };
}

/**
 * Servers already running elsewhere (`--url`): the bots talk to them over the network and their figures come from
 * their /metrics. Nothing is started or stopped, and no database is created.
 */
export function remoteCluster(urls: readonly string[]): Cluster {
  const servers = urls.map((url, i): ServerProcess => {
    const parsed = new URL(url);
    if (parsed.protocol !== "http:") throw new Error(`--url ${url}: http:// only (bots speak ws://)`);
    return {
      name: `remote-${i + 1}`,
      httpUrl: parsed.origin,
      host: parsed.host,
      stop: async () => {},
    };
  });
  return { servers, database: "remote", stop: async () => {} };
}

export interface ClusterOptions {
  processes: number;
  basePort: number;
  /** A PostgreSQL URL; "postgres" (default): a scratch database created for the run; "pglite": embedded. */
  database: string;
  redisUrl?: string;
  env: Record<string, string>;
  log?: (line: string) => void;
}

export interface Cluster {
  servers: ServerProcess[];
  database: string;
  stop(): Promise<void>;
}

const ADMIN_DATABASE_URL = process.env.LOADTEST_POSTGRES_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

/** A PostgreSQL database made for one run on the LOADTEST_POSTGRES_URL server, dropped by `drop`. */
export async function scratchDatabase(): Promise<{ url: string; drop(): Promise<void> }> {
  const name = `arena_loadtest_${process.pid}_${Date.now().toString(36)}`;
  await adminQuery(`CREATE DATABASE ${name}`);
  const url = new URL(ADMIN_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    drop: () => adminQuery(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`).catch(() => undefined),
  };
}

/** Resolves the `database` option to a DATABASE_URL (undefined: PGlite) and what to drop afterwards. */
async function resolveDatabase(database: string): Promise<{ url: string | undefined; drop(): Promise<void> }> {
  if (database === "pglite") return { url: undefined, drop: async () => undefined };
  if (database === "postgres") return scratchDatabase();
  return { url: database, drop: async () => undefined };
}

async function adminQuery(sql: string): Promise<void> {
  const client = new pg.Client({ connectionString: ADMIN_DATABASE_URL });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}

function waitForReady(child: ChildProcess, name: string, timeoutMs: number): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`${name} did not start within ${timeoutMs} ms`)), timeoutMs);
    child.on("message", (message) => {
      if (message === "ready" || (message as { ready?: boolean })?.ready === true) {
        clearTimeout(timer);
        resolve();
      }
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`${name} exited with ${code} while starting`));
    });
  });
}

function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise((resolve) => {
    const kill = setTimeout(() => child.kill("SIGKILL"), 10_000);
    child.once("exit", () => {
      clearTimeout(kill);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Node with tsx, as `npm start` runs it (the Node 22 of the `node` package when run through npm). */
function spawnNode(
  script: string,
  env: Record<string, string>,
  log?: (line: string) => void,
  nodeArgs: string[] = [],
): ChildProcess {
  // LOADTEST_SERVER_NODE_OPTIONS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof") reaches the servers only.
  const nodeOptions = process.env.LOADTEST_SERVER_NODE_OPTIONS;
  const child = spawn(process.execPath, [...nodeArgs, "--import", "tsx", script], {
    cwd: ROOT,
    env: { ...process.env, ...(nodeOptions === undefined ? {} : { NODE_OPTIONS: nodeOptions }), ...env },
    stdio: ["ignore", "pipe", "pipe", "ipc"],
  });
  const forward = (chunk: Buffer) => {
    for (const line of chunk.toString().split("\n")) if (line.trim() !== "") log?.(line);
  };
  child.stdout?.on("data", forward);
  child.stderr?.on("data", forward);
  return child;
}

/**
 * Starts `processes` real servers (src/index.ts) on consecutive ports, each with its own PORT and PUBLIC_ADDRESS,
 * sharing `redisUrl` and one database. Generous per-IP limits and no room/CCU caps: the bots are many players on
 * one loopback address.
 */
export async function startCluster(options: ClusterOptions): Promise<Cluster> {
  if (options.database === "pglite" && options.processes > 1) {
    throw new Error("several processes need a shared database: --database postgres (the default) or a URL");
  }
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "arena-loadtest-"));
  const database = await resolveDatabase(options.database);
  const databaseUrl = database.url;
  const servers: ServerProcess[] = [];
  const stopAll = async () => {
    await Promise.all(servers.map((server) => server.stop()));
    await database.drop();
    fs.rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    // One at a time: the first migrates the database.
    for (let i = 0; i < options.processes; i++) {
      const port = options.basePort + i;
      const name = `server-${i + 1}`;
      const env: Record<string, string> = {
        NODE_ENV: "development",
        LOG_LEVEL: "warn",
        PORT: String(port),
        DATA_DIR: dataDir,
        JWT_SECRET: "loadtest-secret-loadtest-secret-loadtest!",
        ADMIN_PASSWORD: "loadtest-admin-password",
        ROOM_JOINS_PER_MIN: "1000000",
        // Bots on loopback tell themselves apart by X-Forwarded-For, as clients behind a proxy would.
        TRUSTED_PROXIES: "127.0.0.1,::1",
        MAX_ROOMS: "0",
        MAX_CCU: "0",
        BOT_FILL_SEC: "0",
        ...(options.processes > 1 ? { PUBLIC_ADDRESS: `127.0.0.1:${port}` } : {}),
        ...(databaseUrl === undefined ? {} : { DATABASE_URL: databaseUrl }),
        ...(options.redisUrl === undefined ? {} : { REDIS_URL: options.redisUrl }),
        ...options.env,
      };
      const child = spawnNode("src/index.ts", env, (line) => options.log?.(`[${name}] ${line}`));
      await waitForReady(child, name, 60_000);
      servers.push({
        name,
        pid: child.pid!,
        httpUrl: `http://127.0.0.1:${port}`,
        host: `127.0.0.1:${port}`,
        child,
        stop: () => stopChild(child),
      });
    }
  } catch (error) {
    await stopAll();
    throw error;
  }
  return { servers, database: databaseUrl === undefined ? "pglite" : "postgres", stop: stopAll };
}

/** Starts loadtest/benchHost.ts (real server definition + vanilla room + raw ws echo) on `port` and `port + 1`. */
export async function startBenchHost(
  port: number,
  database: string,
  env: Record<string, string>,
  log?: (line: string) => void,
): Promise<ServerProcess & { echoUrl: string }> {
  const db = await resolveDatabase(database);
  const child = spawnNode(
    "loadtest/benchHost.ts",
    {
      LOG_LEVEL: "warn",
      BENCH_PORT: String(port),
      ROOM_JOINS_PER_MIN: "1000000",
      TRUSTED_PROXIES: "127.0.0.1,::1",
      MAX_ROOMS: "0",
      MAX_CCU: "0",
      ...(db.url === undefined ? {} : { DATABASE_URL: db.url }),
      ...env,
    },
    (line) => log?.(`[bench-host] ${line}`),
    // The memory figures collect garbage before they read the heap (GET /loadtest/stats?gc=1).
    ["--expose-gc"],
  );
  await waitForReady(child, "bench host", 60_000).catch(async (error: unknown) => {
    await db.drop();
    throw error;
  });
  return {
    name: "bench-host",
    pid: child.pid!,
    httpUrl: `http://127.0.0.1:${port}`,
    host: `127.0.0.1:${port}`,
    echoUrl: `ws://127.0.0.1:${port + 1}`,
    child,
    stop: () => stopChild(child).then(() => db.drop()),
  };
}
