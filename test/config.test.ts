import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { ConfigError, loadConfig } from "../src/config.ts";
import { resolveDevSecrets } from "../src/devSecrets.ts";

const secret = "x".repeat(32);

function rejects(env: Record<string, string>, variable: string): void {
  assert.throws(
    () => loadConfig(env, "/srv"),
    (error: unknown) => error instanceof ConfigError && error.variable === variable && !error.message.includes("\n"),
  );
}

describe("config", () => {
  it("serves with an empty environment, with the documented defaults", () => {
    const config = loadConfig({}, "/srv");
    assert.equal(config.nodeEnv, "development");
    assert.equal(config.port, 2567);
    assert.equal(config.dataDir, "/srv/data");
    assert.equal(config.databaseUrl, undefined);
    assert.equal(config.redisUrl, undefined);
    assert.equal(config.region, "local");
    assert.deepEqual(config.regions, ["local"]);
    assert.equal(config.tickRateHz, 30);
    assert.equal(config.patchRateHz, 20);
    assert.equal(config.matchDurationSec, 180);
    assert.equal(config.botFillSec, 10);
    assert.equal(config.reconnectWindowSec, 20);
    assert.equal(config.snapshotIntervalMs, 1000);
    assert.equal(config.logLevel, "info");
  });

  it("reads every documented variable", () => {
    const config = loadConfig(
      {
        PORT: "3000",
        PUBLIC_ADDRESS: "eu1.example.com:3000",
        DATABASE_URL: "postgres://u@db/arena",
        DATA_DIR: "/var/arena",
        REDIS_URL: "redis://cache:6379",
        REGION: "eu",
        REGIONS: "eu, us",
        JWT_SECRET: secret,
        ADMIN_PASSWORD: "a-long-admin-password",
        TICK_RATE_HZ: "60",
        PATCH_RATE_HZ: "30",
        MATCH_DURATION_SEC: "120",
        BOT_FILL_SEC: "0",
        RECONNECT_WINDOW_SEC: "30",
        SNAPSHOT_INTERVAL_MS: "500",
        LOG_LEVEL: "debug",
      },
      "/srv",
    );
    assert.equal(config.port, 3000);
    assert.equal(config.publicAddress, "eu1.example.com:3000");
    assert.equal(config.databaseUrl, "postgres://u@db/arena");
    assert.equal(config.dataDir, "/var/arena");
    assert.equal(config.redisUrl, "redis://cache:6379");
    assert.deepEqual(config.regions, ["eu", "us"]);
    assert.equal(config.jwtSecret, secret);
    assert.equal(config.tickRateHz, 60);
    assert.equal(config.botFillSec, 0);
    assert.equal(config.snapshotIntervalMs, 500);
    assert.equal(config.logLevel, "debug");
  });

  it("defaults BOT_FILL_SEC to 0 in production", () => {
    const config = loadConfig({ NODE_ENV: "production", JWT_SECRET: secret, ADMIN_PASSWORD: "a-long-admin-password" });
    assert.equal(config.botFillSec, 0);
  });

  it("refuses invalid values, naming the variable on one line", () => {
    rejects({ PORT: "abc" }, "PORT");
    rejects({ PORT: "70000" }, "PORT");
    rejects({ PORT: "1.5" }, "PORT");
    rejects({ TICK_RATE_HZ: "0" }, "TICK_RATE_HZ");
    rejects({ SNAPSHOT_INTERVAL_MS: "-1" }, "SNAPSHOT_INTERVAL_MS");
    rejects({ DATABASE_URL: "mysql://x" }, "DATABASE_URL");
    rejects({ DATABASE_URL: "not a url" }, "DATABASE_URL");
    rejects({ REDIS_URL: "http://x" }, "REDIS_URL");
    rejects({ REGION: "EU West" }, "REGION");
    rejects({ REGIONS: "eu,eu" }, "REGIONS");
    rejects({ LOG_LEVEL: "loud" }, "LOG_LEVEL");
    rejects({ NODE_ENV: "staging" }, "NODE_ENV");
    rejects({ PUBLIC_ADDRESS: "http://x y" }, "PUBLIC_ADDRESS");
    rejects({ JWT_SECRET: "short" }, "JWT_SECRET");
    rejects({ REFRESH_TOKEN_RETENTION_DAYS: "0" }, "REFRESH_TOKEN_RETENTION_DAYS");
    rejects({ CHAT_RETENTION_DAYS: "-3" }, "CHAT_RETENTION_DAYS");
    rejects({ SNAPSHOT_RETENTION_HOURS: "soon" }, "SNAPSHOT_RETENTION_HOURS");
  });

  it("reads the retention windows, with their documented defaults", () => {
    const defaults = loadConfig({}, "/srv");
    assert.equal(defaults.refreshTokenRetentionDays, 7);
    assert.equal(defaults.chatRetentionDays, 30);
    assert.equal(defaults.snapshotRetentionHours, 24);
    const set = loadConfig(
      { REFRESH_TOKEN_RETENTION_DAYS: "2", CHAT_RETENTION_DAYS: "90", SNAPSHOT_RETENTION_HOURS: "1" },
      "/srv",
    );
    assert.deepEqual([set.refreshTokenRetentionDays, set.chatRetentionDays, set.snapshotRetentionHours], [2, 90, 1]);
  });

  it("TRUSTED_PROXIES: none by default; IPv4 and IPv6 addresses and CIDRs; anything else refused on one line", () => {
    assert.deepEqual(loadConfig({}, "/srv").trustedProxies, []);
    assert.deepEqual(loadConfig({ TRUSTED_PROXIES: "127.0.0.1, 10.0.0.0/8,::1,fd00::/8" }, "/srv").trustedProxies, [
      "127.0.0.1",
      "10.0.0.0/8",
      "::1",
      "fd00::/8",
    ]);
    for (const bad of ["loopback", "10.0.0.0/33", "::1/129", "10.0.0.1/8/2", "10.0.0", "1.2.3.4/x", "a,b"]) {
      rejects({ TRUSTED_PROXIES: bad }, "TRUSTED_PROXIES");
    }
  });

  it("MAX_CONNECTIONS_PER_PLAYER: 8 by default, 0 = no cap, integers only", () => {
    assert.equal(loadConfig({}, "/srv").maxConnectionsPerPlayer, 8);
    assert.equal(loadConfig({ MAX_CONNECTIONS_PER_PLAYER: "0" }, "/srv").maxConnectionsPerPlayer, 0);
    rejects({ MAX_CONNECTIONS_PER_PLAYER: "-1" }, "MAX_CONNECTIONS_PER_PLAYER");
    rejects({ MAX_CONNECTIONS_PER_PLAYER: "many" }, "MAX_CONNECTIONS_PER_PLAYER");
  });

  it("refuses production without a 32-byte JWT_SECRET or an ADMIN_PASSWORD", () => {
    rejects({ NODE_ENV: "production", ADMIN_PASSWORD: "a-long-admin-password" }, "JWT_SECRET");
    rejects(
      { NODE_ENV: "production", JWT_SECRET: "y".repeat(31), ADMIN_PASSWORD: "a-long-admin-password" },
      "JWT_SECRET",
    );
    rejects({ NODE_ENV: "production", JWT_SECRET: secret }, "ADMIN_PASSWORD");
  });
});

