/**
 * A Redis outage seen by two server processes (the real entry point) sharing a private `redis-server` and a scratch
 * PostgreSQL database: room requests keep arriving at both while Redis is down for ~7 s. When Redis returns (empty,
 * as after a crash), every process serves room requests again within 5 s, and `/readyz` is 503 during, 200 after.
 */
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { RoomName } from "../../src/protocol.ts";
import { listening, type Running, start, stop } from "../helpers/childServer.ts";
import { createScratchPostgres, type ScratchPostgres } from "../helpers/databases.ts";
import { freePort } from "../helpers/ports.ts";
import { PrivateRedis } from "../helpers/privateServers.ts";
import { ADMIN_PASSWORD } from "../helpers/server.ts";

const JWT_SECRET = "redis-outage-test-secret-of-at-least-32-bytes";
const OUTAGE_MS = 7_000;
const RECOVERY_MS = 5_000;

interface Process {
  running: Running;
  url: string;
  dataDir: string;
}

/** The two kinds of room request a lobby makes: a lobby chat channel and a matchmaking search. */
const ROOM_REQUESTS: ReadonlyArray<{ room: string; options: Record<string, unknown> }> = [
  { room: RoomName.Chat, options: { channel: "global" } },
  { room: RoomName.Matchmaking, options: { mode: "duel" } },
];

/** `POST /matchmake/joinOrCreate/<room>` with the player's token: the SDK's HTTP step. Never throws. */
async function roomRequest(
  url: string,
  token: string,
  request: (typeof ROOM_REQUESTS)[number],
  timeoutMs = 3_000,
): Promise<{ status: number; body: string }> {
  try {
    const res = await fetch(`${url}/matchmake/joinOrCreate/${request.room}`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify(request.options),
      signal: AbortSignal.timeout(timeoutMs),
    });
    return { status: res.status, body: await res.text() };
  } catch (error) {
    return { status: 0, body: error instanceof Error ? error.message : String(error) };
  }
}

async function readyz(url: string): Promise<number> {
  return (await fetch(`${url}/readyz`, { signal: AbortSignal.timeout(3_000) })).status;
}

/** Polls `probe` until it returns true; the deadline is the outcome the test asserts, not a wait for a tick. */
async function within(withinMs: number, probe: () => Promise<boolean>): Promise<number | undefined> {
  const started = Date.now();
  while (Date.now() - started < withinMs) {
    if (await probe()) return Date.now() - started;
    await new Promise((resolve) => setTimeout(resolve, 200));
  }
  return undefined;
}

describe("Redis outage across two processes [postgres, private redis]", function () {
  this.timeout(90_000);
  let redis: PrivateRedis;
  let database: ScratchPostgres;
  const processes: Process[] = [];
  let token = "";

  before(async () => {
    [redis, database] = await Promise.all([PrivateRedis.start(), createScratchPostgres()]);
    const ports = [await freePort(), await freePort()];
    for (const port of ports) {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "arena-redis-outage-"));
      const running = start({
        PORT: String(port),
        PUBLIC_ADDRESS: `127.0.0.1:${port}`,
        DATA_DIR: dataDir,
        DATABASE_URL: database.url,
        REDIS_URL: redis.url,
        JWT_SECRET,
        ADMIN_PASSWORD,
        BOT_FILL_SEC: "0",
        LOG_LEVEL: "info",
      });
      processes.push({ running, url: `http://127.0.0.1:${port}`, dataDir });
    }
    await Promise.all(processes.map((p) => listening(p.running, 60_000)));
    const guest = await fetch(`${processes[0]!.url}/auth/guest`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ deviceId: "redis-outage-test-device" }),
    });
    assert.equal(guest.status, 200, await guest.clone().text());
    token = ((await guest.json()) as { accessToken: string }).accessToken;
  });

  after(async () => {
    await Promise.all(processes.map((p) => stop(p.running)));
    for (const p of processes) fs.rmSync(p.dataDir, { recursive: true, force: true });
    await redis?.stop();
    await database?.drop();
  });

  it("room requests during a ~7 s outage; every process serves them again within 5 s after Redis returns", async () => {
    for (const p of processes) {
      assert.equal(await readyz(p.url), 200, `${p.url} ready before the outage`);
      for (const request of ROOM_REQUESTS) {
        const answer = await roomRequest(p.url, token, request);
        assert.equal(answer.status, 200, `${p.url} ${request.room} before the outage: ${answer.body}`);
      }
    }

    await redis.stop();
    const outageStarted = Date.now();
    const duringOutage: string[] = [];
    const readyDuring = new Map<string, number[]>();
    while (Date.now() - outageStarted < OUTAGE_MS) {
      await Promise.all(
        processes.map(async (p) => {
          for (const request of ROOM_REQUESTS) {
            // Refused, not hung: the driver's connection gives up after its retries (maxRetriesPerRequest 2).
            const answer = await roomRequest(p.url, token, request, 8_000);
            duringOutage.push(`${answer.status} ${answer.body}`);
          }
          readyDuring.set(p.url, [...(readyDuring.get(p.url) ?? []), await readyz(p.url)]);
        }),
      );
    }
    assert.ok(duringOutage.length >= 2 * ROOM_REQUESTS.length, "room requests reached every process in the outage");
    // A dependency that is down: 503 UNAVAILABLE, never the driver's internal message.
    for (const answer of duringOutage) {
      assert.match(answer, /^503 .*"code":"UNAVAILABLE"/, "a room request during the outage");
      assert.doesNotMatch(answer, /max retries/, "no internal detail leaks");
    }
    for (const p of processes) {
      const statuses = readyDuring.get(p.url) ?? [];
      assert.ok(
        statuses.length > 0 && statuses.every((status) => status === 503),
        `${p.url} /readyz during the outage: ${statuses.join(",")}`,
      );
    }
    process.stdout.write(`      (${duringOutage.length} room requests during the outage, each answered 503)\n`);

    await redis.start();
    const back = Date.now();
    await Promise.all(
      processes.map(async (p) => {
        for (const request of ROOM_REQUESTS) {
          let last = { status: 0, body: "" };
          const tookMs = await within(RECOVERY_MS - (Date.now() - back), async () => {
            last = await roomRequest(p.url, token, request);
            return last.status === 200;
          });
          assert.ok(
            tookMs !== undefined,
            `${p.url} ${request.room} not served within 5 s after Redis returned: ${last.status} ${last.body}`,
          );
        }
        const readyMs = await within(RECOVERY_MS - (Date.now() - back), async () => (await readyz(p.url)) === 200);
        assert.ok(readyMs !== undefined, `${p.url} /readyz not 200 within 5 s after Redis returned`);
      }),
    );
    process.stdout.write(`      (every process served room requests ${Date.now() - back} ms after Redis returned)\n`);

    // And it stays so: a later request on each process is served too (nothing left over from the outage).
    for (const p of processes) {
      assert.equal(await readyz(p.url), 200);
      for (const request of ROOM_REQUESTS) {
        const answer = await roomRequest(p.url, token, request);
        assert.equal(answer.status, 200, `${p.url} ${request.room} later: ${answer.body}`);
      }
    }
  });
});
