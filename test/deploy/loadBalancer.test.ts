/**
 * The documented multi-process deployment, end to end on loopback: deploy/cluster.ts starts two real server
 * processes on one PostgreSQL and one Redis behind nginx with the configuration it generates; clients only ever
 * talk to nginx — HTTP round-robins across the processes, each seat's PUBLIC_ADDRESS routes the WebSocket to the
 * process that holds the room.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import http from "node:http";
import { ColyseusSDK, type Room as ClientRoom } from "@colyseus/sdk";
import { type Cluster, startCluster } from "../../deploy/cluster.ts";
import { RoomName } from "../../src/protocol.ts";
import { processPort } from "../helpers/childServer.ts";
import { createScratchPostgres, type ScratchPostgres } from "../helpers/databases.ts";
import { testPort } from "../helpers/ports.ts";
import { ADMIN_PASSWORD, flushTestRedis, TEST_REDIS_URL } from "../helpers/server.ts";

function nginxInstalled(): boolean {
  try {
    execFileSync("nginx", ["-v"], { stdio: "ignore" });
    return true;
  } catch {
    return false;
  }
}

describe("deployment: two processes behind nginx [postgres, redis]", function () {
  this.timeout(90_000);
  let cluster: Cluster | undefined;
  let database: ScratchPostgres;
  const logs: string[] = [];
  /** The ports of nginx and of the two processes, free ones unless TEST_NGINX_PORT / TEST_PROCESS_PORT pin them. */
  let nginxPort: number;
  let backendPorts: [number, number];
  /** nginx's address: all the clients ever talk to. */
  let lb: string;

  before(async function () {
    // .ci/run installs nginx; elsewhere the suite says why it did not run this.
    if (!nginxInstalled()) this.skip();
    database = await createScratchPostgres();
    await flushTestRedis();
    nginxPort = await testPort("TEST_NGINX_PORT");
    backendPorts = [await processPort(0), await processPort(1)];
    lb = `127.0.0.1:${nginxPort}`;
    cluster = await startCluster({
      host: "127.0.0.1",
      nginxPort,
      backends: [
        { name: "p1", port: backendPorts[0], region: "local" },
        { name: "p2", port: backendPorts[1], region: "local" },
      ],
      env: {
        DATABASE_URL: database.url,
        REDIS_URL: TEST_REDIS_URL,
        JWT_SECRET: "test-jwt-secret-that-is-at-least-32-bytes-long",
        ADMIN_PASSWORD,
        LOG_LEVEL: "info",
        BOT_FILL_SEC: "0",
      },
      output: (line) => logs.push(line),
    });
    for (let i = 0; i < 100; i++) {
      const ok = await fetch(`http://${lb}/healthz`).then(
        (res) => res.ok,
        () => false,
      );
      if (ok) return;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.fail(`nginx did not answer: ${logs.filter((line) => line.startsWith("[nginx]")).join("\n")}`);
  });
  after(async () => {
    await cluster?.stop();
    await database?.drop();
  });

  it("balances HTTP over both processes and refuses bodies over 16 KiB at the edge", async () => {
    const upstreams = new Set<string>();
    for (let i = 0; i < 8; i++) {
      const res = await fetch(`http://${lb}/healthz`);
      assert.equal(res.status, 200);
      upstreams.add(res.headers.get("x-arena-upstream") ?? "");
    }
    assert.deepEqual([...upstreams].sort(), backendPorts.map((port) => `127.0.0.1:${port}`).sort());
    const big = await fetch(`http://${lb}/auth/login`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ pad: "x".repeat(17 * 1024) }),
    });
    assert.equal(big.status, 413);
  });

  it("the client is the address nginx saw: a client-written X-Forwarded-For or X-Real-IP escapes no limit", async () => {
    // A client on 127.0.0.2 (not the proxy's address) rotating the hops it writes: registrations (10 an hour per
    // IP, shared through Redis by both processes) count it as one client.
    const register = (i: number) =>
      new Promise<number>((resolve, reject) => {
        const body = JSON.stringify({
          username: `lb_spoof_${process.pid % 1000}_${i}`,
          password: "correct horse battery",
        });
        const req = http.request(
          {
            host: "127.0.0.1",
            port: nginxPort,
            method: "POST",
            path: "/auth/register",
            localAddress: "127.0.0.2",
            agent: false,
            headers: {
              "content-type": "application/json",
              "x-forwarded-for": `198.51.100.${i}`,
              "x-real-ip": `203.0.113.${i}`,
            },
          },
          (res) => {
            res.resume();
            resolve(res.statusCode ?? 0);
          },
        );
        req.on("error", reject);
        req.end(body);
      });
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) statuses.push(await register(i));
    assert.deepEqual(statuses, [...Array(10).fill(201), 429]);
  });

  it("two guests log in, are matched and play in one arena, all through nginx", async () => {
    const tokens: string[] = [];
    for (const deviceId of ["lb-test-device-0001", "lb-test-device-0002"]) {
      const res = await fetch(`http://${lb}/auth/guest`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ deviceId }),
      });
      assert.equal(res.status, 200);
      tokens.push(((await res.json()) as { accessToken: string }).accessToken);
    }
    const searches: ClientRoom[] = [];
    for (const token of tokens) {
      const sdk = new ColyseusSDK(`ws://${lb}`);
      sdk.auth.token = token;
      const room = await sdk.joinOrCreate(RoomName.Matchmaking, { mode: "duel" });
      room.onMessage("*", () => {});
      searches.push(room);
    }
    const seats = await Promise.all(searches.map((room) => room.waitForMessage("seat", 20_000)));
    await Promise.all(searches.map((room) => room.leave()));
    for (const seat of seats) {
      assert.match((seat as { publicAddress: string }).publicAddress, new RegExp(`^${lb}/p[12]$`));
    }
    const arenas = await Promise.all(seats.map((seat) => new ColyseusSDK(`ws://${lb}`).consumeSeatReservation(seat)));
    for (const arena of arenas) arena.onMessage("*", () => {});
    assert.equal(arenas[0]!.roomId, arenas[1]!.roomId);
    // Each client receives the match state through nginx, its own player in it (others only when near).
    const own = await Promise.all(
      arenas.map(
        (arena) =>
          new Promise<string>((resolve) => {
            const check = () => {
              const players = (arena.state as { players?: { has(key: string): boolean } }).players;
              if (players?.has(arena.sessionId)) resolve(arena.sessionId);
            };
            arena.onStateChange(check);
            check();
          }),
      ),
    );
    assert.deepEqual(own, [arenas[0]!.sessionId, arenas[1]!.sessionId]);
    await Promise.all(arenas.map((arena) => arena.leave()));
  });
});
