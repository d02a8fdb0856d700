/**
 * Builds every service from the resolved configuration and the registered games: the database (PostgreSQL or
 * PGlite, migrated), the stores, and presence/driver (Redis or in-process). Called once, by the composition root
 * (src/index.ts, which hands it src/games' registry: services import no game or room) or by a test.
 */
import { LocalDriver, LocalPresence, matchMaker, type Presence } from "@colyseus/core";
import path from "node:path";
import { Redis } from "ioredis";
import type { ResolvedConfig } from "../config.ts";
import type { GameRegistry } from "./games/GameDefinition.ts";
import type { Logger } from "../logger.ts";
import { AuthService } from "./auth/AuthService.ts";
import { InMemoryConnectionCounter, PlayerConnections, RedisConnectionCounter } from "./auth/PlayerConnections.ts";
import { LiveConnections } from "./auth/LiveConnections.ts";
import { LoginThrottle } from "./auth/LoginThrottle.ts";
import { PasswordHasher } from "./auth/PasswordHasher.ts";
import { TokenService } from "./auth/TokenService.ts";
import type { Database } from "./db/Database.ts";
import { migrate } from "./db/migrations.ts";
import { openDatabase } from "./db/openDatabase.ts";
import { HealthService } from "./HealthService.ts";
import { JoinThrottle, RECONNECTS_PER_JOIN } from "./auth/JoinThrottle.ts";
import { RecoveryService } from "./sessions/RecoveryService.ts";
import { SessionService } from "./sessions/SessionService.ts";
import { ChatService } from "./chat/ChatService.ts";
import { type BlockStore, SqlBlockStore } from "./stores/BlockStore.ts";
import { MatchLauncher } from "./matches/MatchLauncher.ts";
import { boardDefinitions, LeaderboardService } from "./leaderboards/LeaderboardService.ts";
import { SqlLeaderboardStore } from "./leaderboards/LeaderboardStore.ts";
import { InMemoryRankIndex, RedisRankIndex } from "./leaderboards/RankIndex.ts";
import { MatchResultStore } from "./results/MatchResultStore.ts";
import { PersistentMatchResults } from "./results/PersistentMatchResults.ts";
import { FileResultJournal, RedisResultJournal } from "./results/ResultJournal.ts";
import { MatchSigner } from "./matches/MatchTicket.ts";
import { ProcessLoad } from "./matches/ProcessLoad.ts";
import { RegionPlacement, type SubscribedProbe } from "./matches/RegionPlacement.ts";
import { Metrics } from "./Metrics.ts";
import { ObservedDatabase } from "./db/ObservedDatabase.ts";
import { Matchmaker } from "./matchmaking/Matchmaker.ts";
import { DEFAULT_SCHEDULE, parsePoolKey } from "./matchmaking/MatchmakerAlgorithm.ts";
import { InMemoryTicketStore, RedisTicketStore } from "./matchmaking/TicketStore.ts";
import { newId } from "./ids.ts";
import { ObservedRedisPresence } from "./ObservedRedisPresence.ts";
import { RecoveringRedisDriver } from "./RecoveringRedisDriver.ts";
import { RetentionService } from "./RetentionService.ts";
import { type ChatMessageStore, SqlChatMessageStore } from "./stores/ChatMessageStore.ts";
import { type GameSessionStore, SqlGameSessionStore } from "./stores/GameSessionStore.ts";
import { type PlayerStore, SqlPlayerStore } from "./stores/PlayerStore.ts";
import { type RatingStore, SqlRatingStore } from "./stores/RatingStore.ts";
import { type RefreshTokenStore, SqlRefreshTokenStore } from "./stores/RefreshTokenStore.ts";

/** How often each process runs a matchmaking pass over the pools it leases. */
export const MATCHMAKING_PASS_MS = 500;
/** How often leaderboard resets are checked and lost rank indexes rebuilt. */
export const LEADERBOARD_PASS_MS = 5_000;
/** How often results journaled during a database outage are retried. */
export const RESULT_DRAIN_MS = 2_000;
/** How often a process looks for orphaned matches of its region. */
export const RECOVERY_PASS_MS = 1_000;
/** How often session ends that failed (the database was away) are retried. */
export const SESSION_END_RETRY_MS = 1_000;
/** How often a process republishes its load and sweeps processes that stopped answering. */
export const PLACEMENT_PASS_MS = 1_000;
/** How often a process prunes what the retention windows no longer keep. */
export const RETENTION_PASS_MS = 10 * 60_000;

