/**
 * Crash recovery: a process holding a live match is killed (SIGKILL); a process of the same region claims the
 * orphaned session under a new epoch, recreates the arena from its latest snapshot, and the player gets back in
 * through POST /sessions/:id/rejoin. The match then ends with exactly one result.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { ColyseusSDK, type Room as ClientRoom } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { PORT } from "../helpers/childServer.ts";
import { nextLeave, type Peer, startPeer } from "../helpers/peer.ts";
import {
  bootTestServer,
  jsonBody,
  postJson,
  registerPlayer,
  TEST_PORT,
  TEST_REDIS_URL,
  type TestServer,
} from "../helpers/server.ts";

describe("crash recovery [postgres, redis]", function () {
  this.timeout(90_000);
  let a: TestServer;
  let b: Peer;
  const env = { REGION: "us", REGIONS: "us", BOT_FILL_SEC: "0", MATCH_DURATION_SEC: "12", SNAPSHOT_INTERVAL_MS: "300" };

  before(async () => {
    a = await bootTestServer({
      database: "postgres",
      redis: true,
      env: { ...env, PUBLIC_ADDRESS: `127.0.0.1:${TEST_PORT}` },
    });
    b = await startPeer(a, { ...env, PUBLIC_ADDRESS: `127.0.0.1:${PORT}` });
  });
  after(async () => {
    await b.stop();
    await a.close();
  });

  it("kill -9 of the process running a match: another claims it, restores the snapshot, the player rejoins, one result", async () => {
    const redis = new Redis(TEST_REDIS_URL);
    let peerId: string | undefined;
    for (let i = 0; i < 50 && peerId === undefined; i++) {
      const regions = await redis.hgetall("arena:process:region");
      peerId = Object.keys(regions).find((id) => id !== matchMaker.processId);
      if (peerId === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    redis.disconnect();
    assert.ok(peerId, "the peer announced itself");

    const player = await registerPlayer(a);
    const launched = await a.services.arenas.launch({
      mode: "duel",
      region: "us",
      placeOn: peerId,
      roster: [
        { playerId: player.player.id, username: player.player.username, team: 0, bot: false },
        { playerId: "bot:1", username: "bot 1", team: 1, bot: true },
      ],
    });
    const seat = launched.seats.get(player.player.id)!;
    assert.equal((seat as { publicAddress?: string }).publicAddress, `127.0.0.1:${PORT}`, "the match runs on the peer");
    const room: ClientRoom = await new ColyseusSDK(`ws://127.0.0.1:${TEST_PORT}`).consumeSeatReservation(seat);
    room.onMessage("*", () => {});
    room.reconnection.enabled = false;
    let lastTick = 0;
    room.onStateChange((state: { tick: number }) => {
      lastTick = state.tick;
    });
    const sessionId = launched.sessionId;
    const deadline = Date.now() + 15_000;
    while ((await a.services.sessions.snapshot(sessionId, 3)) === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(await a.services.sessions.snapshot(sessionId, 3), "snapshots are being taken");

    const left = nextLeave(room);
    const snapshotTickAtKill = (await a.services.sessions.snapshot(sessionId))!.tick;
    const killedAt = Date.now();
    b.running.child.kill("SIGKILL");
    await left;
    const tickAtKill = lastTick;

    // The player asks to rejoin until the match runs again somewhere.
    let answer: Response;
    for (;;) {
      answer = await postJson(a, `/sessions/${sessionId}/rejoin`, {}, { token: player.accessToken });
      if (answer.status !== 503 || Date.now() - killedAt > 20_000) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(answer.status, 200);
    const back = await new ColyseusSDK(`ws://127.0.0.1:${TEST_PORT}`).consumeSeatReservation(
      (await jsonBody(answer)).seat,
    );
    back.onMessage("*", () => {});
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
    const results = await a.services.db.query("SELECT 1 FROM match_results WHERE session_id = $1", [sessionId]);
    assert.equal(results.length, 1, "exactly one result");
  });

  it("SIGSTOP then SIGCONT: the stalled process finds itself fenced and stops; the match continues elsewhere, one result", async () => {
    await b.stop();
    b = await startPeer(a, { ...env, PUBLIC_ADDRESS: `127.0.0.1:${PORT}` });
    const redis = new Redis(TEST_REDIS_URL);
    let peerId: string | undefined;
    for (let i = 0; i < 50; i++) {
      const regions = await redis.hgetall("arena:process:region");
      const stats = await matchMaker.stats.fetchAll();
      peerId = Object.keys(regions).find((id) => id !== matchMaker.processId && stats.some((s) => s.processId === id));
      if (peerId !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    redis.disconnect();
    assert.ok(peerId);
    const player = await registerPlayer(a);
    const launched = await a.services.arenas.launch({
      mode: "duel",
      region: "us",
      placeOn: peerId,
      roster: [
        { playerId: player.player.id, username: player.player.username, team: 0, bot: false },
        { playerId: "bot:1", username: "bot 1", team: 1, bot: true },
      ],
    });
    const sessionId = launched.sessionId;
    const room = await new ColyseusSDK(`ws://127.0.0.1:${TEST_PORT}`).consumeSeatReservation(
      launched.seats.get(player.player.id)!,
    );
    room.onMessage("*", () => {});
    room.reconnection.enabled = false;
    const deadline = Date.now() + 15_000;
    while ((await a.services.sessions.snapshot(sessionId, 2)) === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
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

    let answer: Response;
    for (let i = 0; ; i++) {
      answer = await postJson(a, `/sessions/${sessionId}/rejoin`, {}, { token: player.accessToken });
      if (answer.status !== 503 || i > 40) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(answer.status, 200);
    const back = await new ColyseusSDK(`ws://127.0.0.1:${TEST_PORT}`).consumeSeatReservation(
      (await jsonBody(answer)).seat,
    );
    back.onMessage("*", () => {});
    const end = await back.waitForMessage("matchEnd", 30_000);
    assert.equal(end.sessionId, sessionId);
    // Give the resumed process time to try (and fail) to write anything.
    await new Promise((resolve) => setTimeout(resolve, 1500));
    const results = await a.services.db.query("SELECT 1 FROM match_results WHERE session_id = $1", [sessionId]);
    assert.equal(results.length, 1, "exactly one result: the fenced process wrote none");
  });

  it("SIGTERM hands the live match off: the process exits 0, another continues the match, the player rejoins", async () => {
    await b.stop();
    b = await startPeer(a, { ...env, PUBLIC_ADDRESS: `127.0.0.1:${PORT}` });
    const redis = new Redis(TEST_REDIS_URL);
    let peerId: string | undefined;
    for (let i = 0; i < 50; i++) {
      const regions = await redis.hgetall("arena:process:region");
      const stats = await matchMaker.stats.fetchAll();
      peerId = Object.keys(regions).find((id) => id !== matchMaker.processId && stats.some((s) => s.processId === id));
      if (peerId !== undefined) break;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    redis.disconnect();
    assert.ok(peerId);
    const player = await registerPlayer(a);
    const launched = await a.services.arenas.launch({
      mode: "duel",
      region: "us",
      placeOn: peerId,
      roster: [
        { playerId: player.player.id, username: player.player.username, team: 0, bot: false },
        { playerId: "bot:1", username: "bot 1", team: 1, bot: true },
      ],
    });
    const sessionId = launched.sessionId;
    const room = await new ColyseusSDK(`ws://127.0.0.1:${TEST_PORT}`).consumeSeatReservation(
      launched.seats.get(player.player.id)!,
    );
    room.onMessage("*", () => {});
    room.reconnection.enabled = false;
    await new Promise<void>((resolve) => {
      const check = (state: unknown) => {
        if ((state as { phase?: string }).phase !== "active") return;
        room.onStateChange.remove(check);
        resolve();
      };
      room.onStateChange(check);
    });
    const left = nextLeave(room);
    const terminatedAt = Date.now();
    b.running.child.kill("SIGTERM");
    assert.equal(await left, 4001, "closed with ServerShutdown");
    assert.equal((await b.running.exited).code, 0, "the process exits 0");

    let answer: Response;
    for (let i = 0; ; i++) {
      answer = await postJson(a, `/sessions/${sessionId}/rejoin`, {}, { token: player.accessToken });
      if (answer.status !== 503 || i > 40) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(answer.status, 200);
    const back = await new ColyseusSDK(`ws://127.0.0.1:${TEST_PORT}`).consumeSeatReservation(
      (await jsonBody(answer)).seat,
    );
    back.onMessage("*", () => {});
    process.stdout.write(`      (player back ${Date.now() - terminatedAt} ms after SIGTERM)\n`);
    const end = await back.waitForMessage("matchEnd", 30_000);
    assert.equal(end.sessionId, sessionId);
    const results = await a.services.db.query("SELECT 1 FROM match_results WHERE session_id = $1", [sessionId]);
    assert.equal(results.length, 1);
  });
});

describe("a lone process of its region restores its matches at the next start [postgres, redis]", function () {
  this.timeout(90_000);
  let a: TestServer;
  let b: Peer;
  const peerEnv = {
    REGION: "us",
    REGIONS: "us,local",
    BOT_FILL_SEC: "0",
    MATCH_DURATION_SEC: "12",
    SNAPSHOT_INTERVAL_MS: "300",
  };

  before(async () => {
    // The test process serves another region, so only the peer itself may take its matches back.
    a = await bootTestServer({
      database: "postgres",
      redis: true,
      env: { REGION: "local", REGIONS: "local,us", PUBLIC_ADDRESS: `127.0.0.1:${TEST_PORT}` },
    });
    b = await startPeer(a, { ...peerEnv, PUBLIC_ADDRESS: `127.0.0.1:${PORT}` });
  });
  after(async () => {
    await b.stop();
    await a.close();
  });

  it("SIGTERM snapshots the match; the restarted process claims and restores it; the player rejoins; one result", async () => {
    const redis = new Redis(TEST_REDIS_URL);
    let peerId: string | undefined;
    for (let i = 0; i < 50 && peerId === undefined; i++) {
      const regions = await redis.hgetall("arena:process:region");
      peerId = Object.keys(regions).find((id) => regions[id] === "us");
      if (peerId === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    redis.disconnect();
    assert.ok(peerId);
    const player = await registerPlayer(a);
    const launched = await a.services.arenas.launch({
      mode: "duel",
      region: "us",
      placeOn: peerId,
      roster: [
        { playerId: player.player.id, username: player.player.username, team: 0, bot: false },
        { playerId: "bot:1", username: "bot 1", team: 1, bot: true },
      ],
    });
    const sessionId = launched.sessionId;
    const room = await new ColyseusSDK(`ws://127.0.0.1:${TEST_PORT}`).consumeSeatReservation(
      launched.seats.get(player.player.id)!,
    );
    room.onMessage("*", () => {});
    room.reconnection.enabled = false;
    const deadline = Date.now() + 15_000;
    while ((await a.services.sessions.snapshot(sessionId, 2)) === undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    const left = nextLeave(room);
    b.running.child.kill("SIGTERM");
    assert.equal(await left, 4001);
    assert.equal((await b.running.exited).code, 0);
    await new Promise((resolve) => setTimeout(resolve, 1500));
    assert.equal(
      (await postJson(a, `/sessions/${sessionId}/rejoin`, {}, { token: player.accessToken })).status,
      503,
      "nobody runs it meanwhile",
    );

    const restartedAt = Date.now();
    b = await startPeer(a, { ...peerEnv, PUBLIC_ADDRESS: `127.0.0.1:${PORT}` });
    let answer: Response;
    for (let i = 0; ; i++) {
      answer = await postJson(a, `/sessions/${sessionId}/rejoin`, {}, { token: player.accessToken });
      if (answer.status !== 503 || i > 60) break;
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
    assert.equal(answer.status, 200);
    const seat = (await jsonBody(answer)).seat;
    assert.equal(seat.publicAddress, `127.0.0.1:${PORT}`, "restored on the restarted process");
    const back = await new ColyseusSDK(`ws://127.0.0.1:${TEST_PORT}`).consumeSeatReservation(seat);
    back.onMessage("*", () => {});
    process.stdout.write(`      (player back ${Date.now() - restartedAt} ms after the restart began)\n`);
    const end = await back.waitForMessage("matchEnd", 30_000);
    assert.equal(end.sessionId, sessionId);
    const results = await a.services.db.query("SELECT 1 FROM match_results WHERE session_id = $1", [sessionId]);
    assert.equal(results.length, 1);
  });
});
