/**
 * Dependency outages while the server runs: PostgreSQL (and Redis) go away behind a proxy; /readyz answers 503
 * within 2 s naming the dependency, the process stays up, and readiness returns by itself when they come back.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { Redis } from "ioredis";
import { TcpProxy } from "../helpers/tcpProxy.ts";
import { bootTestServer, jsonBody, registerPlayer, TEST_REDIS_URL, type TestServer } from "../helpers/server.ts";

/** TEST_REDIS_URL's server, which the proxies stand in front of. */
const redisServer = new URL(TEST_REDIS_URL);

/** The suite's own Redis database (TEST_REDIS_URL), reached through the proxy on `port`. */
function redisViaProxy(port: number): string {
  const url = new URL(TEST_REDIS_URL);
  url.port = String(port);
  return url.toString();
}

async function readyz(
  server: TestServer,
): Promise<{ status: number; body: Awaited<ReturnType<typeof jsonBody>>; ms: number }> {
  const started = performance.now();
  const res = await fetch(`${server.baseUrl}/readyz`);
  return { status: res.status, body: await jsonBody(res), ms: performance.now() - started };
}

/** Polls /readyz until it reports `status`; the server reconnects on its own, the test only watches. */
async function until(
  server: TestServer,
  status: number,
  withinMs: number,
): Promise<{ body: Awaited<ReturnType<typeof jsonBody>> }> {
  const deadline = performance.now() + withinMs;
  for (;;) {
    const answer = await readyz(server);
    if (answer.status === status) return answer;
    if (performance.now() > deadline) assert.fail(`readyz stayed ${answer.status}: ${JSON.stringify(answer.body)}`);
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
}

describe("readiness through dependency outages", function () {
  this.timeout(60_000);

  it("PostgreSQL down → 503 within 2 s naming the database; back → 200 without a restart", async () => {
    const proxy = new TcpProxy("127.0.0.1", 5432);
    await proxy.start();
    const server = await bootTestServer({
      database: "postgres",
      redis: false,
      databaseUrl: (url) => {
        const viaProxy = new URL(url);
        viaProxy.port = String(proxy.port);
        return viaProxy.toString();
      },
    });
    try {
      assert.equal((await readyz(server)).status, 200);
      await proxy.cut();
      const down = await readyz(server);
      assert.equal(down.status, 503);
      assert.ok(down.ms < 2000, `answered in ${down.ms} ms`);
      assert.equal(down.body.error.code, "UNAVAILABLE");
      assert.match(down.body.error.message, /database/);
      assert.equal(down.body.database.ok, false);
      // The process is still serving.
      assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
      await proxy.restore();
      const back = await until(server, 200, 10_000);
      assert.equal(back.body.database.ok, true);
      // And the pool works for real queries again.
      const [row] = await server.services.db.query<{ n: number }>("SELECT count(*)::int AS n FROM players");
      assert.equal(row!.n, 0);
    } finally {
      await server.close();
      await proxy.stop();
    }
  });

  it("Redis down → 503 within 2 s naming Redis; back → 200", async () => {
    const proxy = new TcpProxy(redisServer.hostname, Number(redisServer.port || 6379));
    await proxy.start();
    const server = await bootTestServer({
      database: "pglite",
      redis: true,
      env: { REDIS_URL: redisViaProxy(proxy.port) },
    });
    try {
      assert.equal((await readyz(server)).status, 200);
      await proxy.cut();
      const down = await readyz(server);
      assert.equal(down.status, 503);
      assert.ok(down.ms < 2000, `answered in ${down.ms} ms`);
      assert.match(down.body.error.message, /redis/);
      assert.equal(down.body.database.ok, true);
      assert.equal((await fetch(`${server.baseUrl}/healthz`)).status, 200);
      await proxy.restore();
      await until(server, 200, 15_000);
    } finally {
      await server.close();
      await proxy.stop();
    }
  });
});

describe("room listings after a Redis restart", function () {
  this.timeout(60_000);

  it("are re-published within 5 s when Redis comes back empty", async () => {
    const proxy = new TcpProxy(redisServer.hostname, Number(redisServer.port || 6379));
    await proxy.start();
    const server = await bootTestServer({
      database: "pglite",
      redis: true,
      env: { REDIS_URL: redisViaProxy(proxy.port) },
    });
    const direct = new Redis(TEST_REDIS_URL);
    try {
      const [p1, p2] = [await registerPlayer(server), await registerPlayer(server)];
      const { sessionId } = await server.services.launcher.launch({
        mode: "duel",
        region: "local",
        roster: [p1, p2].map((p, i) => ({ playerId: p.player.id, username: p.player.username, team: i, bot: false })),
      });
      assert.ok(await matchMaker.getRoomById(sessionId), "listed");
      // Redis "restarts": connections drop and it comes back without data.
      await proxy.cut();
      await direct.flushdb();
      await proxy.restore();
      const started = Date.now();
      let listed = false;
      while (!listed && Date.now() - started < 5000) {
        listed = (await direct.hexists("roomcaches", sessionId)) === 1;
        if (!listed) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(listed, "the arena's listing is back");
      process.stdout.write(`      (re-published ${Date.now() - started} ms after Redis returned)\n`);
    } finally {
      direct.disconnect();
      await server.close();
      await proxy.stop();
    }
  });
});