export interface Stores {
  players: PlayerStore;
  refreshTokens: RefreshTokenStore;
  sessions: GameSessionStore;
  chat: ChatMessageStore;
  /** Ratings per player and rating key (the matchmaker searches by the rating of the game searched). */
  ratings: RatingStore;
}

export interface Services {
  config: ResolvedConfig;
  log: Logger;
  /** The registered games: their rooms, modes, boards, rating keys and result policies. */
  games: GameRegistry;
  db: Database;
  stores: Stores;
  /** Handed to Colyseus, which shuts it down with the server. */
  presence: Presence;
  /** Handed to Colyseus, which shuts it down with the server. */
  driver: matchMaker.MatchMakerDriver;
  /** This process' own Redis connection (readiness, and later queues and ranks); undefined without REDIS_URL. */
  redis: Redis | undefined;
  health: HealthService;
  auth: AuthService;
  /** This process' registry of live room connections, reachable from every process through presence. */
  connections: LiveConnections;
  hasher: PasswordHasher;
  matchSigner: MatchSigner;
  /** Where finished matches send their MatchResult. */
  results: PersistentMatchResults;
  resultStore: MatchResultStore;
  leaderboards: LeaderboardService;
  /** Starts matches of any registered game (the matchmaker's, recovery's and tests'). */
  launcher: MatchLauncher;
  matchmaker: Matchmaker;
  placement: RegionPlacement;
  /** This process' rooms and clients, counted exactly, with its caps (MAX_ROOMS, MAX_CCU). */
  load: ProcessLoad;
  metrics: Metrics;
  chat: ChatService;
  blocks: BlockStore;
  sessions: SessionService;
  recovery: RecoveryService;
  admission: JoinThrottle;
  /** Per-IP bound on reconnection requests (`/matchmake/reconnect`, which run no onAuth). */
  reconnectAdmission: JoinThrottle;
  retention: RetentionService;
  /** MAX_CONNECTIONS_PER_PLAYER, counted across processes. */
  playerConnections: PlayerConnections;
  /** Closes what Colyseus does not: the database and this process' own Redis connection. */
  close(): Promise<void>;
}

/**
 * Longest wait between two reconnection attempts to Redis (ioredis' default grows to 2 s). Short, so that after an
 * outage every process serves room requests again well within 5 s of Redis answering, and a request made during
 * the outage is refused (after `maxRetriesPerRequest` attempts) in about a second rather than held for several.
 */
export const REDIS_RECONNECT_MAX_MS = 500;

function redisClient(url: string, log: Logger, name: string, metrics: Metrics): Redis {
  const client = new Redis(url, {
    connectionName: name,
    maxRetriesPerRequest: 2,
    enableReadyCheck: true,
    retryStrategy: (attempt) => Math.min(attempt * 50, REDIS_RECONNECT_MAX_MS),
  });
  observeRedis(client, log, name, metrics);
  return client;
}

/** `PUBSUB NUMSUB` over the channels asked: subscriber counts across every client of this (single) Redis. */
function redisSubscribedProbe(redis: Redis): SubscribedProbe {
  return async (channels) => {
    if (channels.length === 0) return [];
    const reply = (await redis.call("PUBSUB", "NUMSUB", ...channels)) as Array<string | number>;
    const counts = new Map<string, number>();
    for (let i = 0; i + 1 < reply.length; i += 2) counts.set(String(reply[i]), Number(reply[i + 1]));
    return channels.map((channel) => (counts.get(channel) ?? 0) > 0);
  };
}

function observeRedis(
  client: { on(event: "error", listener: (error: Error) => void): unknown },
  log: Logger,
  name: string,
  metrics: Metrics,
): void {
  // Without a listener ioredis reports every failed reconnect as unhandled; a Redis outage is a readiness fact here.
  client.on("error", (error: Error) => {
    metrics.redisErrors.inc({ client: name });
    log.warn({ err: error.message, client: name }, "Redis connection error");
  });
}

