/**
 * The one typed configuration module. The environment is parsed and validated once, at start-up; every value has a
 * working default so a bare `npm start` serves. Invalid values raise a {@link ConfigError} naming the variable, which
 * `src/index.ts` prints as a single line before exiting non-zero.
 *
 * Names follow ../shared/API.md ("Configuration"); the fields carry their units (`tickRateHz`, `snapshotIntervalMs`).
 */
import net from "node:net";
import path from "node:path";

export type NodeEnv = "development" | "production" | "test";
export type LogLevel = "fatal" | "error" | "warn" | "info" | "debug" | "trace" | "silent";

export interface Config {
  nodeEnv: NodeEnv;
  port: number;
  /** host:port at which clients reach this process; undefined when a single process serves. */
  publicAddress: string | undefined;
  /** PostgreSQL connection string; undefined selects the embedded PGlite database under {@link dataDir}. */
  databaseUrl: string | undefined;
  /** Absolute path of the embedded database and generated development secrets. */
  dataDir: string;
  /** Redis connection string; undefined selects the in-process implementations. */
  redisUrl: string | undefined;
  region: string;
  regions: string[];
  /** Set explicitly, or undefined in development until {@link resolveDevSecrets} fills it. */
  jwtSecret: string | undefined;
  adminPassword: string | undefined;
  tickRateHz: number;
  patchRateHz: number;
  matchDurationSec: number;
  /** 0 disables bot fill. */
  botFillSec: number;
  reconnectWindowSec: number;
  snapshotIntervalMs: number;
  /** How long a player of a turn-based game has for a move before it forfeits (TURN_TIME_SEC). */
  turnTimeSec: number;
  logLevel: LogLevel;
  /** Members per lobby chat room; a channel with more members spreads over more rooms. */
  chatShardSize: number;
  /** Room requests (create/join over HTTP) one IP may make per minute. */
  roomJoinsPerMin: number;
  /** Match rooms (every game's) this process accepts; placement skips a full process. 0 = no cap. */
  maxRooms: number;
  /** Connected clients this process accepts; joins past it are refused and placement skips it. 0 = no cap. */
  maxCcu: number;
  /** Origins allowed to call HTTP routes and open WebSockets; undefined = any origin. */
  allowedOrigins: string[] | undefined;
  /** Development aid: delay every WebSocket message both ways by this much (Colyseus' simulateLatency). */
  simulatedLatencyMs: number;
  /** Refresh tokens are deleted this long after they expired or were revoked. */
  refreshTokenRetentionDays: number;
  /** Lifetime of access tokens in seconds (`expiresIn`); clients refresh before it runs out. */
  accessTokenTtlSec: number;
  /** Chat messages beyond a channel's lobby history are deleted after this long (the moderation window). */
  chatRetentionDays: number;
  /** Snapshots of an ended match, except its last, are deleted this long after it ended. */
  snapshotRetentionHours: number;
  /**
   * Addresses (IPs or CIDRs) of the reverse proxies whose X-Forwarded-For is believed; empty = none: every client
   * is known by the socket's peer address.
   */
  trustedProxies: string[];
  /** Simultaneous room connections one player may hold, counted across processes. 0 = no cap. */
  maxConnectionsPerPlayer: number;
}

/** A configuration value that cannot be used. `variable` is the environment variable's name. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    detail: string,
  ) {
    super(`${variable} ${detail}`);
    this.name = "ConfigError";
  }
}

export const MIN_SECRET_BYTES = 32;
const REGION_PATTERN = /^[a-z0-9][a-z0-9-]{0,31}$/;
const LOG_LEVELS: readonly LogLevel[] = ["fatal", "error", "warn", "info", "debug", "trace", "silent"];

type Env = Record<string, string | undefined>;

/** Reads a variable, treating an empty or blank string as unset (as shells and orchestrators often pass them). */
function read(env: Env, name: string): string | undefined {
  const value = env[name];
  return value === undefined || value.trim() === "" ? undefined : value.trim();
}

