/**
 * Connect Four's crash recovery with real server processes on the test's PostgreSQL and Redis: the process hosting
 * a game is killed (SIGKILL) or stopped (SIGTERM) a few moves in; the test process (same region) claims the match,
 * restores the board from its snapshot (same cells, same turn), both players come back through
 * POST /sessions/:id/rejoin, play on to a win, and the match ends with one result rated under `connect4`.
 *
 * Periodic snapshots are set far apart (SNAPSHOT_INTERVAL_MS 60 s) so that what the match continues from is what the
 * game stores after each move and, at SIGTERM, the hand-off's final snapshot: nothing else could mask their absence.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import type { Room as ClientRoom } from "@colyseus/sdk";
import type { Connect4Payload } from "../../../src/games/connect4/Connect4Room.ts";
import { CloseCode } from "../../../src/protocol.ts";
import type { SnapshotEnvelope } from "../../../src/rooms/MatchRoom.ts";
import { RECOVERY_PASS_MS } from "../../../src/services/createServices.ts";
import type { MatchResult } from "../../../src/services/matches/MatchResults.ts";
import { SESSION_LEASE_MS } from "../../../src/services/sessions/SessionService.ts";
import { processPort } from "../../helpers/childServer.ts";
import { nextLeave, type Peer, startPeer } from "../../helpers/peer.ts";
import { addressOf, announcedPeers, rejoinWhenRunning } from "../../helpers/recovery.ts";
import {
  bootTestServer,
  jsonBody,
  type Registered,
  registerPlayer,
  sdkFor,
  type TestServer,
} from "../../helpers/server.ts";
import { type AnyState, waitForState } from "../../helpers/state.ts";

/** A game in progress: the players and their clients, both by seat ([seat 1, seat 2]). */
interface Duel {
  sessionId: string;
  players: [Registered, Registered];
  rooms: [ClientRoom, ClientRoom];
}

/** Takes a seat (on whichever process its publicAddress names); the SDK's own reconnection is off. */
async function join(server: TestServer, seat: unknown): Promise<ClientRoom> {
  const room = await sdkFor(server).consumeSeatReservation(seat as never);
  room.onMessage("*", () => {});
  room.reconnection.enabled = false;
  return room;
}

const pieces = (state: AnyState): number => state.board.filter((cell: number) => cell !== 0).length;
const seatOf = (room: ClientRoom): number => (room.state as AnyState).players.get(room.sessionId).seat;
/** The board as the client shows it, bottom row last (cell 35 is column 0 of the bottom row). */
const boardOf = (room: ClientRoom): number[] => [...(room.state as AnyState).board];

/** Two players in a Connect Four duel created on `processId` (the peer at `peerAddress`); both take their seats there. */
async function duelOn(server: TestServer, processId: string, peerAddress: string): Promise<Duel> {
  const players = (await Promise.all([registerPlayer(server), registerPlayer(server)])) as [Registered, Registered];
  const launched = await server.services.launcher.launch({
    game: "connect4",
    mode: "duel",
    region: "us",
    placeOn: processId,
    roster: players.map((p, team) => ({ playerId: p.player.id, username: p.player.username, team, bot: false })),
  });
  const seats = players.map((p) => launched.seats.get(p.player.id)!);
  for (const seat of seats) {
    assert.equal((seat as { publicAddress?: string }).publicAddress, peerAddress, "the match runs on the peer");
  }
  const rooms = await Promise.all(seats.map((seat) => join(server, seat)));
  assert.equal(rooms[0]!.name, "connect4");
  await Promise.all(rooms.map((room) => waitForState(room, (s) => s.phase === "active" && s.players.size === 2)));
  const first = seatOf(rooms[0]!) === 1 ? 0 : 1;
  return {
    sessionId: launched.sessionId,
    players: [players[first]!, players[1 - first]!],
    rooms: [rooms[first]!, rooms[1 - first]!],
  };
}

