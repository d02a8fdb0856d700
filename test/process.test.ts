/**
 * The real entry point as an operator runs it: a child process of `src/index.ts`, configured only through the
 * environment. Start-up, what it says, restart persistence, refusal of bad configuration, SIGTERM.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { listening, processPort, start, stop } from "./helpers/childServer.ts";
import { MIGRATIONS } from "../src/services/db/migrations.ts";
import { createScratchPostgres } from "./helpers/databases.ts";
import { freePort } from "./helpers/ports.ts";
import { jsonBody, TEST_REDIS_URL } from "./helpers/server.ts";

describe("the server process", function () {
  this.timeout(90_000);
  let dataDir: string;
  let port: number;
  beforeEach(async () => {
    port = await processPort();
    dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "arena-process-"));
  });
  afterEach(() => fs.rmSync(dataDir, { recursive: true, force: true }));

  it("starts on embedded defaults, keeps its database and secrets across a restart, exits 0 on SIGTERM", async () => {
    const env = { DATA_DIR: dataDir, PORT: String(port) };
    const first = start(env);
    const started = Date.now();
    const line = await listening(first);
    const startupMs = Date.now() - started;
    assert.equal(line.database, "pglite");
    assert.equal(line.redis, "in-process");
    // The start line says where the game and the monitor are, and where the monitor's password is.
    assert.equal(line.game, `http://localhost:${port}/`);
    assert.equal(line.monitor, `http://localhost:${port}/colyseus`);
    assert.equal(line.adminPassword, `${path.join(dataDir, "secrets.json")} (user admin)`);
    assert.ok(startupMs < 30_000);
    assert.ok(
      first.logs.some(
        (log) => log.msg === "generated a development admin password (shown once; set ADMIN_PASSWORD to choose one)",
      ),
    );
    const ready = await fetch(`http://127.0.0.1:${port}/readyz`);
    assert.equal(ready.status, 200);
    assert.equal((await jsonBody(ready)).database.kind, "pglite");
    assert.equal((await fetch(`http://127.0.0.1:${port}/healthz`)).status, 200);
    const migrated = first.logs.find((log) => log.msg === "database ready");
    assert.deepEqual(
      migrated?.applied,
      MIGRATIONS.map((migration) => migration.version),
    );
    assert.equal(await stop(first), 0);
    assert.ok(fs.existsSync(path.join(dataDir, "pglite", "PG_VERSION")), "embedded database lives under DATA_DIR");
    const secrets = fs.readFileSync(path.join(dataDir, "secrets.json"), "utf8");

    const second = start(env);
    await listening(second);
    const reopened = second.logs.find((log) => log.msg === "database ready");
    assert.deepEqual(reopened?.applied, [], "the schema survived the restart: nothing to migrate");
    assert.ok(!second.logs.some((log) => String(log.msg).startsWith("generated a development admin password")));
    assert.equal(fs.readFileSync(path.join(dataDir, "secrets.json"), "utf8"), secrets);
    assert.equal(await stop(second), 0);
  });

  it("uses DATABASE_URL and REDIS_URL when given, and says so", async () => {
    const scratch = await createScratchPostgres();
    try {
      const running = start({
        DATA_DIR: dataDir,
        PORT: String(port),
        DATABASE_URL: scratch.url,
        REDIS_URL: TEST_REDIS_URL,
      });
      const line = await listening(running);
      assert.equal(line.database, "postgres");
      assert.equal(line.redis, "redis");
      const body = await jsonBody(await fetch(`http://127.0.0.1:${port}/readyz`));
      assert.equal(body.database.kind, "postgres");
      assert.equal(body.redis.configured, true);
      assert.equal(body.redis.ok, true);
      assert.equal(await stop(running), 0);
    } finally {
      await scratch.drop();
    }
  });

  for (const [env, variable] of [
    [{ PORT: "abc" }, "PORT"],
    [{ NODE_ENV: "production", ADMIN_PASSWORD: "a-long-admin-password" }, "JWT_SECRET"],
    [{ TICK_RATE_HZ: "fast" }, "TICK_RATE_HZ"],
  ] as const) {
    it(`refuses ${Object.entries(env)
      .map(([k, v]) => `${k}=${v}`)
      .join(" ")} with one line naming ${variable}`, async () => {
      const running = start({ DATA_DIR: dataDir, ...env });
      const { code, stderr } = await running.exited;
      assert.equal(code, 1);
      const lines = stderr.trim().split("\n");
      assert.equal(lines.length, 1, stderr);
      assert.match(lines[0]!, new RegExp(`^Invalid configuration: ${variable} `));
    });
  }

  it("refuses an unreachable DATABASE_URL with one line, non-zero", async () => {
    const running = start({
      DATA_DIR: dataDir,
      PORT: String(port),
      DATABASE_URL: "postgres://postgres@127.0.0.1:1/none",
    });
    const { code, stderr } = await running.exited;
    assert.equal(code, 1);
    assert.equal(stderr.trim().split("\n").length, 1, stderr);
    assert.match(stderr, /^Cannot start: DATABASE_URL: /);
  });

  it("refuses an unreachable REDIS_URL naming REDIS_URL (not the database), non-zero", async () => {
    const running = start({
      DATA_DIR: dataDir,
      PORT: String(port),
      REDIS_URL: `redis://127.0.0.1:${await freePort()}/0`,
    });
    const { code, stderr } = await running.exited;
    assert.equal(code, 1);
    // Colyseus' presence prints its own connection errors first; ours is the last line.
    assert.match(stderr.trim().split("\n").at(-1)!, /^Cannot start: REDIS_URL: /, stderr);
  });
});