function integer(env: Env, name: string, fallback: number, min: number, max: number): number {
  const raw = read(env, name);
  if (raw === undefined) return fallback;
  if (!/^-?\d+$/.test(raw)) throw new ConfigError(name, `must be an integer between ${min} and ${max} (got "${raw}")`);
  const value = Number(raw);
  if (value < min || value > max) throw new ConfigError(name, `must be between ${min} and ${max} (got ${value})`);
  return value;
}

function url(env: Env, name: string, protocols: readonly string[]): string | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  let parsed: URL;
  try {
    parsed = new URL(raw);
  } catch {
    throw new ConfigError(name, `must be a URL (${protocols.join(" or ")})`);
  }
  if (!protocols.includes(parsed.protocol)) {
    throw new ConfigError(name, `must use ${protocols.join(" or ")} (got "${parsed.protocol}")`);
  }
  return raw;
}

function region(name: string, value: string): string {
  if (!REGION_PATTERN.test(value)) {
    throw new ConfigError(name, `must be lowercase letters, digits and dashes, 1-32 characters (got "${value}")`);
  }
  return value;
}

function secret(env: Env, name: string, required: boolean, minBytes: number): string | undefined {
  const raw = env[name];
  if (raw === undefined || raw === "") {
    if (required) throw new ConfigError(name, "is required when NODE_ENV=production");
    return undefined;
  }
  if (Buffer.byteLength(raw, "utf8") < minBytes) {
    throw new ConfigError(name, `must be at least ${minBytes} bytes long`);
  }
  return raw;
}

/** A comma-separated list of exact origins (`https://game.example.com`), normalised by URL parsing. */
function origins(env: Env, name: string): string[] | undefined {
  const raw = read(env, name);
  if (raw === undefined) return undefined;
  return raw.split(",").map((entry) => {
    const value = entry.trim();
    let parsed: URL;
    try {
      parsed = new URL(value);
    } catch {
      throw new ConfigError(name, `must list origins such as https://game.example.com (got "${value}")`);
    }
    if ((parsed.protocol !== "http:" && parsed.protocol !== "https:") || parsed.pathname !== "/" || parsed.search) {
      throw new ConfigError(name, `must list bare http(s) origins without a path (got "${value}")`);
    }
    return parsed.origin;
  });
}

/**
 * A comma-separated list of IP addresses and CIDR blocks, IPv4 or IPv6 (`127.0.0.1,10.0.0.0/8,::1,fd00::/8`).
 * Each entry must be an address as written (no host names) with an optional prefix length within the family.
 */
function trustedProxies(env: Env, name: string): string[] {
  const raw = read(env, name);
  if (raw === undefined) return [];
  return raw.split(",").map((entry) => {
    const value = entry.trim();
    const [address = "", prefix, extra] = value.split("/");
    const family = net.isIP(address);
    const maxPrefix = family === 4 ? 32 : 128;
    const prefixOk = prefix === undefined || (/^\d{1,3}$/.test(prefix) && Number(prefix) <= maxPrefix);
    if (family === 0 || !prefixOk || extra !== undefined) {
      throw new ConfigError(name, `must list IP addresses or CIDR blocks such as 10.0.0.0/8 or ::1 (got "${value}")`);
    }
    return value;
  });
}

function simulatedLatency(env: Env, production: boolean): number {
  const value = integer(env, "SIMULATED_LATENCY_MS", 0, 0, 2000);
  if (production && value > 0) throw new ConfigError("SIMULATED_LATENCY_MS", "must be 0 when NODE_ENV=production");
  return value;
}

/**
 * Parses and validates the environment. Pure: reads only `env` and `cwd`, touches no file.
 * @throws ConfigError naming the first offending variable.
 */