/**
 * Plays `columns` alternately from the seat to move, each once both clients showed the previous one (paced: the room
 * kicks a client past 10 messages a second).
 */
async function playColumns(duel: Duel, columns: readonly number[]): Promise<void> {
  const base = pieces(duel.rooms[0].state);
  const firstSeat = (duel.rooms[0].state as AnyState).turn as number;
  for (const [i, column] of columns.entries()) {
    const seat = ((firstSeat - 1 + i) % 2) + 1;
    const mover = duel.rooms[seat - 1]!;
    await waitForState(mover, (s) => pieces(s) === base + i && s.turn === seat);
    mover.send("move", { column });
    await Promise.all([
      ...duel.rooms.map((room) => waitForState(room, (s) => pieces(s) === base + i + 1 || s.winner !== 0)),
      new Promise((resolve) => setTimeout(resolve, 110)),
    ]);
  }
}

/** The newest stored snapshot of the session, opened: its version, when it was written, and the game's payload. */
async function latestSnapshot(server: TestServer, sessionId: string) {
  const record = (await server.services.sessions.snapshot(sessionId))!;
  const envelope = JSON.parse(record.state.toString("utf8")) as SnapshotEnvelope<Connect4Payload>;
  return { version: record.version, createdAt: record.createdAt, envelope };
}

