/**
 * What a recovery pass may claim, on real PostgreSQL and Redis with a real peer process: a lapsed lease alone is
 * not enough (the database may have been away); the owner must be gone. A match whose result is journaled ended
 * and is never restored; after the database was away nothing is claimed for a lease period; a session end that
 * could not be written is retried until it lands.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { ColyseusSDK, type Room as ClientRoom } from "@colyseus/sdk";
import { PgDatabase } from "../../src/services/db/PgDatabase.ts";
import type { MatchResult } from "../../src/services/matches/MatchResults.ts";
import { type RecoveryOptions, RecoveryService } from "../../src/services/sessions/RecoveryService.ts";
import { SESSION_LEASE_MS, SessionService } from "../../src/services/sessions/SessionService.ts";
import { SqlGameSessionStore } from "../../src/services/stores/GameSessionStore.ts";
import { SqlPlayerStore } from "../../src/services/stores/PlayerStore.ts";
import { testLogger } from "../helpers/logger.ts";
import { type Peer, startPeer } from "../helpers/peer.ts";
import { freePort } from "../helpers/ports.ts";
import { announcedPeers, duelOn } from "../helpers/recovery.ts";
import { bootTestServer, leaveQuietly, registerPlayer, type TestServer } from "../helpers/server.ts";
import { TcpProxy } from "../helpers/tcpProxy.ts";

const ENV = { REGION: "us", REGIONS: "us,zz", BOT_FILL_SEC: "0", MATCH_DURATION_SEC: "60" };
/** A region no process serves: sessions made there are seen only by the recovery service a test builds. */
const NOBODY = "zz";

