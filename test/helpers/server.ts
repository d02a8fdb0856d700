/**
 * Boots the real server definition (arena.config.ts) in-process with @colyseus/testing, on a real database
 * (PostgreSQL or PGlite) and with Redis or in-process presence/driver.
 */
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import { ArenaClient, type ArenaClientOptions, MemoryStorage, type Player } from "@arena/sdk";
import { ColyseusSDK } from "@colyseus/sdk";
import { type ColyseusTestServer, boot } from "@colyseus/testing";
import { Redis } from "ioredis";
import { defineArena, type RoomClasses } from "../../arena.config.ts";
import { loadConfig, type ResolvedConfig } from "../../src/config.ts";
import { GAMES } from "../../src/games/index.ts";
import type { DatabaseKind } from "../../src/services/db/Database.ts";
import type { GameRegistry } from "../../src/services/games/GameDefinition.ts";
import { createServices, type Services } from "../../src/services/createServices.ts";
import { createScratchPostgres, seedPgliteDataDir } from "./databases.ts";
import type { Logger } from "../../src/logger.ts";
import { testLogger } from "./logger.ts";
import { testPort } from "./ports.ts";

/** The one Redis database the suites use (and flush): pick another per checkout to run suites side by side. */
export const TEST_REDIS_URL = process.env.TEST_REDIS_URL ?? "redis://127.0.0.1:6379/9";
export const ADMIN_PASSWORD = "test-admin-password";

export interface BootOptions {
  database: DatabaseKind;
  redis: boolean;
  extraRooms?: RoomClasses;
  env?: Record<string, string>;
  /** Overrides the database URL (a proxy in front of PostgreSQL, say). */
  databaseUrl?: (scratchUrl: string) => string;
  /** The services' logger (default: the silent test logger); see captureLogger(). */
  logger?: Logger;
  /** The games served (default: the registered ones); a test game's room goes in `extraRooms` under its id. */
  games?: GameRegistry;
  /** Announce the server's own address as PUBLIC_ADDRESS (its port is only known at boot), as a cluster member does. */
  publicAddress?: boolean;
}

export interface TestServer {
  colyseus: ColyseusTestServer;
  services: Services;
  config: ResolvedConfig;
  /** The port it listens on: free from the OS (or TEST_PORT), never assumed by a test. */
  port: number;
  /** `127.0.0.1:<port>`, what PUBLIC_ADDRESS names when `publicAddress` is set. */
  address: string;
  baseUrl: string;
  close(): Promise<void>;
}

/** Empties the test Redis database, so presence, driver and queues start clean. */
export async function flushTestRedis(): Promise<void> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    await redis.flushdb();
  } finally {
    redis.disconnect();
  }
}

export async function bootTestServer(options: BootOptions): Promise<TestServer> {
  const scratch = options.database === "postgres" ? await createScratchPostgres() : undefined;
  if (options.redis) await flushTestRedis();
  const port = await testPort("TEST_PORT");
  const address = `127.0.0.1:${port}`;
  const env: Record<string, string> = {
    NODE_ENV: "test",
    JWT_SECRET: "test-jwt-secret-that-is-at-least-32-bytes-long",
    ADMIN_PASSWORD,
    LOG_LEVEL: "silent",
    // Tests play many clients from loopback and tell them apart by X-Forwarded-For (postJson's `ip`), as a
    // trusted proxy would. Suites that prove spoofing fails set TRUSTED_PROXIES themselves.
    TRUSTED_PROXIES: "127.0.0.1,::1",
    ...(scratch === undefined ? {} : { DATABASE_URL: options.databaseUrl?.(scratch.url) ?? scratch.url }),
    ...(options.redis ? { REDIS_URL: TEST_REDIS_URL } : {}),
    ...(options.publicAddress === true ? { PUBLIC_ADDRESS: address } : {}),
    ...options.env,
  };
  const config = loadConfig(env) as ResolvedConfig;
  // PGlite runs on disk as in production, in a throwaway directory (removed on close) that starts as a copy of a
  // migrated, empty database: the server's own migration run then finds nothing to do.
  const dataDir = scratch === undefined ? await makeTempDir() : undefined;
  if (dataDir !== undefined) await seedPgliteDataDir(dataDir);
  const services = await createServices(
    dataDir === undefined ? config : { ...config, dataDir },
    options.logger ?? testLogger,
    options.games ?? GAMES,
  );
  // The definition is @colyseus/tools' ConfigOptions minus its phantom type fields ("~rooms", "~routes").
  const definition = defineArena(services, options.extraRooms) as unknown as Parameters<typeof boot>[0];
  const colyseus = await boot(definition, port);
  return {
    colyseus,
    services,
    config,
    port,
    address,
    baseUrl: `http://${address}`,
    async close() {
      try {
        await colyseus.shutdown();
      } finally {
        // Colyseus skips the rest of its shutdown when one step fails (a Redis command during a blip, say); the
        // port must be free for the next suite all the same.
        try {
          await shutdownTransport(colyseus);
          await services.close();
          await scratch?.drop();
        } finally {
          if (dataDir !== undefined) await rm(dataDir, { recursive: true, force: true });
        }
      }
    },
  };
}

