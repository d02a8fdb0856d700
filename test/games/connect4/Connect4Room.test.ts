/**
 * Connect Four end to end on the framework, on real PostgreSQL and Redis (and PGlite in-process): matched through
 * `matchmaking` by game, skill and region, moves and refusals, a win and a draw with ratings and wins / losses /
 * draws per game, the turn timer's forfeit, bot fill, and the admin rollback.
 */
import assert from "node:assert/strict";
import type { Room as ClientRoom } from "@colyseus/sdk";
import type { Connect4Protocol } from "../../../src/games/connect4/protocol.ts";
import { CloseCode } from "../../../src/protocol.ts";
import {
  type AnyState,
  findDuels,
  matchDuel,
  nextLeave,
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
  type Registered,
  registerPlayer,
  type TestServer,
} from "../../helpers/server.ts";

async function me(server: TestServer, who: Registered): Promise<AnyState> {
  return jsonBody(
    await fetch(`${server.baseUrl}/players/me`, { headers: { authorization: `Bearer ${who.accessToken}` } }),
  );
}

/** A full board without a line of four: columns in this order, seat 1 first. */
const DRAW_COLUMNS = [
  0, 1, 0, 1, 0, 1, 1, 0, 1, 0, 1, 0, 2, 3, 2, 3, 2, 3, 3, 2, 3, 2, 3, 2, 4, 5, 4, 5, 4, 5, 5, 4, 5, 4, 5, 4, 6, 6, 6,
  6, 6, 6,
];

