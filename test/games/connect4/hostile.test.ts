/**
 * Connect Four attacked by its players and its operator, on real PostgreSQL and Redis: leaving and rejoining in
 * every order (a forfeit hits whoever left for good, never a seat a rejoin took over), and an admin rollback after a
 * rejoin changed a seat's connection.
 */
import assert from "node:assert/strict";
import type { Room as ClientRoom } from "@colyseus/sdk";
import type { Connect4Room } from "../../../src/games/connect4/Connect4Room.ts";
import type { Connect4Protocol } from "../../../src/games/connect4/protocol.ts";
import {
  type AnyState,
  type Duel,
  matchDuel,
  nextLeave,
  pieces,
  playColumns,
  search,
  seatOf,
  waitForState,
} from "../../helpers/connect4.ts";
import {
  ADMIN_PASSWORD,
  bootTestServer,
  jsonBody,
  postJson,
  registerPlayer,
  sdkFor,
  type TestServer,
} from "../../helpers/server.ts";

const basic = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}` };

describe("connect4: hostile players and unlucky operators [postgres, redis]", function () {
  this.timeout(90_000);
  let server: TestServer;
  before(async () => {
    server = await bootTestServer({
      database: "postgres",
      redis: true,
      env: { BOT_FILL_SEC: "0", TURN_TIME_SEC: "30" },
    });
  });
  after(() => server.close());
  afterEach(() => server.colyseus.cleanup());

  /** Cuts a client's socket without a close handshake, as a lost network does; resolves once the room saw it. */
  async function dropConnection(room: ClientRoom): Promise<void> {
    room.reconnection.enabled = false;
    const serverRoom = server.colyseus.getRoomById(room.roomId) as Connect4Room;
    const dropped = nextLeave(room);
    const client = serverRoom.clients.find((c) => c.sessionId === room.sessionId)!;
    (client.ref as unknown as { terminate(): void }).terminate();
    await dropped;
  }

  /** The player of seat `seat` drops and comes back through POST /sessions/:id/rejoin: a new connection. */
  async function rejoinSeat(duel: Duel, seat: 1 | 2): Promise<Duel> {
    await dropConnection(duel.bySeat[seat - 1]);
    const player = duel.players[seat - 1];
    const old = duel.bySeat[seat - 1];
    // The SDK's rejoin: POST /sessions/:id/rejoin (refused: it rejects with the ApiError), then the new seat.
    const back = (await player.arena.rejoin<Connect4Protocol>(duel.sessionId)).room as ClientRoom;
    assert.equal(back.roomId, duel.sessionId, "the same match");
    assert.notEqual(back.sessionId, old.sessionId, "a new connection");
    await waitForState(back, (s) => s?.players?.get(back.sessionId)?.connected === true);
    const bySeat: [ClientRoom, ClientRoom] = seat === 1 ? [back, duel.bySeat[1]] : [duel.bySeat[0], back];
    return { ...duel, bySeat };
  }

  it("a rollback to a snapshot taken before a rejoin leaves the rejoined player in its seat, able to move", async () => {
    let duel = await matchDuel(server);
    await playColumns(duel, [0, 1]);
    // The snapshot with two moves (writes land a moment after each move; the very first may race the session row).
    let version = 0;
    for (const deadline = Date.now() + 5_000; version === 0 && Date.now() < deadline; ) {
      for (let v = 1; v <= 20; v++) {
        const record = await server.services.sessions.snapshot(duel.sessionId, v);
        if (record !== undefined && JSON.parse(record.state.toString()).payload.game.moves.length === 2) version = v;
      }
      if (version === 0) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(version > 0, "a snapshot with two moves was stored");
    duel = await rejoinSeat(duel, 1);
    await playColumns(duel, [2, 3]);
    const res = await postJson(server, `/admin/sessions/${duel.sessionId}/rollback`, { version }, { headers: basic });
    assert.equal(res.status, 200);
    const [one, two] = duel.bySeat;
    const state = await waitForState(one, (s) => pieces(s) === 2);
    const mine = state.players.get(one.sessionId);
    assert.equal(mine?.seat, 1, "the rejoined connection still holds seat 1");
    assert.equal(mine?.connected, true);
    assert.equal(state.players.size, 2);
    // Seat 1 moves on from the rolled-back board; then a consented leave of seat 1 still forfeits.
    await playColumns(duel, [6]);
    assert.equal((two.state as AnyState).board[41], 1);
    const end = two.waitForMessage("matchEnd", 10_000) as Promise<{ results: AnyState[] }>;
    await one.leave(true);
    const outcomes = new Map((await end).results.map((row) => [row.playerId, row.outcome]));
    assert.equal(outcomes.get(duel.players[0].player.id), "loss", "seat 1 left for good: it forfeits");
    assert.equal(outcomes.get(duel.players[1].player.id), "win");
  });

  it("the old connection of a rejoined player does not forfeit for it; a consented leave does", async () => {
    let duel = await matchDuel(server);
    await playColumns(duel, [3]);
    duel = await rejoinSeat(duel, 2);
    // The old connection's reconnection seat was withdrawn when the new one took over: the game goes on.
    await new Promise((resolve) => setTimeout(resolve, 300));
    const room = server.colyseus.getRoomById(duel.sessionId) as Connect4Room;
    assert.equal(room.state.phase, "active");
    await playColumns(duel, [3, 4]);
    const end = duel.bySeat[0].waitForMessage("matchEnd", 10_000) as Promise<{ results: AnyState[] }>;
    await duel.bySeat[1].leave(true);
    const outcomes = new Map((await end).results.map((row) => [row.playerId, row.outcome]));
    assert.equal(outcomes.get(duel.players[1].player.id), "loss");
    assert.equal(outcomes.get(duel.players[0].player.id), "win");
  });

  it("no room request gets a connect4 seat: create, joinOrCreate, join and joinById are refused 403", async () => {
    const duel = await matchDuel(server);
    const outsider = await registerPlayer(server);
    for (const [how, path] of [
      ["create", "/matchmake/create/connect4"],
      ["joinOrCreate", "/matchmake/joinOrCreate/connect4"],
      ["join", "/matchmake/join/connect4"],
      ["joinById", `/matchmake/joinById/${duel.sessionId}`],
    ] as const) {
      for (const who of [outsider, duel.players[0]]) {
        const res = await postJson(server, path, { mode: "duel" }, { token: who.accessToken });
        assert.equal(res.status, 403, `${how}: ${JSON.stringify(await jsonBody(res))}`);
      }
    }
  });

  it("matchmaking refuses 400 a game that is no registered id (prototype names, other types, huge) or a mode it lacks", async () => {
    const player = await registerPlayer(server);
    const bad: unknown[] = [
      { game: "__proto__", mode: "duel" },
      { game: "constructor", mode: "duel" },
      { game: "toString", mode: "duel" },
      { game: "hasOwnProperty", mode: "duel" },
      { game: 42, mode: "duel" },
      { game: ["connect4"], mode: "duel" },
      { game: { id: "connect4" }, mode: "duel" },
      { game: null, mode: "duel" },
      { game: "c".repeat(100_000), mode: "duel" },
      { game: "connect4", mode: "ffa" },
      { game: "connect4", mode: "squad" },
      { game: "connect4", mode: "__proto__" },
      { game: "connect4", mode: "toString" },
      { game: "connect4" },
    ];
    for (const options of bad) {
      const res = await postJson(server, "/matchmake/joinOrCreate/matchmaking", options, {
        token: player.accessToken,
      });
      const body = await jsonBody(res).catch(() => undefined);
      assert.equal(
        res.status,
        res.status === 413 ? 413 : 400,
        `${JSON.stringify(options).slice(0, 80)}: ${res.status}`,
      );
      assert.ok(res.status === 413 || body?.error?.code === "INVALID_INPUT", JSON.stringify(body).slice(0, 200));
    }
  });

  it("metrics tell Connect Four's matches apart: rooms, clients and snapshot time labelled connect4", async () => {
    const duel = await matchDuel(server);
    await playColumns(duel, [0, 1]);
    const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
    const sample = (name: string, label: string) =>
      Number(
        text
          .split("\n")
          .find((line) => line.startsWith(`${name}{`) && line.includes(label))
          ?.split(" ")
          .pop(),
      );
    assert.equal(sample("arena_rooms", 'type="connect4"'), 1);
    assert.equal(sample("arena_ccu", 'room="connect4"'), 2);
    assert.ok(sample("arena_snapshot_duration_seconds_count", 'room="connect4"') >= 3, "a snapshot after each move");
  });
});

describe("connect4: rollback to before the start [postgres, redis]", function () {
  this.timeout(90_000);
  let server: TestServer;
  before(async () => {
    server = await bootTestServer({
      database: "postgres",
      redis: true,
      env: { BOT_FILL_SEC: "0", TURN_TIME_SEC: "30", SNAPSHOT_INTERVAL_MS: "100" },
    });
  });
  after(() => server.close());
  afterEach(() => server.colyseus.cleanup());

  it("a rollback to a snapshot taken while the room waited for its players is refused; the game goes on", async () => {
    const players = [await registerPlayer(server), await registerPlayer(server)] as const;
    const searching = await Promise.all(players.map((p) => search(server, p, { game: "connect4", mode: "duel" })));
    const seats = await Promise.all(searching.map((room) => room.waitForMessage("seat", 15_000)));
    const rooms: ClientRoom[] = [];
    for (const [i, seat] of seats.entries()) {
      // Raw seats, not findMatch: the second seat is taken late on purpose, which the SDK (it takes a seat at once)
      // cannot do. The second player takes a moment to load: the room snapshots its waiting phase meanwhile.
      if (i === 1) await new Promise((resolve) => setTimeout(resolve, 400));
      const room = await sdkFor(server, players[i]!.accessToken).consumeSeatReservation(seat as never);
      room.onMessage("*", () => {});
      rooms.push(room);
    }
    await Promise.all(rooms.map((room) => waitForState(room, (s) => s.phase === "active" && s.players.size === 2)));
    const first = seatOf(rooms[0]!) === 1 ? 0 : 1;
    const duel: Duel = {
      sessionId: rooms[0]!.roomId,
      bySeat: [rooms[first]!, rooms[1 - first]!],
      players: [players[first]!, players[1 - first]!],
    };
    const record = await server.services.sessions.snapshot(duel.sessionId, 1);
    assert.equal(JSON.parse(record!.state.toString()).payload.phase, "waiting", "snapshot 1 shows the waiting room");
    await playColumns(duel, [0]);
    const res = await postJson(
      server,
      `/admin/sessions/${duel.sessionId}/rollback`,
      { version: 1 },
      { headers: basic },
    );
    assert.notEqual(res.status, 200, "nothing can be played from a room still waiting for its players");
    assert.match((await jsonBody(res)).error.message, /before the game started/);
    await playColumns(duel, [1, 0]);
    assert.equal((duel.bySeat[0].state as AnyState).phase, "active");
    assert.equal(pieces(duel.bySeat[0].state), 3);
  });
});