describe("recovery decisions [postgres, redis]", function () {
  this.timeout(60_000);
  let a: TestServer;
  let peer: Peer | undefined;
  const rooms: ClientRoom[] = [];

  before(async () => {
    a = await bootTestServer({
      database: "postgres",
      redis: true,
      publicAddress: true,
      env: ENV,
    });
    // The test runs the passes itself, with its own clock.
    a.services.recovery.stop();
  });
  after(async () => {
    for (const room of rooms) await leaveQuietly(room);
    await peer?.stop();
    await a.close();
  });

  const row = async (id: string) =>
    (
      await a.services.db.query<{ epoch: number; status: string; server_id: string | null }>(
        "SELECT epoch, status, server_id FROM game_sessions WHERE id = $1",
        [id],
      )
    )[0];

  /** A recovery service of this suite's region (NOBODY) over `a`'s stores; `overrides` replace what a case changes. */
  const recoveryWith = (overrides: Partial<RecoveryOptions>) =>
    new RecoveryService({
      sessions: a.services.stores.sessions,
      players: a.services.stores.players,
      signer: a.services.matchSigner,
      defaultGame: "arena",
      isGame: (gameId) => a.services.games.get(gameId) !== undefined,
      region: NOBODY,
      log: testLogger,
      isAlive: (processId) => a.services.placement.isAlive(processId),
      journaledSessions: async () => new Set(),
      endPending: () => false,
      ...overrides,
    });

  const orphanRow = (id: string, serverId: string, playerIds: string[] = []) =>
    a.services.stores.sessions.create({
      id,
      gameType: "arena",
      mode: "duel",
      region: NOBODY,
      serverId,
      leaseUntil: new Date(Date.now() - 60_000),
      players: playerIds.map((playerId) => ({ playerId, username: playerId, team: 0, bot: false })),
    });

  it("however lapsed their leases, live matches are not claimed: not another live process' match, not this process' own", async () => {
    const port = await freePort();
    peer = await startPeer(a, { ...ENV, PUBLIC_ADDRESS: `127.0.0.1:${port}` }, port);
    const [peerId] = await announcedPeers(1);
    const matches = [];
    for (const processId of [peerId!, matchMaker.processId]) {
      const player = await registerPlayer(a);
      const duel = await duelOn(a, processId, player);
      const room = await new ColyseusSDK(`ws://${a.address}`).consumeSeatReservation(duel.seat);
      room.onMessage("*", () => {});
      room.reconnection.enabled = false;
      rooms.push(room);
      matches.push(duel.sessionId);
    }
    // An hour from now every lease has lapsed, as after a long database outage.
    const recovered = await a.services.recovery.process(new Date(Date.now() + 3_600_000));
    assert.deepEqual(recovered, []);
    const [onPeer, here] = [await row(matches[0]!), await row(matches[1]!)];
    assert.deepEqual([onPeer?.epoch, onPeer?.server_id], [0, peerId], "the peer keeps its match");
    assert.deepEqual([here?.epoch, here?.server_id], [0, matchMaker.processId], "this process keeps its own match");
    assert.equal(
      rooms.every((room) => room.connection.isOpen),
      true,
      "nobody was closed",
    );
  });

  it("a gone owner's match is claimed; a match whose result is journaled is ended, never restored", async () => {
    const service = recoveryWith({
      journaledSessions: () => a.services.results.journaledSessions(),
      endPending: (sessionId) => a.services.sessions.endPending(sessionId),
    });
    const player = await registerPlayer(a);
    const gone = `gone-${Date.now()}`;
    const finished = `finished-${Date.now()}`;
    await orphanRow(gone, "a-process-that-died");
    await orphanRow(finished, "another-process-that-died", [player.player.id]);
    await a.services.stores.players.setCurrentSession([player.player.id], finished);
    a.services.results.stop();
    try {
      const result: MatchResult = {
        sessionId: finished,
        mode: "duel",
        region: NOBODY,
        seed: 1,
        durationMs: 1,
        startedAt: Date.now() - 1,
        endedAt: Date.now(),
        rated: false,
        epoch: 0,
        players: [],
      };
      await a.services.results.journal.append(result);
      await service.process(new Date());
      const claimed = await row(gone);
      assert.deepEqual(
        [claimed?.epoch, claimed?.server_id, claimed?.status],
        [1, matchMaker.processId, "ended"],
        "claimed (and, with no snapshot, ended)",
      );
      const ended = await row(finished);
      assert.deepEqual([ended?.epoch, ended?.status], [0, "ended"], "ended without a claim: its result still counts");
      assert.equal((await a.services.stores.players.findById(player.player.id))?.currentSessionId, null);
      assert.equal(await a.services.results.drain(), 1, "the journaled result is written, not refused");
    } finally {
      a.services.results.start(2_000);
    }
  });

  it("after the database was away, owners get a lease period to re-assert before anything is claimed", async () => {
    const proxy = new TcpProxy("127.0.0.1", Number(new URL(a.config.databaseUrl!).port));
    await proxy.start();
    const url = new URL(a.config.databaseUrl!);
    url.port = String(proxy.port);
    const db = new PgDatabase({ connectionString: url.toString(), connectTimeoutMs: 500 }, testLogger);
    try {
      const service = recoveryWith({
        sessions: new SqlGameSessionStore(db),
        players: new SqlPlayerStore(db),
      });
      const id = `lapsed-${Date.now()}`;
      await orphanRow(id, "a-process-that-died");
      await proxy.cut();
      await assert.rejects(service.process(new Date()), "the database is away");
      await proxy.restore();
      const back = Date.now();
      await service.process(new Date(back));
      await service.process(new Date(back + SESSION_LEASE_MS - 1));
      assert.equal((await row(id))?.epoch, 0, "nothing claimed within a lease period of the database's return");
      await service.process(new Date(back + SESSION_LEASE_MS));
      assert.equal((await row(id))?.epoch, 1, "claimed once the owners had their lease period");
    } finally {
      await db.close();
      await proxy.stop();
    }
  });

  it("a session end that could not be written is kept (its match is not an orphan), and written when the database is back", async () => {
    const proxy = new TcpProxy("127.0.0.1", Number(new URL(a.config.databaseUrl!).port));
    await proxy.start();
    const url = new URL(a.config.databaseUrl!);
    url.port = String(proxy.port);
    const db = new PgDatabase({ connectionString: url.toString(), connectTimeoutMs: 500 }, testLogger);
    try {
      const sessions = new SessionService(new SqlGameSessionStore(db), new SqlPlayerStore(db), testLogger);
      const player = await registerPlayer(a);
      const id = `ending-${Date.now()}`;
      await orphanRow(id, matchMaker.processId, [player.player.id]);
      await a.services.stores.players.setCurrentSession([player.player.id], id);
      await proxy.cut();
      await sessions.ended(id, [player.player.id], new Date());
      assert.equal(sessions.endPending(id), true, "the end is kept");
      await assert.rejects(sessions.process(), "still away");
      assert.equal((await row(id))?.status, "waiting");
      // This process' own recovery pass (its database reachable) does not take the ended match for an orphan.
      const recovery = recoveryWith({
        endPending: (sessionId) => sessions.endPending(sessionId),
      });
      await recovery.process(new Date());
      assert.equal((await row(id))?.epoch, 0, "not claimed by its own process");
      await proxy.restore();
      assert.equal(await sessions.process(), 1);
      assert.equal(sessions.endPending(id), false);
      assert.equal((await row(id))?.status, "ended");
      assert.equal((await a.services.stores.players.findById(player.player.id))?.currentSessionId, null);
    } finally {
      await db.close();
      await proxy.stop();
    }
  });
  it("a match that cannot be restored (its game is not registered, or its room refuses the snapshot) is ended, not claimed at every pass", async () => {
    const service = recoveryWith({});
    const player = await registerPlayer(a);
    const spec = { sessionId: "", game: "", mode: "duel", region: NOBODY, seed: 1, roster: [] };
    const cases = [
      { id: `retired-${Date.now()}`, game: "a-retired-game", payload: {} },
      // A Connect Four board that is not a legal game: the room's restore refuses it.
      { id: `corrupt-${Date.now()}`, game: "connect4", payload: { game: { format: 1, moves: [9] } } },
    ];
    for (const { id, game, payload } of cases) {
      await orphanRow(id, "a-process-that-died", [player.player.id]);
      const envelope = { envelope: 1, game, spec: { ...spec, sessionId: id, game }, seats: [], format: 1, payload };
      await a.services.stores.sessions.saveSnapshot(
        { sessionId: id, version: 1, tick: 1, state: Buffer.from(JSON.stringify(envelope)) },
        0,
      );
    }
    await a.services.stores.players.setCurrentSession([player.player.id], cases[0]!.id);
    assert.deepEqual(await service.process(new Date()), [], "nothing restored");
    for (const { id } of cases) {
      assert.equal((await row(id))?.status, "ended", `${id} ended`);
    }
    assert.equal((await a.services.stores.players.findById(player.player.id))?.currentSessionId, null);
    const epochs = await Promise.all(cases.map(async ({ id }) => (await row(id))?.epoch));
    assert.deepEqual(await service.process(new Date(Date.now() + 60_000)), []);
    assert.deepEqual(
      await Promise.all(cases.map(async ({ id }) => (await row(id))?.epoch)),
      epochs,
      "not claimed again",
    );
  });
});
