/**
 * Boots the real server definition in this process for a benchmark: the same services and routes as `npm start`,
 * on PGlite in a temporary directory unless DATABASE_URL is set, listening on loopback only.
 */
import fs from "node:fs";
import http from "node:http";
import os from "node:os";
import path from "node:path";
import { defineServer, type Server } from "@colyseus/core";
import type { Application } from "express";
import { WebSocketTransport } from "@colyseus/ws-transport";
import { defineArena } from "../arena.config.ts";
import { loadConfig, type ResolvedConfig } from "../src/config.ts";
import { GAMES } from "../src/games/index.ts";
import { createLogger } from "../src/logger.ts";
import { createServices, type Services } from "../src/services/createServices.ts";

export interface BenchServer {
  url: string;
  services: Services;
  close(): Promise<void>;
}

export async function startBenchServer(
  port = 2590,
  extend?: (server: Server) => void,
  extendExpress?: (app: Application, services: Services) => void,
): Promise<BenchServer> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "arena-bench-"));
  const config = loadConfig({
    ...process.env,
    NODE_ENV: "test",
    DATA_DIR: dataDir,
    JWT_SECRET: "bench-secret-bench-secret-bench-secret!",
    ADMIN_PASSWORD: "bench-admin-password",
    LOG_LEVEL: process.env.LOG_LEVEL ?? "warn",
    // Bench clients on loopback tell themselves apart by X-Forwarded-For, as clients behind a proxy would.
    TRUSTED_PROXIES: "127.0.0.1,::1",
  }) as ResolvedConfig;
  const services = await createServices(config, createLogger(config.logLevel), GAMES);
  const definition = defineArena(services);
  const server: Server = defineServer({
    rooms: definition.rooms,
    ...definition.options,
    express: (app) => {
      extendExpress?.(app, services);
      definition.initializeExpress(app);
    },
    transport: new WebSocketTransport({ server: http.createServer() }),
    gracefullyShutdown: false,
  });
  extend?.(server);
  await server.listen(port, "127.0.0.1");
  return {
    url: `http://127.0.0.1:${port}`,
    services,
    async close() {
      await server.gracefullyShutdown(false);
      await services.close();
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** Percentile of an ascending-sorted array (nearest rank). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.ceil((p / 100) * sorted.length) - 1)]!;
}

/**
 * Writes a benchmark's figures to `<dir>/<name>.json` and returns the path; `dir` comes from
 * {@link resultsDirFromArgv} (bench/local/, or bench/results/ with `--update`).
 */
export function writeResults(dir: string, name: string, figures: Record<string, unknown>): string {
  fs.mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${name}.json`);
  const record = {
    benchmark: name,
    at: new Date().toISOString(),
    machine: { cpus: os.availableParallelism(), cpuModel: os.cpus()[0]?.model, node: process.version },
    ...figures,
  };
  fs.writeFileSync(file, `${JSON.stringify(record, null, 2)}\n`);
  return file;
}

/**
 * Runs `total` HTTP requests with `concurrency` in flight; every answer must have status `expect`. Returns the
 * latencies (ms, ascending) and the wall time.
 */
export async function burst(
  total: number,
  concurrency: number,
  request: (i: number) => Promise<Response>,
  expect = 200,
): Promise<{ latencies: number[]; wallMs: number }> {
  const latencies: number[] = [];
  let next = 0;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const t0 = performance.now();
        const res = await request(i);
        await res.arrayBuffer();
        latencies.push(performance.now() - t0);
        if (res.status !== expect) throw new Error(`request ${i}: status ${res.status}, expected ${expect}`);
      }
    }),
  );
  return { latencies: latencies.sort((a, b) => a - b), wallMs: performance.now() - started };
}

/** Count, rate and percentiles of a {@link burst}. */
export function summarise(run: { latencies: number[]; wallMs: number }) {
  const round = (n: number) => Math.round(n * 100) / 100;
  return {
    requests: run.latencies.length,
    perSecond: Math.round((run.latencies.length / run.wallMs) * 1000),
    p50Ms: round(percentile(run.latencies, 50)),
    p99Ms: round(percentile(run.latencies, 99)),
    maxMs: round(run.latencies.at(-1) ?? Number.NaN),
  };
}
