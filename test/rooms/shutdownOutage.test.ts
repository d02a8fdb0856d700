/**
 * SIGTERM while PostgreSQL is down (a private PostgreSQL, stopped): the final snapshot and the lease release cannot
 * land, yet the shutdown does not hang — the clients are closed with 4001 and the process exits 0. The lease then
 * lapses SESSION_LEASE_MS after its last renewal instead, and once the database is back a process of the region
 * continues the match from its last stored snapshot; the player rejoins there.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { readFileSync } from "node:fs";
import path from "node:path";
import type { ColyseusSDK, Room as ClientRoom } from "@colyseus/sdk";
import { RECOVERY_PASS_MS } from "../../src/services/createServices.ts";
import { nextLeave, type Peer, startPeer } from "../helpers/peer.ts";
import { freePort } from "../helpers/ports.ts";
import { PrivatePostgres } from "../helpers/privateServers.ts";
import { announcedPeers, duelOn, rejoinWhenRunning, snapshotsTaken } from "../helpers/recovery.ts";
import { bootTestServer, registerPlayer, sdkFor, type TestServer } from "../helpers/server.ts";

async function join(
  server: TestServer,
  seat: Parameters<ColyseusSDK["consumeSeatReservation"]>[0],
): Promise<ClientRoom> {
  const room = await sdkFor(server).consumeSeatReservation(seat);
  room.onMessage("*", () => {});
  room.reconnection.enabled = false;
  return room;
}

describe("SIGTERM while PostgreSQL is down [private postgres, redis]", function () {
  this.timeout(90_000);
  let pg: PrivatePostgres;
  let a: TestServer;
  let b: Peer | undefined;
  const env = { REGION: "us", REGIONS: "us", BOT_FILL_SEC: "0", MATCH_DURATION_SEC: "12", SNAPSHOT_INTERVAL_MS: "300" };

  before(async () => {
    pg = await PrivatePostgres.start();
    a = await bootTestServer({
      database: "postgres",
      redis: true,
      databaseUrl: () => pg.url,
      publicAddress: true,
      env,
    });
  });
  after(async () => {
    a?.services.recovery.start(RECOVERY_PASS_MS);
    await pg.start().catch(() => undefined);
    await b?.stop();
    await a?.close();
    await pg?.destroy();
  });

  it("the clients are still closed with 4001 and the process exits; the lease lapses instead; the match continues from the last stored snapshot", async () => {
    const port = await freePort();
    b = await startPeer(a, { ...env, PUBLIC_ADDRESS: `127.0.0.1:${port}` }, port);
    const [peerId] = await announcedPeers(1);
    const player = await registerPlayer(a);
    const { sessionId, seat } = await duelOn(a, peerId!, player);
    const room = await join(a, seat);
    await snapshotsTaken(a, sessionId, 2);
    const stored = (await a.services.sessions.snapshot(sessionId))!;

    await pg.stop();
    const left = nextLeave(room);
    const terminatedAt = Date.now();
    b.running.child.kill("SIGTERM");
    const exited = b.running.exited;
    const code = await Promise.race([
      left,
      new Promise<string>((resolve) => setTimeout(() => resolve("no close within 10 s"), 10_000)),
    ]);
    assert.equal(code, 4001, "closed with ServerShutdown although nothing could be written");
    const exit = await Promise.race([
      exited,
      new Promise<string>((resolve) => setTimeout(() => resolve("still running 10 s after SIGTERM"), 10_000)),
    ]);
    assert.deepEqual(typeof exit === "string" ? exit : exit.code, 0, "the process exits 0");
    const exitedAfterMs = Date.now() - terminatedAt;
    assert.ok(
      b.running.logs.some((line) => String(line.msg).includes("could not hand the match off")),
      "the failed hand-off is logged",
    );

    // This process claims the match only after the test has read what the peer left behind.
    a.services.recovery.stop();
    await pg.start();
    const [row] = await a.services.db.query<{ epoch: number; lease_expires_at: Date }>(
      "SELECT epoch, lease_expires_at FROM game_sessions WHERE id = $1",
      [sessionId],
    );
    assert.equal(row!.epoch, 0);
    const leaseUntil = new Date(row!.lease_expires_at).getTime();
    assert.ok(leaseUntil > terminatedAt, "not released: the lease runs out on its own, after the signal");
    const last = (await a.services.sessions.snapshot(sessionId))!;
    assert.ok(last.createdAt.getTime() < terminatedAt, "no final snapshot: the newest is from before the signal");
    assert.ok(last.version >= stored.version);
    a.services.recovery.start(RECOVERY_PASS_MS);
    const back = await rejoinWhenRunning(sessionId, player);
    const backAt = Date.now();
    const tick = await new Promise<number>((resolve) =>
      back.onStateChange.once((state) => resolve((state as { tick: number }).tick)),
    );
    assert.ok(tick >= last.tick, "continued from the last stored snapshot");
    process.stdout.write(
      `      (process exited ${exitedAfterMs} ms after SIGTERM with the database down; lease ran ${leaseUntil - terminatedAt} ms past it; player back ${backAt - terminatedAt} ms after it, the database back in between)\n`,
    );
    await back.leave();
  });

  it("with PostgreSQL stalled (it takes connections, answers nothing) the hand-off gives up after its bound: the clients are closed with 4001 and the process exits all the same", async () => {
    await b?.stop();
    // Running again whatever the test before left behind.
    await pg.start().catch(() => undefined);
    a.services.recovery.start(RECOVERY_PASS_MS);
    const port = await freePort();
    b = await startPeer(a, { ...env, PUBLIC_ADDRESS: `127.0.0.1:${port}` }, port);
    const [peerId] = await announcedPeers(1);
    const player = await registerPlayer(a);
    const { sessionId, seat } = await duelOn(a, peerId!, player);
    const room = await join(a, seat);
    await snapshotsTaken(a, sessionId, 2);

    const stalled = postgresProcesses(pg);
    for (const pid of stalled) process.kill(pid, "SIGSTOP");
    try {
      const left = nextLeave(room);
      const terminatedAt = Date.now();
      b.running.child.kill("SIGTERM");
      const code = await Promise.race([
        left,
        new Promise<string>((resolve) => setTimeout(() => resolve("no close within 10 s"), 10_000)),
      ]);
      const closedAfterMs = Date.now() - terminatedAt;
      assert.equal(code, 4001, "closed with ServerShutdown although the hand-off never answered");
      assert.ok(
        b.running.logs.some((line) => String(line.msg).includes("did not land in time")),
        "the hand-off gave up at its bound",
      );
      const exit = await Promise.race([
        b.running.exited,
        new Promise<string>((resolve) => setTimeout(() => resolve("still running 10 s after SIGTERM"), 10_000)),
      ]);
      assert.deepEqual(typeof exit === "string" ? exit : exit.code, 0, "the process exits 0 all the same");
      process.stdout.write(
        `      (clients closed ${closedAfterMs} ms after SIGTERM, the process exited ${Date.now() - terminatedAt} ms after it)\n`,
      );
    } finally {
      for (const pid of stalled) process.kill(pid, "SIGCONT");
    }
  });
});

/** The private cluster's postmaster and its children (backends, background workers). */
function postgresProcesses(pg: PrivatePostgres): number[] {
  const postmaster = Number(readFileSync(path.join(pg.dataDir, "postmaster.pid"), "utf8").split("\n")[0]);
  const children = execFileSync("pgrep", ["-P", String(postmaster)], { encoding: "utf8" })
    .split("\n")
    .filter((line) => line.trim() !== "")
    .map(Number);
  return [postmaster, ...children];
}