/** Waits until the newest stored snapshot holds `count` moves (at most 10 s). */
async function movesStored(server: TestServer, sessionId: string, count: number): Promise<void> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const stored = await server.services.sessions.snapshot(sessionId);
    const moves = stored === undefined ? -1 : JSON.parse(stored.state.toString("utf8")).payload.game.moves.length;
    if (moves === count) return;
    if (Date.now() > deadline) assert.fail(`the stored snapshot holds ${moves} moves, not ${count}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

/** Both players rejoin (POST /sessions/:id/rejoin, once the match runs again) and see each other connected. */
async function bothRejoin(server: TestServer, duel: Duel): Promise<Duel> {
  const rooms = [] as unknown as [ClientRoom, ClientRoom];
  for (const player of duel.players) {
    // Refused (not 200 within 15 s): rejoinWhenRunning rejects with the ApiError.
    const room = await rejoinWhenRunning(duel.sessionId, player);
    assert.equal(room.name, "connect4", "the seat leads into the game's room");
    assert.equal(addressOf(room), server.address, "the surviving process hosts the match");
    rooms.push(room);
  }
  const back = { ...duel, rooms };
  for (const [i, room] of rooms.entries()) {
    const state = await waitForState(
      room,
      (s) => s.players.size === 2 && [...s.players.values()].every((p: AnyState) => p.connected),
    );
    const mine = state.players.get(room.sessionId);
    assert.equal(mine.playerId, duel.players[i]!.player.id, "each player is back in its own seat");
    assert.equal(mine.seat, i + 1);
  }
  return back;
}

/**
 * The rest of the game (`columns`) ends in a win for `winnerSeat`: matchEnd says so to both, the session holds exactly one result (of
 * the given epoch) with the winner placed first, the session is ended, and both are rated under connect4 only.
 */
async function finishesWithOneResult(
  server: TestServer,
  duel: Duel,
  columns: number[],
  winnerSeat: 1 | 2,
): Promise<void> {
  const ends = duel.rooms.map((room) => room.waitForMessage("matchEnd", 20_000));
  const closed = duel.rooms.map(nextLeave);
  await playColumns(duel, columns);
  const winner = duel.players[winnerSeat - 1]!;
  const loser = duel.players[2 - winnerSeat]!;
  for (const end of (await Promise.all(ends)) as Array<{ sessionId: string; results: AnyState[] }>) {
    assert.equal(end.sessionId, duel.sessionId);
    const outcomes = new Map(end.results.map((row) => [row.playerId, row.outcome]));
    assert.equal(outcomes.get(winner.player.id), "win");
    assert.equal(outcomes.get(loser.player.id), "loss");
  }
  assert.equal((duel.rooms[0].state as AnyState).winner, winnerSeat);
  assert.deepEqual(await Promise.all(closed), [CloseCode.MatchEnded, CloseCode.MatchEnded]);

  const rows = await server.services.db.query<{ result: { result: MatchResult } }>(
    "SELECT result FROM match_results WHERE session_id = $1",
    [duel.sessionId],
  );
  assert.equal(rows.length, 1, "exactly one result");
  const result = rows[0]!.result.result;
  assert.equal(result.game, "connect4");
  assert.equal(result.epoch, 1, "the result comes from the process that took the match over");
  const placements = new Map(result.players.map((p) => [p.playerId, p.placement]));
  assert.equal(placements.get(winner.player.id), 1);
  assert.equal(placements.get(loser.player.id), 2);
  const session = await jsonBody(await fetch(`${server.baseUrl}/sessions/${duel.sessionId}`));
  assert.equal(session.status, "ended");
  assert.equal(session.gameType, "connect4");

  for (const [who, expected] of [
    [winner, [1, 0, 0]],
    [loser, [0, 1, 0]],
  ] as const) {
    const me = await jsonBody(
      await fetch(`${server.baseUrl}/players/me`, { headers: { authorization: `Bearer ${who.accessToken}` } }),
    );
    const c4 = me.ratings.connect4;
    assert.deepEqual([c4.wins, c4.losses, c4.draws], expected, "counted once, under connect4");
    assert.deepEqual([me.wins, me.losses], [0, 0], "the arena's record is untouched");
  }
}

describe("connect4 crash recovery [postgres, redis, real processes]", function () {
  this.timeout(120_000);
  let a: TestServer;
  let b: Peer | undefined;
  let peerPort: number;
  const env = {
    REGION: "us",
    REGIONS: "us",
    BOT_FILL_SEC: "0",
    TURN_TIME_SEC: "30",
    SNAPSHOT_INTERVAL_MS: "60000",
  };
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

  it("kill -9 mid-game: another process restores the board (same cells, same turn), both players rejoin and play on to a win, one result", async () => {
    const peerId = await restartPeer();
    const duel = await duelOn(a, peerId, `127.0.0.1:${peerPort}`);
    // Seat 1: column 0 three times; seat 2: column 1 twice. Seat 2 to move.
    await playColumns(duel, [0, 1, 0, 1, 0]);
    const boardAtKill = boardOf(duel.rooms[0]);
    assert.deepEqual(boardAtKill, boardOf(duel.rooms[1]));
    assert.equal((duel.rooms[0].state as AnyState).turn, 2);
    // A move counts once its snapshot is stored (after each move); a crash before that would lose it.
    await movesStored(a, duel.sessionId, 5);

    const left = duel.rooms.map(nextLeave);
    const killedAt = Date.now();
    b!.running.child.kill("SIGKILL");
    await Promise.all(left);

    const back = await bothRejoin(a, duel);
    const backAt = Date.now();
    const session = await jsonBody(await fetch(`${a.baseUrl}/sessions/${duel.sessionId}`));
    assert.equal(session.serverId, matchMaker.processId, "the surviving process holds the match");
    const [row] = await a.services.db.query<{ epoch: number }>("SELECT epoch FROM game_sessions WHERE id = $1", [
      duel.sessionId,
    ]);
    assert.equal(row!.epoch, 1, "claimed once");
    for (const room of back.rooms) {
      const state = room.state as AnyState;
      assert.deepEqual(boardOf(room), boardAtKill, "the same cells");
      assert.equal(state.turn, 2, "the same seat to move");
      assert.equal(state.phase, "active");
      assert.equal(state.winner, 0);
      assert.ok(state.turnTimeLeftMs > 0, "the turn timer runs again");
    }
    process.stdout.write(`      (both players back ${backAt - killedAt} ms after the kill)\n`);

    // Seat 2 plays column 1 (its third), seat 1 column 0 (its fourth): seat 1 wins.
    await finishesWithOneResult(a, back, [1, 0], 1);
  });

  it("SIGTERM mid-game: clients closed with 4001, a final snapshot after the signal holding the last move, the lease released, claimed at once, both back on the same board, one result", async () => {
    const peerId = await restartPeer();
    const duel = await duelOn(a, peerId, `127.0.0.1:${peerPort}`);
    // Seat 1: 0, 0, then 6 (the move made just before the signal); seat 2: 1, 1. Seat 2 to move.
    await playColumns(duel, [0, 1, 0, 1, 6]);
    const boardAtSignal = boardOf(duel.rooms[0]);
    assert.equal(boardAtSignal[41], 1, "the last move is on the board");

    // This process claims the match only when the test says so: what the peer left behind is read first.
    a.services.recovery.stop();
    try {
      const left = duel.rooms.map(nextLeave);
      const terminatedAt = Date.now();
      b!.running.child.kill("SIGTERM");
      assert.deepEqual(await Promise.all(left), [CloseCode.ServerShutdown, CloseCode.ServerShutdown], "4001 to both");
      assert.equal((await b!.running.exited).code, 0, "the process exits 0");
      const exitedAt = Date.now();
      assert.ok(
        b!.running.logs.some((line) => line.msg === "match handed off" && line.roomId === duel.sessionId),
        "the room handed its match off",
      );

      const [row] = await a.services.db.query<{ epoch: number; lease_expires_at: Date }>(
        "SELECT epoch, lease_expires_at FROM game_sessions WHERE id = $1",
        [duel.sessionId],
      );
      assert.equal(row!.epoch, 0, "nobody claimed it yet");
      const leaseUntil = new Date(row!.lease_expires_at).getTime();
      assert.ok(
        leaseUntil < exitedAt,
        `the lease was released before the process exited (it runs ${leaseUntil - exitedAt} ms past the exit)`,
      );

      const last = await latestSnapshot(a, duel.sessionId);
      assert.ok(
        last.createdAt.getTime() >= terminatedAt,
        `a final snapshot after the signal (the newest is ${terminatedAt - last.createdAt.getTime()} ms older than it)`,
      );
      const moves = last.envelope.payload.game.moves;
      assert.deepEqual(moves, [0, 1, 0, 1, 6], "the final snapshot holds every move, the last one made included");
      assert.deepEqual(last.envelope.payload.game.board, boardAtSignal, "and the board the players saw");
      assert.equal(last.envelope.payload.game.turn, 2);
      assert.equal(last.envelope.payload.phase, "active");

      const claimedAt = Date.now();
      assert.deepEqual(await a.services.recovery.process(new Date()), [duel.sessionId], "claimed at the first pass");
      assert.ok(
        claimedAt - terminatedAt < SESSION_LEASE_MS,
        `claimed ${claimedAt - terminatedAt} ms after the signal: before a lease renewed then would have lapsed`,
      );
      const restored = matchMaker.getLocalRoomById(duel.sessionId) as unknown as { state: AnyState };
      assert.deepEqual([...restored.state.board], boardAtSignal, "restored from the final snapshot");

      const back = await bothRejoin(a, duel);
      const backAt = Date.now();
      for (const room of back.rooms) {
        assert.deepEqual(boardOf(room), boardAtSignal, "both players on the same board");
        assert.equal((room.state as AnyState).turn, 2, "the same seat to move");
      }
      // releaseLease sets the lease to one second before its write.
      process.stdout.write(
        `      (lease released ${leaseUntil + 1000 - terminatedAt} ms after SIGTERM, process exited after ${exitedAt - terminatedAt} ms, claimed after ${claimedAt - terminatedAt} ms, both players back after ${backAt - terminatedAt} ms)\n`,
      );

      // Seat 2: column 1 (third), seat 1: 5, seat 2: column 1 (fourth): seat 2 wins.
      await finishesWithOneResult(a, back, [1, 5, 1], 2);
    } finally {
      a.services.recovery.start(RECOVERY_PASS_MS);
    }
  });
});