export async function createServices(config: ResolvedConfig, log: Logger, games: GameRegistry): Promise<Services> {
  const metrics = new Metrics({ region: config.region, processId: () => matchMaker.processId });
  const db = new ObservedDatabase(await openDatabase(config, log.child({ component: "database" })), (kind) =>
    metrics.databaseErrors.inc({ kind }),
  );
  try {
    const report = await migrate(db);
    log.info({ database: db.kind, applied: report.applied, schemaVersion: report.current }, "database ready");
  } catch (error) {
    await db.close();
    throw error;
  }

  let presence: Presence;
  let driver: matchMaker.MatchMakerDriver;
  let redis: Redis | undefined;
  let redisConnections: () => Record<string, string> = () => ({});
  let redisProbes: Record<string, (timeoutMs: number) => Promise<void>> = {};
  if (config.redisUrl !== undefined) {
    const redisLog = log.child({ component: "redis" });
    const observed = new ObservedRedisPresence(redisClient(config.redisUrl, redisLog, "arena-presence", metrics));
    for (const [name, client] of Object.entries(observed.connections())) observeRedis(client, redisLog, name, metrics);
    const driverClient = redisClient(config.redisUrl, redisLog, "arena-driver", metrics);
    const ownClient = redisClient(config.redisUrl, redisLog, "arena-services", metrics);
    const redisDriver = new RecoveringRedisDriver(driverClient);
    presence = observed;
    driver = redisDriver;
    redis = ownClient;
    // Room listings live in Redis: when it comes back after a restart (empty), Colyseus would not know its rooms
    // any more. Every reconnection re-publishes this process' missing listings.
    let connectedBefore = false;
    driverClient.on("ready", () => {
      if (!connectedBefore) {
        connectedBefore = true;
        return;
      }
      matchMaker
        .restoreMissingRoomCaches()
        .then(() => redisLog.info("room listings re-published after a Redis reconnection"))
        .catch((error: unknown) => redisLog.warn({ err: error }, "could not re-publish room listings"));
    });
    redisConnections = () => ({
      ...observed.connectionStates(),
      driver: driverClient.status,
      services: ownClient.status,
    });
    redisProbes = {
      driver: (timeoutMs) => redisDriver.probe(timeoutMs),
      presence: (timeoutMs) => observed.probe(timeoutMs),
    };
    log.info("Redis presence and matchmaker driver");
  } else {
    presence = new LocalPresence();
    driver = new LocalDriver();
    log.info("in-process presence and matchmaker driver (REDIS_URL unset)");
  }

  const stores: Stores = {
    players: new SqlPlayerStore(db),
    refreshTokens: new SqlRefreshTokenStore(db),
    sessions: new SqlGameSessionStore(db),
    chat: new SqlChatMessageStore(db),
    ratings: new SqlRatingStore(db, games.defaultGame.id),
  };
  const connections = new LiveConnections(presence, log.child({ component: "connections" }));
  await connections.start();
  const playerConnections = new PlayerConnections(
    redis === undefined ? new InMemoryConnectionCounter() : new RedisConnectionCounter(redis),
    config.maxConnectionsPerPlayer,
  );
  const connectionsLog = log.child({ component: "connections" });
  playerConnections.start((error) =>
    connectionsLog.warn({ err: error }, "could not re-assert this process' player connections"),
  );
  const hasher = new PasswordHasher();
  const auth = new AuthService({
    players: stores.players,
    refreshTokens: stores.refreshTokens,
    tokens: new TokenService(config.jwtSecret, Date.now, config.accessTokenTtlSec),
    hasher,
    throttle: new LoginThrottle(redis),
    connections,
    regions: config.regions,
    defaultRegion: config.region,
    log: log.child({ component: "auth" }),
  });

  const matchSigner = new MatchSigner(config.jwtSecret);
  const leaderboards = new LeaderboardService(
    new SqlLeaderboardStore(db),
    redis === undefined ? new InMemoryRankIndex() : new RedisRankIndex(redis),
    log.child({ component: "leaderboards" }),
  );
  await leaderboards.init(boardDefinitions(games));
  leaderboards.start(LEADERBOARD_PASS_MS);
  const resultStore = new MatchResultStore(db, leaderboards, games, stores.ratings);
  const results = new PersistentMatchResults(
    resultStore,
    leaderboards,
    redis === undefined
      ? new FileResultJournal(path.join(config.dataDir, "results-journal.ndjson"))
      : new RedisResultJournal(redis),
    log.child({ component: "results" }),
    () => db.ping(1_000),
    {
      refused: (reason) => metrics.resultsRefused.inc({ reason }),
      parked: (reason) => metrics.resultsParked.inc({ reason }),
    },
  );
  results.start(RESULT_DRAIN_MS);
  const launcher = new MatchLauncher(matchSigner, games);
  const ticketStore = redis === undefined ? new InMemoryTicketStore() : new RedisTicketStore(redis);
  const matchmaker = new Matchmaker(
    ticketStore,
    launcher,
    presence,
    stores.players,
    {
      owner: `${config.publicAddress ?? "local"}/${process.pid}/${newId().slice(0, 6)}`,
      regions: config.regions,
      schedule: DEFAULT_SCHEDULE,
      botFillSec: config.botFillSec,
      ticketTtlMs: 10_000,
      leaseTtlMs: 3_000,
      games,
      // The rating of the game (and mode) searched: the account's top-level rating for the default game.
      ratingOf: (playerId, key) => stores.ratings.ratingOf(playerId, key),
    },
    log.child({ component: "matchmaker" }),
    {
      matched: (game, mode, region, waitedMs) => {
        for (const ms of waitedMs) metrics.timeToMatch.observe({ game, mode, region }, ms / 1000);
      },
      refused: (region, reason) => metrics.matchesRefused.inc({ region, reason }),
    },
  );
  matchmaker.start(MATCHMAKING_PASS_MS);
  const load = new ProcessLoad(
    { maxRooms: config.maxRooms, maxCcu: config.maxCcu },
    (roomName) => games.get(roomName) !== undefined,
  );
  const placement = new RegionPlacement(
    presence,
    config.region,
    load,
    log.child({ component: "placement" }),
    redis === undefined ? undefined : redisSubscribedProbe(redis),
  );
  // Colyseus assigns the process id while the server starts; announce the region and caps as soon as it exists.
  const registration = setInterval(() => {
    placement
      .register()
      .then((done) => done && clearInterval(registration))
      .catch((error: unknown) => log.warn({ err: error }, "could not record this process' region"));
  }, 200);
  placement.start(PLACEMENT_PASS_MS);
  metrics.observe({
    clientsByRoom: () => load.clientsByRoom(),
    roomsByType: () => load.roomsByType(),
    queueDepths: async () => {
      const depths: Array<{ game: string; region: string; mode: string; depth: number }> = [];
      for (const pool of await ticketStore.pools()) {
        const key = parsePoolKey(pool);
        if (key !== undefined) depths.push({ ...key, depth: await ticketStore.size(pool) });
      }
      return depths;
    },
  });

  const sessions = new SessionService(stores.sessions, stores.players, log.child({ component: "sessions" }));
  sessions.start(SESSION_END_RETRY_MS);
  const recovery = new RecoveryService({
    sessions: stores.sessions,
    players: stores.players,
    signer: matchSigner,
    defaultGame: games.defaultGame.id,
    isGame: (gameId) => games.get(gameId) !== undefined,
    region: config.region,
    log: log.child({ component: "recovery" }),
    isAlive: (processId) => placement.isAlive(processId),
    journaledSessions: () => results.journaledSessions(),
    endPending: (sessionId) => sessions.endPending(sessionId),
  });
  recovery.start(RECOVERY_PASS_MS);
  const retention = new RetentionService(
    stores,
    {
      refreshTokenRetentionDays: config.refreshTokenRetentionDays,
      chatRetentionDays: config.chatRetentionDays,
      snapshotRetentionHours: config.snapshotRetentionHours,
    },
    log.child({ component: "retention" }),
  );
  retention.start(RETENTION_PASS_MS);
  const blocks = new SqlBlockStore(db);
  const chat = new ChatService(stores.players, stores.chat, blocks, presence, redis);

  return {
    config,
    log,
    games,
    db,
    stores,
    chat,
    blocks,
    sessions,
    recovery,
    retention,
    matchSigner,
    results,
    resultStore,
    leaderboards,
    launcher,
    matchmaker,
    placement,
    load,
    metrics,
    admission: new JoinThrottle(redis, config.roomJoinsPerMin),
    reconnectAdmission: new JoinThrottle(redis, config.roomJoinsPerMin * RECONNECTS_PER_JOIN, "reconnect"),
    playerConnections,
    presence,
    driver,
    redis,
    health: new HealthService(db, redis, redisConnections, redisProbes),
    auth,
    connections,
    hasher,
    async close() {
      playerConnections.stop();
      matchmaker.stop();
      leaderboards.stop();
      recovery.stop();
      retention.stop();
      sessions.stop();
      results.stop();
      clearInterval(registration);
      placement.stop();
      if (redis !== undefined) await redis.quit().catch(() => redis?.disconnect());
      await db.close();
    },
  };
}
