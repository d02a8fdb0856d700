/**
 * Crash recovery with real peer processes on the test's PostgreSQL and Redis: a process running a match is killed
 * (SIGKILL), stalled (SIGSTOP/SIGCONT) or stopped (SIGTERM); a process of the region continues the match from its
 * latest snapshot, the player gets back through POST /sessions/:id/rejoin, and the match ends with one result.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import type { ColyseusSDK, Room as ClientRoom } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { processPort } from "../helpers/childServer.ts";
import { nextLeave, type Peer, startPeer } from "../helpers/peer.ts";
import { addressOf, announcedPeers, duelOn, rejoinWhenRunning, snapshotsTaken } from "../helpers/recovery.ts";
import { RECOVERY_PASS_MS } from "../../src/services/createServices.ts";
import {
  bootTestServer,
  jsonBody,
  postJson,
  registerPlayer,
  sdkFor,
  TEST_REDIS_URL,
  type TestServer,
} from "../helpers/server.ts";

async function join(
  server: TestServer,
  seat: Parameters<ColyseusSDK["consumeSeatReservation"]>[0],
): Promise<ClientRoom> {
  const room = await sdkFor(server).consumeSeatReservation(seat);
  room.onMessage("*", () => {});
  room.reconnection.enabled = false;
  return room;
}

async function oneResult(server: TestServer, sessionId: string): Promise<void> {
  const results = await server.services.db.query("SELECT 1 FROM match_results WHERE session_id = $1", [sessionId]);
  assert.equal(results.length, 1, "exactly one result");
}

describe("crash recovery [postgres, redis]", function () {
  this.timeout(90_000);
  let a: TestServer;
  let b: Peer;
  let peerPort: number;
  const env = { REGION: "us", REGIONS: "us", BOT_FILL_SEC: "0", MATCH_DURATION_SEC: "12", SNAPSHOT_INTERVAL_MS: "300" };
  const restartPeer = async () => {
    await b?.stop();
    b = await startPeer(a, { ...env, PUBLIC_ADDRESS: `127.0.0.1:${peerPort}` }, peerPort);
    return (await announcedPeers(1))[0]!;
  };

  before(async () => {
    peerPort = await processPort();
    a = await bootTestServer({
      database: "postgres",
      redis: true,
      publicAddress: true,
      env,
    });
  });
  after(async () => {
    await b?.stop();
    await a.close();
  });

  it("kill -9 of the process running a match: another claims it, restores the snapshot, the player rejoins, one result", async () => {
    const peerId = await restartPeer();
    const player = await registerPlayer(a);
    const { sessionId, seat } = await duelOn(a, peerId, player);
    assert.equal(
      (seat as { publicAddress?: string }).publicAddress,
      `127.0.0.1:${peerPort}`,
      "the match runs on the peer",
    );
    const room = await join(a, seat);
    let lastTick = 0;
    room.onStateChange((state) => {
      lastTick = (state as { tick: number }).tick;
    });
    await snapshotsTaken(a, sessionId, 3);
    assert.ok(await a.services.sessions.snapshot(sessionId, 3), "snapshots are being taken");

    const left = nextLeave(room);
    const snapshotTickAtKill = (await a.services.sessions.snapshot(sessionId))!.tick;
    const killedAt = Date.now();
    b.running.child.kill("SIGKILL");
    await left;
    const tickAtKill = lastTick;

    // Refused (not 200 within 15 s): rejoinWhenRunning rejects with the ApiError.
    const back = await rejoinWhenRunning(sessionId, player);
    const backAt = Date.now();
    const session = await jsonBody(await fetch(`${a.baseUrl}/sessions/${sessionId}`));
    assert.equal(session.serverId, matchMaker.processId, "the surviving process holds the match");
    const [row] = await a.services.db.query<{ epoch: number }>("SELECT epoch FROM game_sessions WHERE id = $1", [
      sessionId,
    ]);
    assert.equal(row!.epoch, 1);
    const restoredTick = await new Promise<number>((resolve) =>
      back.onStateChange.once((state) => resolve((state as { tick: number }).tick)),
    );
    const mine = (back.state as { players: Map<string, { playerId: string }> }).players.get(back.sessionId);
    assert.equal(mine?.playerId, player.player.id);
    const lost = Math.max(0, tickAtKill - snapshotTickAtKill);
    process.stdout.write(
      `      (back ${backAt - killedAt} ms after the kill; last snapshot at tick ${snapshotTickAtKill}, client saw tick ${tickAtKill}: at most ${lost} ticks lost)\n`,
    );
    assert.ok(lost <= 15, "at most about one snapshot interval (300 ms = 9 ticks) lost, plus a patch");
    assert.ok(restoredTick >= snapshotTickAtKill);

    const end = await back.waitForMessage("matchEnd", 30_000);
    assert.equal(end.sessionId, sessionId);
    await oneResult(a, sessionId);
  });

  it("SIGSTOP then SIGCONT: the stalled process finds itself fenced and stops; the match continues elsewhere, one result", async () => {
    const peerId = await restartPeer();
    const player = await registerPlayer(a);
    const { sessionId, seat } = await duelOn(a, peerId, player);
    const room = await join(a, seat);
    await snapshotsTaken(a, sessionId, 2);
    b.running.child.kill("SIGSTOP");
    // Wait until the surviving process has claimed the match (epoch 1), then let the stalled one run again.
    for (let i = 0; i < 100; i++) {
      const [row] = await a.services.db.query<{ epoch: number }>("SELECT epoch FROM game_sessions WHERE id = $1", [
        sessionId,
      ]);
      if (row!.epoch === 1) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const left = nextLeave(room);
    b.running.child.kill("SIGCONT");
    const code = await left;
    assert.ok([4010, 1006, 4002].includes(code), `the stalled process let the client go (${code})`);
    const [row] = await a.services.db.query<{ epoch: number; server_id: string }>(
      "SELECT epoch, server_id FROM game_sessions WHERE id = $1",
      [sessionId],
    );
    assert.equal(row!.epoch, 1);
    assert.equal(row!.server_id, matchMaker.processId);

    const back = await rejoinWhenRunning(sessionId, player);
    const end = await back.waitForMessage("matchEnd", 30_000);
    assert.equal(end.sessionId, sessionId);
    // Give the resumed process time to try (and fail) to write anything.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    await oneResult(a, sessionId);
  });

  it("SIGTERM hands the live match off: a final snapshot newer than the signal, the lease released before exit, claimed at once, the player back where it was", async () => {
    const peerId = await restartPeer();
    const player = await registerPlayer(a);
    const { sessionId, seat } = await duelOn(a, peerId, player);
    const room = await join(a, seat);
    let lastTick = 0;
    room.onStateChange((state) => {
      lastTick = (state as { tick: number }).tick;
    });
    await snapshotsTaken(a, sessionId, 2);
    // This process claims the match only when the test says so: what the peer left behind is read first.
    a.services.recovery.stop();
    try {
      const left = nextLeave(room);
      const terminatedAt = Date.now();
      b.running.child.kill("SIGTERM");
      assert.equal(await left, 4001, "closed with ServerShutdown");
      const tickAtShutdown = lastTick;
      assert.equal((await b.running.exited).code, 0, "the process exits 0");
      const exitedAt = Date.now();
      assert.ok(
        b.running.logs.some(
          (line) => line.msg === "shutting down: stopping matchmaking and recovery; handing live matches off",
        ),
      );
      assert.ok(!(await matchMaker.stats.fetchAll()).some((s) => s.processId === peerId), "no placement candidate");
      assert.ok(!(peerId in (await regionsOfProcesses())), "its region announcement is withdrawn");

      const [row] = await a.services.db.query<{ epoch: number; lease_expires_at: Date }>(
        "SELECT epoch, lease_expires_at FROM game_sessions WHERE id = $1",
        [sessionId],
      );
      assert.equal(row!.epoch, 0, "nobody claimed it yet");
      const leaseUntil = new Date(row!.lease_expires_at).getTime();
      assert.ok(
        leaseUntil < exitedAt,
        `the lease was released before the process exited (it runs ${leaseUntil - exitedAt} ms past the exit)`,
      );
      const last = (await a.services.sessions.snapshot(sessionId))!;
      assert.ok(
        last.createdAt.getTime() >= terminatedAt,
        `a final snapshot after the signal (the newest is ${terminatedAt - last.createdAt.getTime()} ms older than it)`,
      );
      assert.ok(
        last.tick >= tickAtShutdown && last.tick <= tickAtShutdown + 2,
        `the final snapshot holds the tick the match stopped at (snapshot ${last.tick}, client saw ${tickAtShutdown})`,
      );

      assert.deepEqual(await a.services.recovery.process(new Date()), [sessionId], "claimed at the first pass");
      const restored = matchMaker.getLocalRoomById(sessionId) as unknown as { state: { tick: number } };
      assert.ok(restored.state.tick >= last.tick, "restored from the final snapshot, not an older one");
      const back = await rejoinWhenRunning(sessionId, player);
      const backAt = Date.now();
      const rejoinedTick = await new Promise<number>((resolve) =>
        back.onStateChange.once((state) => resolve((state as { tick: number }).tick)),
      );
      assert.ok(rejoinedTick >= tickAtShutdown, "no rollback to an older snapshot");
      // releaseLease sets the lease to one second before the write.
      const releasedAfterMs = leaseUntil + 1000 - terminatedAt;
      process.stdout.write(
        `      (lease released ${releasedAfterMs} ms after SIGTERM, process exited after ${exitedAt - terminatedAt} ms; final snapshot tick ${last.tick}, client saw ${tickAtShutdown}; player back ${backAt - terminatedAt} ms after SIGTERM)\n`,
      );
      const end = await back.waitForMessage("matchEnd", 30_000);
      assert.equal(end.sessionId, sessionId);
      await oneResult(a, sessionId);
    } finally {
      a.services.recovery.start(RECOVERY_PASS_MS);
    }
  });

  it("SIGTERM after the match ended: the clients are closed with 4001, no final snapshot, the session stays ended, one result", async () => {
    const peerId = await restartPeer();
    const player = await registerPlayer(a);
    const { sessionId, seat } = await duelOn(a, peerId, player);
    const room = await join(a, seat);
    const end = await room.waitForMessage("matchEnd", 30_000);
    assert.equal(end.sessionId, sessionId);
    // Within the linger after matchEnd (the room would close its clients with 4105 two seconds later).
    const left = nextLeave(room);
    const terminatedAt = Date.now();
    b.running.child.kill("SIGTERM");
    assert.equal(await left, 4001);
    assert.equal((await b.running.exited).code, 0);
    const last = (await a.services.sessions.snapshot(sessionId))!;
    assert.ok(last.createdAt.getTime() < terminatedAt, "no snapshot after the end");
    assert.equal((await a.services.sessions.get(sessionId))!.status, "ended");
    await oneResult(a, sessionId);
  });
});

/** The region each process announced (RegionPlacement's hash). */
async function regionsOfProcesses(): Promise<Record<string, string>> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    return await redis.hgetall("arena:process:region");
  } finally {
    redis.disconnect();
  }
}