async function shutdownTransport(colyseus: ColyseusTestServer): Promise<void> {
  const server = colyseus.server.transport.server as import("node:http").Server | undefined;
  if (server?.listening) {
    colyseus.server.transport.shutdown();
    await new Promise<void>((resolve) => (server.listening ? server.once("close", () => resolve()) : resolve()));
  }
}

function makeTempDir(): Promise<string> {
  return mkdtemp(path.join(tmpdir(), "arena-test-"));
}

/** The test matrix of full-server suites: every database kind, with and without Redis. */
export const SERVER_MATRIX: ReadonlyArray<{ database: DatabaseKind; redis: boolean }> = [
  { database: "postgres", redis: true },
  { database: "pglite", redis: false },
  { database: "postgres", redis: false },
  { database: "pglite", redis: true },
];

/** A fetch response's JSON body, untyped: tests assert on its shape. */
// biome-ignore lint/suspicious/noExplicitAny: assertions inspect arbitrary JSON.
export async function jsonBody(res: Response): Promise<any> {
  return res.json();
}

export interface Registered {
  player: Player;
  accessToken: string;
  refreshToken: string;
  /**
   * The player's SDK client (@arena/sdk), signed in: `findMatch`, `rejoin`, `joinChat` and the typed HTTP calls.
   * Its tokens are the ones above: it renews them only on a 401 (no timer), and its match handles do not get back
   * in by themselves (`autoRejoin: false`): a test drops, rejoins and checks close codes itself, on `handle.room`.
   */
  arena: ArenaClient;
}

/** A fetch whose requests come from `ip` (X-Forwarded-For, which the test server trusts from loopback). */
export function fetchFrom(ip: string): typeof fetch {
  return (input, init) =>
    fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), "x-forwarded-for": ip } });
}

/**
 * An SDK client of the test server for a test player, from `ip`: no refresh timer (tokens the test also holds stay
 * valid), no automatic rejoin, and retries (a rejoin while the match is being recovered) every 250 ms.
 */
export function arenaClient(server: TestServer, ip: string, options: ArenaClientOptions = {}): ArenaClient {
  return new ArenaClient({
    baseUrl: server.baseUrl,
    fetch: fetchFrom(ip),
    refreshAt: null,
    autoRejoin: false,
    backoff: () => 250,
    rejoinPatienceMs: 15_000,
    ...options,
  });
}

let registrations = 0;

/** POSTs JSON to the server from the given client IP (trusted through X-Forwarded-For on loopback). */
export function postJson(
  server: TestServer,
  path: string,
  body: unknown,
  options: { ip?: string; token?: string; headers?: Record<string, string> } = {},
): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, {
    method: "POST",
    headers: {
      "content-type": "application/json",
      ...(options.ip === undefined ? {} : { "x-forwarded-for": options.ip }),
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    body: JSON.stringify(body),
  });
}

/**
 * Registers a fresh player through the SDK (from its own IP, so registration limits never interfere) and returns
 * its tokens and its signed-in SDK client.
 */
export async function registerPlayer(server: TestServer, username?: string): Promise<Registered> {
  registrations += 1;
  const name = username ?? `player_${process.pid % 1000}_${registrations}`;
  const storage = new MemoryStorage();
  const arena = arenaClient(server, `10.99.${Math.floor(registrations / 250) % 250}.${registrations % 250}`, {
    storage,
  });
  const player = await arena.register(name, "correct horse battery");
  return { player, accessToken: arena.accessToken!, refreshToken: storage.get("refreshToken")!, arena };
}

/** An SDK client of its own (its own auth token) for the test server. */
export function sdkFor(server: TestServer, accessToken?: string): ColyseusSDK {
  const sdk = new ColyseusSDK(server.baseUrl.replace("http", "ws"));
  if (accessToken !== undefined) sdk.auth.token = accessToken;
  return sdk;
}

/** Leaves a room, but waits at most `withinMs`: a room the server already closed never answers a leave. */
export function leaveQuietly(room: { leave(): Promise<unknown> }, withinMs = 500): Promise<unknown> {
  return Promise.race([room.leave().catch(() => undefined), new Promise((resolve) => setTimeout(resolve, withinMs))]);
}

/** The rejection of `promise`, which must reject. */
export async function refusal(promise: Promise<unknown>): Promise<Error & { code?: number }> {
  try {
    await promise;
  } catch (error) {
    return error as Error & { code?: number };
  }
  assert.fail("expected a refusal");
}