export function loadConfig(env: Env = process.env, cwd: string = process.cwd()): Config {
  const nodeEnvRaw = read(env, "NODE_ENV") ?? "development";
  if (nodeEnvRaw !== "development" && nodeEnvRaw !== "production" && nodeEnvRaw !== "test") {
    throw new ConfigError("NODE_ENV", `must be development, production or test (got "${nodeEnvRaw}")`);
  }
  const nodeEnv: NodeEnv = nodeEnvRaw;
  const production = nodeEnv === "production";

  const publicAddress = read(env, "PUBLIC_ADDRESS");
  if (publicAddress !== undefined && !/^[A-Za-z0-9.-]+(:\d{1,5})?(\/[\w./-]*)?$/.test(publicAddress)) {
    throw new ConfigError("PUBLIC_ADDRESS", `must be host[:port] (got "${publicAddress}")`);
  }

  const ownRegion = region("REGION", read(env, "REGION") ?? "local");
  const regionsRaw = read(env, "REGIONS");
  const regions =
    regionsRaw === undefined ? [ownRegion] : regionsRaw.split(",").map((r) => region("REGIONS", r.trim()));
  if (new Set(regions).size !== regions.length) throw new ConfigError("REGIONS", "lists a region twice");

  const logLevel = (read(env, "LOG_LEVEL") ?? "info").toLowerCase();
  if (!(LOG_LEVELS as readonly string[]).includes(logLevel)) {
    throw new ConfigError("LOG_LEVEL", `must be one of ${LOG_LEVELS.join(", ")} (got "${logLevel}")`);
  }

  return {
    nodeEnv,
    port: integer(env, "PORT", 2567, 0, 65535),
    publicAddress,
    databaseUrl: url(env, "DATABASE_URL", ["postgres:", "postgresql:"]),
    dataDir: path.resolve(cwd, read(env, "DATA_DIR") ?? "data"),
    redisUrl: url(env, "REDIS_URL", ["redis:", "rediss:"]),
    region: ownRegion,
    regions,
    jwtSecret: secret(env, "JWT_SECRET", production, MIN_SECRET_BYTES),
    adminPassword: secret(env, "ADMIN_PASSWORD", production, 12),
    tickRateHz: integer(env, "TICK_RATE_HZ", 30, 1, 240),
    patchRateHz: integer(env, "PATCH_RATE_HZ", 20, 1, 120),
    matchDurationSec: integer(env, "MATCH_DURATION_SEC", 180, 10, 3600),
    botFillSec: integer(env, "BOT_FILL_SEC", production ? 0 : 10, 0, 3600),
    reconnectWindowSec: integer(env, "RECONNECT_WINDOW_SEC", 20, 0, 600),
    snapshotIntervalMs: integer(env, "SNAPSHOT_INTERVAL_MS", 1000, 100, 60_000),
    turnTimeSec: integer(env, "TURN_TIME_SEC", 30, 1, 3600),
    logLevel: logLevel as LogLevel,
    chatShardSize: integer(env, "CHAT_SHARD_SIZE", 200, 2, 5000),
    roomJoinsPerMin: integer(env, "ROOM_JOINS_PER_MIN", 60, 1, 1_000_000),
    maxRooms: integer(env, "MAX_ROOMS", 1000, 0, 1_000_000),
    maxCcu: integer(env, "MAX_CCU", 5000, 0, 10_000_000),
    allowedOrigins: origins(env, "ALLOWED_ORIGINS"),
    simulatedLatencyMs: simulatedLatency(env, production),
    refreshTokenRetentionDays: integer(env, "REFRESH_TOKEN_RETENTION_DAYS", 7, 1, 3650),
    accessTokenTtlSec: integer(env, "ACCESS_TOKEN_TTL_SEC", 600, 2, 86_400),
    chatRetentionDays: integer(env, "CHAT_RETENTION_DAYS", 30, 1, 3650),
    snapshotRetentionHours: integer(env, "SNAPSHOT_RETENTION_HOURS", 24, 1, 24 * 3650),
    trustedProxies: trustedProxies(env, "TRUSTED_PROXIES"),
    maxConnectionsPerPlayer: integer(env, "MAX_CONNECTIONS_PER_PLAYER", 8, 0, 10_000),
  };
}

/** A config whose secrets are known: what the composition root hands to services. */
export type ResolvedConfig = Config & { jwtSecret: string; adminPassword: string };