describe("development secrets", () => {
  let dir: string;
  beforeEach(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "arena-secrets-"));
  });
  afterEach(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("are generated once into DATA_DIR and reused on restart", () => {
    const first = resolveDevSecrets(loadConfig({ DATA_DIR: dir }));
    assert.ok(first.config.jwtSecret.length >= 32);
    assert.ok(first.generatedAdminPassword);
    const file = path.join(dir, "secrets.json");
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    const second = resolveDevSecrets(loadConfig({ DATA_DIR: dir }));
    assert.equal(second.config.jwtSecret, first.config.jwtSecret);
    assert.equal(second.config.adminPassword, first.config.adminPassword);
    assert.equal(second.generatedAdminPassword, undefined, "printed only the first time");
  });

  it("keep explicit values and write nothing when both are given", () => {
    const resolved = resolveDevSecrets(
      loadConfig({ DATA_DIR: dir, JWT_SECRET: secret, ADMIN_PASSWORD: "given-password" }),
    );
    assert.equal(resolved.config.jwtSecret, secret);
    assert.equal(resolved.config.adminPassword, "given-password");
    assert.equal(fs.existsSync(path.join(dir, "secrets.json")), false);
  });

  it("refuse an unreadable secrets file, naming DATA_DIR", () => {
    fs.writeFileSync(path.join(dir, "secrets.json"), "{not json");
    assert.throws(
      () => resolveDevSecrets(loadConfig({ DATA_DIR: dir })),
      (e: unknown) => e instanceof ConfigError && e.variable === "DATA_DIR",
    );
  });
});
