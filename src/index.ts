/**
 * The composition root and the only place that listens. Reads the configuration, builds the services, turns the
 * server definition of arena.config.ts into a listening Colyseus server, and shuts everything down in order on
 * SIGTERM/SIGINT (Colyseus first, so rooms finish; then the database and Redis; exit 0).
 */
import http from "node:http";
import { defineServer } from "@colyseus/core";
import { defineArena } from "../arena.config.ts";
import { ConfigError, loadConfig } from "./config.ts";
import { resolveDevSecrets } from "./devSecrets.ts";
import { GAMES } from "./games/index.ts";
import { createLogger, prettyLogs } from "./logger.ts";
import { createServices } from "./services/createServices.ts";
import { withTimeout } from "./services/db/Database.ts";

/** How long the exit waits for the database and Redis to close (a stalled database would hold it forever). */
const CLOSE_TIMEOUT_MS = 3_000;

function fail(message: string): never {
  process.stderr.write(`${message}\n`);
  process.exit(1);
}

async function main(): Promise<void> {
  let secrets: ReturnType<typeof resolveDevSecrets>;
  let adminPasswordFrom = "ADMIN_PASSWORD";
  try {
    const loaded = loadConfig();
    secrets = resolveDevSecrets(loaded);
    if (loaded.adminPassword === undefined && secrets.secretsFile !== undefined) {
      adminPasswordFrom = `${secrets.secretsFile} (user admin)`;
    }
  } catch (error) {
    if (error instanceof ConfigError) fail(`Invalid configuration: ${error.message}`);
    throw error;
  }
  const config = secrets.config;
  const log = createLogger(config.logLevel, { region: config.region }, { pretty: prettyLogs(config.nodeEnv) });
  if (secrets.generatedAdminPassword !== undefined) {
    log.warn(
      { adminUser: "admin", adminPassword: secrets.generatedAdminPassword, storedIn: secrets.secretsFile },
      "generated a development admin password (shown once; set ADMIN_PASSWORD to choose one)",
    );
  }

  let services: Awaited<ReturnType<typeof createServices>>;
  try {
    services = await createServices(config, log, GAMES);
  } catch (error) {
    // ioredis gives up on a command after its retries with this error: Redis is what cannot be reached.
    const redisDown = config.redisUrl !== undefined && (error as Error).name === "MaxRetriesPerRequestError";
    const what = redisDown ? "REDIS_URL" : config.databaseUrl === undefined ? "embedded database" : "DATABASE_URL";
    fail(`Cannot start: ${what}: ${(error as Error).message}`);
  }

  const definition = defineArena(services);
  const server = defineServer({
    rooms: definition.rooms,
    ...definition.options,
    express: definition.initializeExpress,
    transport: definition.initializeTransport({ server: http.createServer() }),
    gracefullyShutdown: true,
  });
  // Before Colyseus closes the rooms: take no new work, so this process neither matches players nor claims the
  // matches its arenas are about to hand off.
  server.onBeforeShutdown(() => {
    log.info("shutting down: stopping matchmaking and recovery; handing live matches off");
    services.matchmaker.stop();
    services.recovery.stop();
    services.placement.stop();
    void services.placement.unregister().catch(() => undefined);
  });
  server.onShutdown(async () => {
    log.info("shutting down: closing the database and Redis");
    // A database that takes connections and answers nothing (stalled) would hold the exit forever.
    try {
      await withTimeout(services.close(), CLOSE_TIMEOUT_MS, "closing the database and Redis");
    } catch (error) {
      log.warn({ err: error }, "could not close the database or Redis cleanly; exiting anyway");
    }
  });

  if (config.simulatedLatencyMs > 0) {
    server.simulateLatency(config.simulatedLatencyMs);
    log.warn({ simulatedLatencyMs: config.simulatedLatencyMs }, "simulating network latency on every WebSocket");
  }
  await server.listen(config.port);
  // Where to go next, on the start line: the game, the monitor, and where its password is.
  const origin = `http://${config.publicAddress ?? `localhost:${config.port}`}`;
  log.info(
    {
      game: `${origin}/`,
      monitor: `${origin}/colyseus`,
      adminPassword: adminPasswordFrom,
      port: config.port,
      database: services.db.kind,
      dataDir: services.db.kind === "pglite" ? config.dataDir : undefined,
      redis: config.redisUrl === undefined ? "in-process" : "redis",
      regions: config.regions,
      nodeEnv: config.nodeEnv,
      hashingConcurrency: services.hasher.concurrency,
    },
    `listening on :${config.port}: play at ${origin}/, monitor at ${origin}/colyseus (admin password: ${adminPasswordFrom})`,
  );
  if (typeof process.send === "function") process.send("ready");
}

main().catch((error: unknown) => fail(`Cannot start: ${error instanceof Error ? error.message : String(error)}`));