for (const setup of [
  { database: "postgres", redis: true },
  { database: "pglite", redis: false },
] as const) {
  describe(`connect4 [${setup.database}, ${setup.redis ? "redis" : "in-process"}]`, function () {
    this.timeout(90_000);
    let server: TestServer;
    before(async () => {
      server = await bootTestServer({ ...setup, env: { BOT_FILL_SEC: "0", TURN_TIME_SEC: "30" } });
    });
    after(() => server.close());
    afterEach(() => server.colyseus.cleanup());

    it("GET /games lists both games with their modes", async () => {
      const body = await jsonBody(await fetch(`${server.baseUrl}/games`));
      assert.deepEqual(
        body.games.map((game: { id: string }) => game.id),
        ["arena", "connect4"],
      );
      const connect4 = body.games.find((game: { id: string }) => game.id === "connect4");
      assert.deepEqual(connect4, {
        id: "connect4",
        title: "Connect Four",
        modes: [{ id: "duel", players: 2, teams: 2 }],
      });
    });

    it("players are matched by their Connect Four rating, not the arena's", async () => {
      const [low, strong, alsoLow] = (await Promise.all([1, 2, 3].map(() => registerPlayer(server)))) as Registered[];
      // Same arena rating (1500) for all three; a Connect Four rating of 2400 for one of them.
      await server.services.db.execute(
        `INSERT INTO player_ratings (player_id, rating_key, rating, rating_deviation) VALUES ($1, 'connect4', 2400, 50)`,
        [strong!.player.id],
      );
      const first = await search(server, low!, { game: "connect4", mode: "duel" });
      const second = await search(server, strong!, { game: "connect4", mode: "duel" });
      await assert.rejects(first.waitForMessage("seat", 2_000), /timed out/, "900 points apart: not matched yet");
      const third = await search(server, alsoLow!, { game: "connect4", mode: "duel" });
      const [seatA, seatC] = await Promise.all([first, third].map((room) => room.waitForMessage("seat", 10_000)));
      assert.equal((seatA as { name: string }).name, "connect4");
      assert.equal((seatA as { roomId: string }).roomId, (seatC as { roomId: string }).roomId);
      await assert.rejects(second.waitForMessage("seat", 500), /timed out/, "the strong player still searches");
    });

    it("two players are matched into a connect4 room of their region; the session's gameType is connect4", async () => {
      const duel = await matchDuel(server);
      const session = await jsonBody(await fetch(`${server.baseUrl}/sessions/${duel.sessionId}`));
      assert.equal(session.gameType ?? session.session?.gameType, "connect4");
      assert.equal(session.region ?? session.session?.region, server.config.region);
      const state = duel.bySeat[0].state as AnyState;
      assert.equal(state.board.length, 42);
      assert.equal(state.turn, 1);
      assert.ok(state.turnTimeLeftMs > 0 && state.turnTimeLeftMs <= 30_000, `turnTimeLeftMs ${state.turnTimeLeftMs}`);
      const seats = [...state.players.values()].map((p: AnyState) => p.seat).sort();
      assert.deepEqual(seats, [1, 2]);
      for (const p of state.players.values()) assert.equal(p.connected, true);
    });

    it("moves land in the lowest empty row; refusals: NOT_YOUR_TURN, COLUMN_FULL, INVALID_MESSAGE", async () => {
      const duel = await matchDuel(server);
      const [one, two] = duel.bySeat;
      const refusedTwo = two.waitForMessage("error", 5_000);
      two.send("move", { column: 3 });
      assert.equal(((await refusedTwo) as { code: string }).code, "NOT_YOUR_TURN");
      await playColumns(duel, [3, 3, 3, 3, 3, 3]);
      const state = one.state as AnyState;
      // Column 3 from the bottom row (index 38) up: seat 1, 2, 1, 2, 1, 2.
      assert.deepEqual(
        [38, 31, 24, 17, 10, 3].map((cell) => state.board[cell]),
        [1, 2, 1, 2, 1, 2],
      );
      const full = one.waitForMessage("error", 5_000);
      one.send("move", { column: 3 });
      assert.equal(((await full) as { code: string }).code, "COLUMN_FULL");
      for (const bad of [{ column: 7 }, { column: -1 }, { column: 2.5 }, { col: 1 }, "x"]) {
        const invalid = one.waitForMessage("error", 5_000);
        one.send("move", bad);
        assert.equal(((await invalid) as { code: string }).code, "INVALID_MESSAGE", JSON.stringify(bad));
      }
      assert.equal((one.state as AnyState).turn, 1, "nothing refused changed the turn");
    });

    it("a win: matchEnd with win and loss, rated under connect4 only; the arena's rating is untouched", async () => {
      const duel = await matchDuel(server);
      const [winner, loser] = duel.players;
      const ends = duel.bySeat.map((room) => room.waitForMessage("matchEnd", 20_000));
      const closed = duel.bySeat.map(nextLeave);
      // Seat 1 stacks column 0 four times; seat 2 plays column 1.
      await playColumns(duel, [0, 1, 0, 1, 0, 1, 0]);
      const end = (await ends[0]) as { sessionId: string; results: AnyState[] };
      assert.equal(end.sessionId, duel.sessionId);
      const byId = new Map(end.results.map((row) => [row.playerId, row]));
      assert.equal(byId.get(winner.player.id).outcome, "win");
      assert.equal(byId.get(loser.player.id).outcome, "loss");
      assert.ok(byId.get(winner.player.id).ratingAfter > byId.get(winner.player.id).ratingBefore);
      assert.equal((duel.bySeat[1].state as AnyState).winner, 1);
      assert.deepEqual(await Promise.all(closed), [CloseCode.MatchEnded, CloseCode.MatchEnded]);

      const w = await me(server, winner);
      const l = await me(server, loser);
      assert.deepEqual([w.ratings.connect4.wins, w.ratings.connect4.losses, w.ratings.connect4.draws], [1, 0, 0]);
      assert.deepEqual([l.ratings.connect4.wins, l.ratings.connect4.losses, l.ratings.connect4.draws], [0, 1, 0]);
      assert.ok(w.ratings.connect4.rating > 1500 && l.ratings.connect4.rating < 1500);
      assert.deepEqual([w.rating, w.wins, w.losses], [1500, 0, 0], "the top-level (arena) rating is untouched");
      const [stored] = await server.services.db.query<{ result: { result: { players: AnyState[] } } }>(
        "SELECT result FROM match_results WHERE session_id = $1",
        [duel.sessionId],
      );
      assert.deepEqual(
        Object.fromEntries(stored!.result.result.players.map((p) => [p.playerId, p.outcome])),
        { [winner.player.id]: "win", [loser.player.id]: "loss" },
        "the stored result carries the outcomes",
      );
      const board = await jsonBody(
        await fetch(`${server.baseUrl}/leaderboards/rating:connect4/players/${winner.player.id}`),
      );
      assert.equal(Math.round(board.score ?? board.entry?.score), Math.round(w.ratings.connect4.rating));
    });

    it("a draw: a full board without a line counts a draw for both", async () => {
      const duel = await matchDuel(server);
      const ends = duel.bySeat.map((room) => room.waitForMessage("matchEnd", 30_000));
      await playColumns(duel, DRAW_COLUMNS);
      const end = (await ends[1]) as { results: AnyState[] };
      assert.deepEqual(
        end.results.map((row) => row.outcome),
        ["draw", "draw"],
      );
      assert.equal((duel.bySeat[0].state as AnyState).winner, 3);
      for (const who of duel.players) {
        const view = await me(server, who);
        assert.deepEqual(
          [view.ratings.connect4.wins, view.ratings.connect4.losses, view.ratings.connect4.draws],
          [0, 0, 1],
        );
      }
    });

    it("an admin rollback returns the board to a stored snapshot for both players", async () => {
      const duel = await matchDuel(server);
      await playColumns(duel, [0, 1]);
      const sessions = server.services.sessions;
      // A snapshot after every move: the one with two pieces on the board (its write lands a moment later).
      let version = 0;
      for (const deadline = Date.now() + 5_000; version === 0 && Date.now() < deadline; ) {
        for (let v = 1; v <= 20; v++) {
          const record = await sessions.snapshot(duel.sessionId, v);
          if (record !== undefined && JSON.parse(record.state.toString()).payload.game.moves.length === 2) version = v;
        }
        if (version === 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(version > 0, "a snapshot with two moves was stored");
      await playColumns(duel, [2, 3]);
      const basic = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}` };
      const res = await postJson(server, `/admin/sessions/${duel.sessionId}/rollback`, { version }, { headers: basic });
      assert.equal(res.status, 200);
      for (const room of duel.bySeat) {
        const state = await waitForState(room, (s) => s.board.filter((cell: number) => cell !== 0).length === 2);
        assert.equal(state.turn, 1);
        assert.deepEqual([state.board[35], state.board[36], state.board[37]], [1, 2, 0]);
      }
      // The game goes on from there.
      await playColumns(duel, [6]);
      assert.equal((duel.bySeat[1].state as AnyState).board[41], 1);
    });

    it("a rollback to before a rejoin keeps the rejoined player in its seat and shows who is connected", async () => {
      const duel = await matchDuel(server);
      await playColumns(duel, [0, 1]);
      const sessions = server.services.sessions;
      // The newest stored snapshot (writes land a moment after each move; the very first may race the session row).
      let version = 0;
      for (const deadline = Date.now() + 5_000; version === 0 && Date.now() < deadline; ) {
        for (let v = 1; v <= 20; v++) if ((await sessions.snapshot(duel.sessionId, v)) !== undefined) version = v;
        if (version === 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      assert.ok(version > 0, "a snapshot was stored");
      // Seat 1's socket dies; it comes back on a new connection (a new device): its seat moves to the new session id.
      const [one, two] = duel.bySeat;
      const drop = (room: ClientRoom) => {
        room.reconnection.enabled = false;
        (room.connection as unknown as { transport: { ws: { close(): void } } }).transport.ws.close();
      };
      drop(one);
      await waitForState(two, (s) => [...s.players.values()].some((p: AnyState) => p.seat === 1 && !p.connected));
      // The SDK's rejoin: POST /sessions/:id/rejoin, then the new seat.
      const back = (await duel.players[0].arena.rejoin<Connect4Protocol>(duel.sessionId)).room as ClientRoom;
      await waitForState(two, (s) => s.players.has(back.sessionId) && !s.players.has(one.sessionId));
      // Seat 2 drops (its seat is held for reconnection).
      drop(two);
      await waitForState(back, (s) => [...s.players.values()].some((p: AnyState) => p.seat === 2 && !p.connected));
      const basic = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}` };
      const res = await postJson(server, `/admin/sessions/${duel.sessionId}/rollback`, { version }, { headers: basic });
      assert.equal(res.status, 200, await res.clone().text());
      const state = await waitForState(back, (s) => s.board.filter((cell: number) => cell !== 0).length === 2);
      assert.deepEqual(
        [...state.players.entries()]
          .map(([key, p]: [string, AnyState]) => [key === back.sessionId, p.seat, p.connected])
          .sort(),
        [
          [false, 2, false],
          [true, 1, true],
        ],
        "seat 1 under its new connection, connected; seat 2 shown dropped",
      );
      // Seat 1 plays on under its new connection.
      back.send("move", { column: 5 });
      await waitForState(back, (s) => s.board[40] === 1);
    });
  });
}