describe("a lone process of its region restores its matches at the next start [postgres, redis]", function () {
  this.timeout(90_000);
  let a: TestServer;
  let b: Peer;
  let peerPort: number;
  const peerEnv = {
    REGION: "us",
    REGIONS: "us,local",
    BOT_FILL_SEC: "0",
    MATCH_DURATION_SEC: "12",
    SNAPSHOT_INTERVAL_MS: "300",
  };

  before(async () => {
    peerPort = await processPort();
    // The test process serves another region, so only the peer itself may take its matches back.
    a = await bootTestServer({
      database: "postgres",
      redis: true,
      publicAddress: true,
      env: { REGION: "local", REGIONS: "local,us" },
    });
    b = await startPeer(a, { ...peerEnv, PUBLIC_ADDRESS: `127.0.0.1:${peerPort}` }, peerPort);
  });
  after(async () => {
    await b.stop();
    await a.close();
  });

  it("SIGTERM snapshots the match; the restarted process claims and restores it; the player rejoins; one result", async () => {
    const [peerId] = await announcedPeers(1, (region) => region === "us");
    const player = await registerPlayer(a);
    const { sessionId, seat } = await duelOn(a, peerId!, player);
    const room = await join(a, seat);
    await snapshotsTaken(a, sessionId, 2);
    const left = nextLeave(room);
    b.running.child.kill("SIGTERM");
    assert.equal(await left, 4001);
    assert.equal((await b.running.exited).code, 0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const meanwhile = await postJson(a, `/sessions/${sessionId}/rejoin`, {}, { token: player.accessToken });
    assert.equal(meanwhile.status, 503, "nobody runs it meanwhile");

    const restartedAt = Date.now();
    b = await startPeer(a, { ...peerEnv, PUBLIC_ADDRESS: `127.0.0.1:${peerPort}` }, peerPort);
    const back = await rejoinWhenRunning(sessionId, player);
    assert.equal(addressOf(back), `127.0.0.1:${peerPort}`, "restored on the restarted process: the seat leads there");
    process.stdout.write(`      (player back ${Date.now() - restartedAt} ms after the restart began)\n`);
    const end = await back.waitForMessage("matchEnd", 30_000);
    assert.equal(end.sessionId, sessionId);
    await oneResult(a, sessionId);
  });
});