describe("connect4: turn timer and bot fill [postgres, redis]", function () {
  this.timeout(90_000);
  let server: TestServer;
  before(async () => {
    server = await bootTestServer({
      database: "postgres",
      redis: true,
      env: { BOT_FILL_SEC: "1", TURN_TIME_SEC: "2" },
    });
  });
  after(() => server.close());
  afterEach(() => server.colyseus.cleanup());

  it("a seat that lets its turn timer run out forfeits: a loss for it, a win for the other", async () => {
    const players = (await Promise.all([registerPlayer(server), registerPlayer(server)])) as [Registered, Registered];
    const handles = await findDuels(players);
    const rooms = handles.map((handle) => handle.room as ClientRoom);
    const outcome = await handles[0]!.done;
    assert.equal(outcome.kind, "ended", "the match ended with matchEnd");
    const end = (outcome as { result: { results: AnyState[] } }).result;
    const first = seatOf(rooms[0]!) === 1 ? players[0] : players[1];
    const byId = new Map(end.results.map((row) => [row.playerId, row.outcome]));
    assert.equal(byId.get(first.player.id), "loss", "seat 1 never moved: it forfeits");
    assert.equal(byId.get((first === players[0] ? players[1] : players[0]).player.id), "win");
    assert.equal((rooms[1]!.state as AnyState).winner, 2);
  });

  it("a lone searcher gets a bot after BOT_FILL_SEC; the bot plays its turns; the match is unrated", async () => {
    const alone = await registerPlayer(server);
    const [handle] = await findDuels([alone]);
    const room = handle!.room as ClientRoom;
    const state = await waitForState(room, (s) => s.phase === "active" && s.players.size === 2);
    const bot = [...state.players.values()].find((p: AnyState) => p.bot);
    assert.ok(bot, "the other seat is a bot");
    const mine = seatOf(room);
    const ended = room.waitForMessage("matchEnd", 60_000) as Promise<{ results: AnyState[] }>;
    // The human plays the leftmost open column whenever it is its turn, until the game ends.
    let botMoves = 0;
    let sent = 0;
    let result: { results: AnyState[] } | undefined;
    ended.then((r) => {
      result = r;
    });
    while (result === undefined) {
      const s = await waitForState(room, (x) => x.turn === mine || x.winner !== 0, 10_000);
      if (s.winner !== 0) break;
      const pieces = s.board.filter((cell: number) => cell !== 0).length;
      if (pieces > 0) botMoves = s.board.filter((cell: number) => cell === bot.seat).length;
      const column = [0, 1, 2, 3, 4, 5, 6].find((c) => s.board[c] === 0)!;
      room.send("move", { column });
      sent += 1;
      await waitForState(room, (x) => x.board.filter((cell: number) => cell !== 0).length > pieces || x.winner !== 0);
    }
    const end = await ended;
    const final = room.state as AnyState;
    assert.equal(
      final.board.filter((cell: number) => cell === mine).length,
      sent,
      "every piece of the human's seat is a move it sent: the bot never plays for it",
    );
    assert.ok(
      botMoves >= 1 || (room.state as AnyState).board.some((cell: number) => cell === bot.seat),
      "the bot moved",
    );
    const mineRow = end.results.find((row) => row.playerId === alone.player.id);
    assert.equal(mineRow.ratingBefore, mineRow.ratingAfter, "a bot match is unrated");
  });
});
