import assert from "node:assert/strict";
import type { Room as ClientRoom } from "@colyseus/sdk";
import { DEFAULT_TUNING } from "../../../src/games/arena/logic/tuning.ts";
import { CloseCode, RoomErrorCode } from "../../../src/protocol.ts";
import type { ArenaRoom } from "../../../src/games/arena/ArenaRoom.ts";
import type { MatchResult } from "../../../src/services/matches/MatchResults.ts";
import { nextLeave } from "../../helpers/peer.ts";
import {
  ADMIN_PASSWORD,
  bootTestServer,
  jsonBody,
  postJson,
  type Registered,
  registerPlayer,
  sdkFor,
  type TestServer,
} from "../../helpers/server.ts";
import { type AnyState, waitForState } from "../../helpers/state.ts";

function me(room: ClientRoom): AnyState {
  return room.state.players.get(room.sessionId);
}

interface Launched {
  sessionId: string;
  rooms: ClientRoom[];
  players: Registered[];
  server: ArenaRoom;
}

async function launch(server: TestServer, mode: "duel" | "ffa" | "squad", humans: number, bots = 0): Promise<Launched> {
  const players = await Promise.all(Array.from({ length: humans }, () => registerPlayer(server)));
  const roster = [
    ...players.map((p, i) => ({
      playerId: p.player.id,
      username: p.player.username,
      team: mode === "squad" ? i % 2 : i,
      bot: false,
    })),
    ...Array.from({ length: bots }, (_, i) => ({
      playerId: `bot:${i + 1}`,
      username: `bot ${i + 1}`,
      team: mode === "squad" ? (humans + i) % 2 : humans + i,
      bot: true,
    })),
  ];
  const launched = await server.services.launcher.launch({ mode, region: "local", roster, seed: 7 });
  const rooms = [];
  for (const p of players) {
    const room = await sdkFor(server, p.accessToken).consumeSeatReservation(launched.seats.get(p.player.id)!);
    room.onMessage("*", () => {});
    rooms.push(room);
  }
  return { sessionId: launched.sessionId, rooms, players, server: server.colyseus.getRoomById(launched.sessionId) };
}

function input(seq: number, over: Record<string, unknown> = {}) {
  return { seq, moveX: 0, moveY: 0, aim: 0, fire: false, ...over };
}

/** Sends one input per tick period for `count` ticks. */
async function stream(
  room: ClientRoom,
  from: number,
  count: number,
  over: Record<string, unknown> = {},
): Promise<number> {
  for (let i = 0; i < count; i++) {
    room.send("input", input(from + i, over));
    await new Promise((resolve) => setTimeout(resolve, 1000 / 30));
  }
  return from + count;
}

for (const setup of [
  { database: "pglite", redis: false },
  { database: "postgres", redis: true },
] as const) {
  describe(`ArenaRoom [${setup.database}, ${setup.redis ? "redis" : "in-process"}]`, function () {
    this.timeout(60_000);
    let server: TestServer;

    before(async () => {
      server = await bootTestServer({ ...setup, env: { MATCH_DURATION_SEC: "10", RECONNECT_WINDOW_SEC: "10" } });
    });
    after(() => server.close());
    afterEach(() => server.colyseus.cleanup());

    /** Cuts a client's socket without a close handshake, as a lost network does; resolves once the room saw it. */
    async function dropConnection(room: ClientRoom): Promise<void> {
      room.reconnection.enabled = false;
      const serverRoom = server.colyseus.getRoomById(room.roomId) as ArenaRoom;
      const dropped = nextLeave(room);
      const client = serverRoom.clients.find((c) => c.sessionId === room.sessionId)!;
      (client.ref as unknown as { terminate(): void }).terminate();
      await dropped;
    }

    it("cannot be created or joined by clients, only through reserved seats", async () => {
      const p = await registerPlayer(server);
      const sdk = sdkFor(server, p.accessToken);
      await assert.rejects(sdk.create("arena", { mode: "duel" }));
      await assert.rejects(sdk.joinOrCreate("arena", {}));
      const forged = {
        match: { sessionId: "x", mode: "duel", region: "local", seed: 1, roster: [] },
        signature: "AAAA",
      };
      await assert.rejects(sdk.create("arena", forged));
      const { sessionId } = await launch(server, "duel", 2);
      const outsider = await registerPlayer(server);
      await assert.rejects(sdkFor(server, outsider.accessToken).joinById(sessionId));
    });

    it("seats the reserved players, starts the countdown, and applies inputs advancing ack", async () => {
      const { rooms } = await launch(server, "duel", 2);
      const [a] = rooms as [ClientRoom, ClientRoom];
      const state = await waitForState(a, (s) => s.phase === "countdown" || s.phase === "active");
      assert.equal(state.mode, "duel");
      const start = { x: me(a).x, y: me(a).y };
      const seq = await stream(a, 1, 20, { moveX: start.x < 1200 ? 1 : -1 });
      const after = await waitForState(a, (s) => s.players.get(a.sessionId).ack === seq - 1);
      const moved = Math.abs(after.players.get(a.sessionId).x - start.x);
      assert.ok(moved > 20, `moved ${moved}`);
      assert.equal(me(a).playerId !== "", true);
    });

    for (const kick of [
      {
        code: CloseCode.KickedFlood,
        how: "flooding",
        act: (room: ClientRoom) => {
          for (let i = 0; i < 200; i++) room.send("chat", { channel: "all", text: "hi" });
        },
      },
      {
        code: CloseCode.KickedInvalidInput,
        how: "invalid inputs",
        act: (room: ClientRoom) => {
          for (let i = 0; i < 12; i++) room.send("input", input(1, { aim: "north" }));
        },
      },
      {
        code: CloseCode.TokenRevoked,
        how: "logout",
        act: (_room: ClientRoom, p: Registered) =>
          void postJson(server, "/auth/logout", { refreshToken: p.refreshToken }, { token: p.accessToken }),
      },
      {
        code: CloseCode.Banned,
        how: "ban",
        act: (_room: ClientRoom, p: Registered) => void server.services.auth.ban(p.player.id, 5, "test"),
      },
    ]) {
      it(`a client closed with ${kick.code} (${kick.how}) holds no reconnection seat`, async () => {
        const { rooms, players, server: serverRoom } = await launch(server, "duel", 2);
        const [a] = rooms as [ClientRoom, ClientRoom];
        await waitForState(a, (s) => s.players.get(a.sessionId) !== undefined);
        a.reconnection.enabled = false;
        const token = a.reconnectionToken;
        const left = nextLeave(a);
        kick.act(a, players[0]!);
        assert.equal(await left, kick.code);
        await assert.rejects(sdkFor(server, players[0]!.accessToken).reconnect(token), /expired|invalid|disposed/);
        assert.equal(serverRoom.state.players.get(a.sessionId)?.connected, false);
      });
    }

    it("reconnection re-checks the login: a player logged out or banned while dropped cannot reconnect", async () => {
      const { rooms, players } = await launch(server, "squad", 4);
      const [a, b, c] = rooms as [ClientRoom, ClientRoom, ClientRoom];
      for (const room of [a, b, c]) await waitForState(room, (s) => s.players.get(room.sessionId) !== undefined);
      const tokens = [a.reconnectionToken, b.reconnectionToken, c.reconnectionToken];
      await dropConnection(a);
      await dropConnection(b);
      await dropConnection(c);
      const [pa, pb, pc] = players as [Registered, Registered, Registered];
      // Banned in the database only (as if the disconnect order were lost): the reconnection itself re-checks.
      await server.services.stores.players.setBan(pc.player.id, new Date(Date.now() + 60_000), "test");
      await assert.rejects(sdkFor(server, pc.accessToken).reconnect(tokens[2]!), /banned/);
      const out = await postJson(server, "/auth/logout", { refreshToken: pa.refreshToken }, { token: pa.accessToken });
      assert.equal(out.status, 204);
      await server.services.auth.ban(pb.player.id, 5, "test");
      await assert.rejects(sdkFor(server, pa.accessToken).reconnect(tokens[0]!));
      await assert.rejects(sdkFor(server, pb.accessToken).reconnect(tokens[1]!));
      const rejoin = (p: Registered) =>
        postJson(server, `/sessions/${rooms[0]!.roomId}/rejoin`, {}, { token: p.accessToken });
      assert.equal((await rejoin(pa)).status, 401);
      assert.equal((await rejoin(pb)).status, 403);
    });

    it("a player kicked for invalid input may rejoin, but its strikes stay with it for the match", async () => {
      const { sessionId, rooms, players } = await launch(server, "duel", 2);
      const [a] = rooms as [ClientRoom, ClientRoom];
      await waitForState(a, (s) => s.players.get(a.sessionId) !== undefined);
      a.reconnection.enabled = false;
      const left = nextLeave(a);
      for (let i = 0; i < 12; i++) a.send("input", input(1, { aim: "north" }));
      assert.equal(await left, CloseCode.KickedInvalidInput);
      const res = await postJson(server, `/sessions/${sessionId}/rejoin`, {}, { token: players[0]!.accessToken });
      assert.equal(res.status, 200);
      const back = await sdkFor(server, players[0]!.accessToken).consumeSeatReservation((await jsonBody(res)).seat);
      back.onMessage("*", () => {});
      back.reconnection.enabled = false;
      await waitForState(back, (s) => s.players.get(back.sessionId)?.connected === true);
      const again = nextLeave(back);
      back.send("input", input(1, { aim: "north" }));
      assert.equal(await again, CloseCode.KickedInvalidInput, "one more invalid message is one too many");
    });

    it("seats are never handed out by joinById: an outsider's (or a participant's) requests cannot fill the room", async () => {
      const { sessionId, rooms, players } = await launch(server, "duel", 2);
      const b = rooms[1]!;
      await waitForState(b, (s) => s.players.get(b.sessionId) !== undefined);
      const outsider = await registerPlayer(server);
      // The room's id is public (GET /sessions); each seat reserved here would count against maxClients.
      for (const token of [outsider.accessToken, outsider.accessToken, players[0]!.accessToken, outsider.accessToken]) {
        const res = await postJson(server, `/matchmake/joinById/${sessionId}`, {}, { token });
        const body = await jsonBody(res);
        assert.equal(res.status, 403, JSON.stringify(body));
        assert.equal(body.error.code, "FORBIDDEN");
      }
      await dropConnection(b);
      const res = await postJson(server, `/sessions/${sessionId}/rejoin`, {}, { token: players[1]!.accessToken });
      const body = await jsonBody(res);
      assert.equal(res.status, 200, JSON.stringify(body));
      const back = await sdkFor(server, players[1]!.accessToken).consumeSeatReservation(body.seat);
      back.onMessage("*", () => {});
      await waitForState(back, (s) => s.players.get(back.sessionId)?.connected === true);
    });

    it("one participant's unconsumed rejoins hold at most one seat and never block another's rejoin", async () => {
      const { sessionId, rooms, players } = await launch(server, "duel", 2);
      const [a, b] = rooms as [ClientRoom, ClientRoom];
      await waitForState(b, (s) => s.players.get(b.sessionId) !== undefined);
      const rejoin = (p: Registered) => postJson(server, `/sessions/${sessionId}/rejoin`, {}, { token: p.accessToken });
      const seats = [];
      for (let i = 0; i < 4; i++) {
        const res = await rejoin(players[0]!);
        const body = await jsonBody(res);
        assert.equal(res.status, 200, `rejoin ${i + 1}: ${JSON.stringify(body)}`);
        seats.push(body.seat);
      }
      // Sent all at once, as an attacker would: still one pending seat for A, so B below finds room.
      const burst = await Promise.all(Array.from({ length: 6 }, () => rejoin(players[0]!)));
      assert.deepEqual(
        burst.map((r) => r.status),
        [200, 200, 200, 200, 200, 200],
      );
      for (let i = 0; i < 2; i++) {
        const res = await rejoin(players[0]!);
        const body = await jsonBody(res);
        assert.equal(res.status, 200, `rejoin ${i + 1}: ${JSON.stringify(body)}`);
        seats.push(body.seat);
      }
      const heldForB = b.reconnectionToken;
      await dropConnection(b);
      const res = await rejoin(players[1]!);
      const body = await jsonBody(res);
      assert.equal(res.status, 200, JSON.stringify(body));
      const back = await sdkFor(server, players[1]!.accessToken).consumeSeatReservation(body.seat);
      back.onMessage("*", () => {});
      await waitForState(back, (s) => s.players.get(back.sessionId)?.connected === true);
      // B is back through a fresh seat: the seat held for its old connection is withdrawn.
      await assert.rejects(sdkFor(server, players[1]!.accessToken).reconnect(heldForB));
      // A's earlier seats were replaced by its latest one: once A's connection is gone, only that one works.
      await dropConnection(a);
      for (const replaced of seats.slice(0, -1)) {
        await assert.rejects(sdkFor(server, players[0]!.accessToken).consumeSeatReservation(replaced));
      }
      const latest = await sdkFor(server, players[0]!.accessToken).consumeSeatReservation(seats.at(-1));
      latest.onMessage("*", () => {});
      await waitForState(latest, (s) => s.players.get(latest.sessionId)?.connected === true);
    });

    it("a dropped player reconnects within the window and finds its player as it left it", async () => {
      const { rooms } = await launch(server, "duel", 2);
      const [a] = rooms as [ClientRoom, ClientRoom];
      await waitForState(a, (s) => s.phase !== "waiting");
      const seq = await stream(a, 1, 10, { moveY: 1 });
      await waitForState(a, (s) => s.players.get(a.sessionId).ack === seq - 1);
      a.reconnection.enabled = false;
      const token = a.reconnectionToken;
      const sessionId = a.sessionId;
      const serverRoom = server.colyseus.getRoomById(a.roomId) as ArenaRoom;
      const dropped = nextLeave(a);
      // Cut the socket without a close handshake, as a lost network does.
      const socket = serverRoom.clients.find((c) => c.sessionId === sessionId)!.ref as unknown as { terminate(): void };
      socket.terminate();
      await dropped;
      await waitForState(rooms[1]!, () => serverRoom.state.players.get(sessionId)?.connected === false);
      const back = await sdkFor(server).reconnect(token);
      back.onMessage("*", () => {});
      assert.equal(back.sessionId, sessionId);
      const state = await waitForState(back, (s) => s.players.get(sessionId)?.connected === true);
      assert.equal(state.players.get(sessionId).ack, seq - 1, "its inputs so far are kept");
      const next = await stream(back, seq, 3, { moveY: -1 });
      await waitForState(back, (s) => s.players.get(sessionId).ack === next - 1);
    });

    it("runs a match to ended, stores one MatchResult with ratings, sends matchEnd and closes with MatchEnded", async () => {
      const { rooms, players, sessionId } = await launch(server, "duel", 2);
      const [a, b] = rooms as [ClientRoom, ClientRoom];
      const closedA = nextLeave(a);
      const closedB = nextLeave(b);
      const end = await a.waitForMessage("matchEnd", 30_000);
      assert.equal(end.sessionId, sessionId);
      assert.equal(end.results.length, 2);
      for (const row of end.results) {
        assert.deepEqual(Object.keys(row).sort(), [
          "deaths",
          "kills",
          "outcome",
          "placement",
          "playerId",
          "ratingAfter",
          "ratingBefore",
          "team",
          "username",
        ]);
        // The outcome follows the placements: an idle duel ends level, a draw for both.
        const best = Math.min(...end.results.map((other: { placement: number }) => other.placement));
        const level = end.results.every((other: { placement: number }) => other.placement === best);
        assert.equal(row.outcome, level ? "draw" : row.placement === best ? "win" : "loss");
        assert.equal(row.ratingBefore, 1500);
        assert.equal(typeof row.ratingAfter, "number");
      }
      assert.equal(await closedA, CloseCode.MatchEnded);
      assert.equal(await closedB, CloseCode.MatchEnded);
      const stored = await server.services.db.query<{
        rated: boolean;
        duration_ms: number;
        seed: number;
        result: { result: MatchResult };
      }>("SELECT rated, duration_ms, seed, result FROM match_results WHERE session_id = $1", [sessionId]);
      assert.equal(stored.length, 1, "exactly one result");
      const row = stored[0]!;
      assert.equal(row.rated, true);
      assert.equal(row.seed, 7);
      assert.ok(Math.abs(row.duration_ms - 10_000) < 100, `duration ${row.duration_ms}`);
      assert.deepEqual(row.result.result.players.map((p) => p.playerId).sort(), players.map((p) => p.player.id).sort());
      const records = await Promise.all(players.map((p) => server.services.stores.players.findById(p.player.id)));
      // An idle duel ends level (a draw for both, counted as such); a decided one is a win and a loss.
      const counted = await server.services.db.query<{ n: number }>(
        "SELECT wins + losses + draws AS n FROM players WHERE id = ANY($1::text[])",
        [players.map((p) => p.player.id)],
      );
      assert.equal(
        counted.reduce((n, row) => n + Number(row.n), 0),
        2,
        "one result each",
      );
      assert.ok(
        records.every((r) => r!.ratingDeviation < 350),
        "ratings were updated",
      );
    });

    it("records the game session: its players, server and status, and each player's current session", async () => {
      const { sessionId, players, rooms } = await launch(server, "duel", 2);
      await waitForState(rooms[0]!, (s) => s.phase === "active", 10_000);
      // The start is recorded asynchronously, off the tick: give the write a moment.
      let session = await jsonBody(await fetch(`${server.baseUrl}/sessions/${sessionId}`));
      for (let i = 0; i < 50 && session.status !== "active"; i++) {
        await new Promise((resolve) => setTimeout(resolve, 100));
        session = await jsonBody(await fetch(`${server.baseUrl}/sessions/${sessionId}`));
      }
      assert.deepEqual(Object.keys(session).sort(), [
        "createdAt",
        "endedAt",
        "gameType",
        "id",
        "mode",
        "players",
        "region",
        "serverId",
        "startedAt",
        "status",
      ]);
      assert.equal(session.status, "active");
      assert.equal(session.mode, "duel");
      assert.ok(typeof session.serverId === "string" && session.serverId.length > 0);
      assert.deepEqual(
        session.players.map((p: { playerId: string }) => p.playerId).sort(),
        players.map((p) => p.player.id).sort(),
      );
      const me = await jsonBody(
        await fetch(`${server.baseUrl}/players/me`, {
          headers: { authorization: `Bearer ${players[0]!.accessToken}` },
        }),
      );
      assert.equal(me.currentSessionId, sessionId);
      const active = await jsonBody(await fetch(`${server.baseUrl}/sessions?status=active&region=local&limit=100`));
      assert.ok(active.sessions.some((s: { id: string }) => s.id === sessionId));
      assert.equal((await fetch(`${server.baseUrl}/sessions/nope`)).status, 404);
      assert.equal((await fetch(`${server.baseUrl}/sessions?status=finished`)).status, 400);
    });

    it("snapshots the live match every interval, and an admin rollback returns it to a snapshot for every client", async () => {
      const { sessionId, rooms } = await launch(server, "duel", 2);
      const [a, b] = rooms as [ClientRoom, ClientRoom];
      await waitForState(a, (s) => s.phase === "active", 10_000);
      const sessions = server.services.sessions;
      const deadline = Date.now() + 10_000;
      while ((await sessions.snapshot(sessionId, 2)) === undefined && Date.now() < deadline)
        await new Promise((r) => setTimeout(r, 100));
      const first = await sessions.snapshot(sessionId, 1);
      assert.ok(first, "snapshot version 1 stored");
      const restored = JSON.parse(first.state.toString());
      assert.equal(restored.format, 1);
      assert.equal(restored.spec.sessionId, sessionId);
      const basic = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}` };
      assert.equal((await postJson(server, `/admin/sessions/${sessionId}/rollback`, { version: 1 })).status, 401);
      assert.equal(
        (await postJson(server, `/admin/sessions/${sessionId}/rollback`, { version: 999 }, { headers: basic })).status,
        404,
      );
      assert.equal(
        (await postJson(server, `/admin/sessions/${sessionId}/rollback`, { version: 0 }, { headers: basic })).status,
        400,
      );
      const tickBefore = a.state.tick;
      const res = await postJson(server, `/admin/sessions/${sessionId}/rollback`, { version: 1 }, { headers: basic });
      assert.equal(res.status, 200);
      assert.deepEqual(await jsonBody(res), { version: 1, tick: first.tick });
      for (const room of [a, b]) {
        const state = await waitForState(room, (s) => s.tick < tickBefore);
        assert.ok(
          state.tick >= first.tick && state.tick < first.tick + 30,
          `client ${room.sessionId} back at tick ${state.tick}`,
        );
      }
    });

    it("POST /sessions/:id/rejoin gives a participant a seat that takes its player over; others are refused", async () => {
      const { sessionId, rooms, players } = await launch(server, "duel", 2);
      const [a] = rooms as [ClientRoom, ClientRoom];
      await waitForState(a, (s) => s.phase !== "waiting");
      const seq = await stream(a, 1, 10, { moveY: 1 });
      const before = await waitForState(a, (s) => s.players.get(a.sessionId).ack === seq - 1);
      const kept = { x: before.players.get(a.sessionId).x, y: before.players.get(a.sessionId).y };
      const rejoin = (token: string) => postJson(server, `/sessions/${sessionId}/rejoin`, {}, { token });
      // While the player is connected, a second connection is refused.
      const twice = await jsonBody(await rejoin(players[0]!.accessToken));
      await assert.rejects(sdkFor(server).consumeSeatReservation(twice.seat));
      // The device is lost: the socket dies and the reconnection token with it.
      a.reconnection.enabled = false;
      const serverRoom = server.colyseus.getRoomById(sessionId) as ArenaRoom;
      const dropped = nextLeave(a);
      (
        serverRoom.clients.find((c) => c.sessionId === a.sessionId)!.ref as unknown as { terminate(): void }
      ).terminate();
      await dropped;
      const res = await rejoin(players[0]!.accessToken);
      assert.equal(res.status, 200);
      const back = await sdkFor(server).consumeSeatReservation((await jsonBody(res)).seat);
      back.onMessage("*", () => {});
      const state = await waitForState(back, (s) => s.players.get(back.sessionId)?.connected === true);
      const mine = state.players.get(back.sessionId);
      assert.equal(mine.playerId, players[0]!.player.id);
      assert.ok(Math.hypot(mine.x - kept.x, mine.y - kept.y) < 60, "the player is where it was");
      assert.equal(mine.ack, seq - 1, "its applied inputs are kept");
      const next = await stream(back, seq, 3, { moveY: -1 });
      await waitForState(back, (s) => s.players.get(back.sessionId).ack === next - 1);
      const outsider = await registerPlayer(server);
      assert.equal((await rejoin(outsider.accessToken)).status, 403);
      assert.equal((await postJson(server, "/sessions/nope/rejoin", {}, { token: outsider.accessToken })).status, 404);
      assert.equal((await postJson(server, `/sessions/${sessionId}/rejoin`, {})).status, 401);
    });

    it("match chat: team reaches teammates only, all reaches everyone but a player who blocked the sender", async () => {
      const { rooms, players } = await launch(server, "squad", 4);
      const inbox = rooms.map(() => [] as Array<{ from: string; channel: string; text: string }>);
      for (const [i, room] of rooms.entries()) {
        room.onMessage("chat", (m: { from: string; channel: string; text: string }) => {
          inbox[i]!.push(m);
        });
      }
      // Player 3 (team 1) blocks player 0 (team 0).
      const block = await postJson(
        server,
        "/players/me/blocks",
        { playerId: players[0]!.player.id },
        { token: players[3]!.accessToken },
      );
      assert.equal(block.status, 204);
      await new Promise((resolve) => setTimeout(resolve, 100));
      rooms[0]!.send("chat", { channel: "team", text: "push left" });
      rooms[0]!.send("chat", { channel: "all", text: "good luck" });
      const settled = async () => {
        for (let i = 0; i < 100 && !(inbox[0]!.length === 2 && inbox[2]!.length === 2 && inbox[1]!.length === 1); i++) {
          await new Promise((resolve) => setTimeout(resolve, 20));
        }
        await new Promise((resolve) => setTimeout(resolve, 100));
      };
      await settled();
      const texts = inbox.map((box) => box.map((m) => m.text).sort());
      assert.deepEqual(texts[0], ["good luck", "push left"], "the sender sees its own messages");
      assert.deepEqual(texts[2], ["good luck", "push left"], "teammate (team 0) gets both");
      assert.deepEqual(texts[1], ["good luck"], "enemy gets only the all-chat");
      assert.deepEqual(texts[3], [], "the blocker gets nothing from the blocked player");
      assert.equal(inbox[2]!.find((m) => m.text === "push left")?.channel, "team");
    });

    // Game rules that no database, presence or driver takes part in: one setup is enough.
    if (setup.database === "pglite") {
      describe("game rules", () => {
        it("rejects cheats without changing state: speed, teleport fields, replayed seq, NaN; fire rate is capped", async () => {
          const { rooms } = await launch(server, "duel", 2);
          const [a] = rooms as [ClientRoom, ClientRoom];
          await waitForState(a, (s) => s.phase !== "waiting");
          const tickBefore = a.state.tick;
          const x0 = me(a).x;
          // 2× speed and teleport fields: the stick is clamped and unknown fields are ignored.
          const dir = x0 < 1200 ? 1 : -1;
          let seq = await stream(a, 1, 30, { moveX: 50 * dir, x: 5, y: 5 });
          const moved = await waitForState(a, (s) => s.players.get(a.sessionId).ack === seq - 1);
          const ticks = moved.tick - tickBefore;
          const distance = Math.abs(moved.players.get(a.sessionId).x - x0);
          assert.ok(distance <= (DEFAULT_TUNING.maxSpeed * ticks) / 30 + 1, `${distance} u in ${ticks} ticks`);
          assert.ok(Math.abs(me(a).y - 5) > 50, "no teleport");

          // A replayed seq and NaN are refused with an error and change nothing.
          const before = { x: me(a).x, ack: me(a).ack };
          const replay = a.waitForMessage("error");
          a.send("input", input(seq - 1, { moveX: dir }));
          assert.match((await replay).message, /seq/);
          const nan = a.waitForMessage("error");
          a.send("input", input(seq, { moveX: Number.NaN }));
          const nanError = await nan;
          assert.equal(nanError.code, RoomErrorCode.InvalidMessage);
          assert.match(nanError.message, /moveX/);
          await new Promise((resolve) => setTimeout(resolve, 200));
          assert.equal(me(a).ack, before.ack);

          // Fire on every input for ~1 s: no more shots than the cooldown allows (counted server-side in the events).
          await waitForState(a, (s) => s.phase === "active", 10_000);
          const owned = new Set<string>();
          const collect = (state: AnyState) =>
            state.projectiles.forEach((p: AnyState, key: string) => {
              if (p.owner === a.sessionId) owned.add(key);
            });
          a.onStateChange(collect);
          seq = await stream(a, seq, 30, { fire: true, aim: dir > 0 ? 0 : Math.PI });
          await waitForState(a, (s) => s.players.get(a.sessionId).ack === seq - 1);
          a.onStateChange.remove(collect);
          assert.ok(
            owned.size >= 2 && owned.size <= Math.ceil(1000 / DEFAULT_TUNING.fireCooldownMs) + 1,
            `${owned.size} shots`,
          );
        });

        it("kicks a client after repeated invalid inputs with KickedInvalidInput", async () => {
          const { rooms } = await launch(server, "duel", 2);
          const [a, b] = rooms as [ClientRoom, ClientRoom];
          const left = nextLeave(a);
          for (let i = 0; i < 12; i++) a.send("input", input(1, { aim: "north" }));
          assert.equal(await left, CloseCode.KickedInvalidInput);
          assert.equal(b.connection.isOpen, true);
        });

        it("a burst of inputs read at once (as a stalled server reads them) drops the excess but does not kick", async () => {
          const { rooms } = await launch(server, "duel", 2);
          const [a] = rooms as [ClientRoom, ClientRoom];
          await waitForState(a, (s) => s.phase === "active");
          const errors: unknown[] = [];
          a.onMessage("error", (error) => errors.push(error));
          let played = false;
          const kicked = nextLeave(a).then((code) => {
            if (!played) assert.fail(`the client was closed with ${code}`);
          });
          // 40 fresh inputs in one go: more than the burst capacity (16) and the strike budget (10) together.
          for (let seq = 1; seq <= 40; seq++) a.send("input", input(seq));
          // The client plays on: inputs sent at its pace after the burst are applied.
          await Promise.race([
            kicked,
            stream(a, 41, 10).then(() => waitForState(a, (s) => s.players.get(a.sessionId)?.ack >= 41)),
          ]);
          played = true;
          assert.deepEqual(errors, [], "no strike was reported");
          const metrics = await (await fetch(`${server.baseUrl}/metrics`)).text();
          const excess = Number(/^arena_inputs_excess_total\{[^}]*\} (\d+)/m.exec(metrics)?.[1]);
          assert.ok(excess >= 24, `${excess} inputs counted as excess`);
        });

        it("inputs still arriving after matchEnd are ignored: the client is closed with MatchEnded, not kicked", async () => {
          const { rooms } = await launch(server, "duel", 2);
          const [a] = rooms as [ClientRoom, ClientRoom];
          const closed = nextLeave(a);
          let seq = 1;
          let over = false;
          const ended = a.waitForMessage("matchEnd", 30_000).then(() => {
            over = true;
          });
          // Like the browser client: one input per tick, through the end and until the room closes.
          let open = true;
          void closed.then(() => {
            open = false;
          });
          while (open) {
            a.send("input", input(seq++, { moveX: over ? 1 : 0 }));
            await new Promise((resolve) => setTimeout(resolve, 1000 / 30));
          }
          await ended;
          assert.equal(await closed, CloseCode.MatchEnded);
        });

        it("shows each client only what is near it, its own player always, and a teammate at any distance", async () => {
          const { rooms } = await launch(server, "squad", 4);
          await Promise.all(
            rooms.map((room) => waitForState(room, (s) => s.players.get(room.sessionId) !== undefined)),
          );
          // Once every client sees its teammate, the views have been refreshed after the last join.
          await Promise.all(
            rooms.map((room) =>
              waitForState(room, (s) => {
                const mine = s.players.get(room.sessionId);
                return [...s.players.values()].filter((p: AnyState) => p.team === mine.team).length === 2;
              }),
            ),
          );
          for (const room of rooms) {
            const state = room.state;
            const mine = state.players.get(room.sessionId);
            assert.ok(mine, "own player visible");
            state.players.forEach((p: AnyState, key: string) => {
              const far = Math.hypot(p.x - mine.x, p.y - mine.y) > 900 + 50;
              if (far) assert.equal(p.team, mine.team, `${key} is far and visible but not a teammate`);
            });
            // Everyone in squad has exactly one teammate, visible wherever it is.
            const mates = [...state.players.values()].filter((p: AnyState) => p.team === mine.team);
            assert.equal(mates.length, 2);
          }
          // Spawns are spread, so at least one client does not see every player.
          assert.ok(
            rooms.some((room) => room.state.players.size < 4),
            "interest management filtered someone",
          );
        });

        it("a far enemy becomes visible when it comes near", async () => {
          const { rooms } = await launch(server, "duel", 2);
          const [a, b] = rooms as [ClientRoom, ClientRoom];
          await waitForState(a, (s) => s.players.get(a.sessionId) !== undefined);
          await waitForState(b, (s) => s.players.get(b.sessionId) !== undefined);
          assert.equal(a.state.players.size, 1, "the enemy starts out of view");
          const towards = (room: ClientRoom, other: ClientRoom) => {
            const mine = me(room);
            const target = me(other);
            return { moveX: Math.sign(target.x - mine.x), moveY: Math.sign(target.y - mine.y) };
          };
          const goalA = towards(a, b);
          const goalB = towards(b, a);
          let seq = 1;
          const visible = waitForState(a, (s) => s.players.size === 2, 20_000);
          let done = false;
          visible.then(
            () => {
              done = true;
            },
            () => {
              done = true;
            },
          );
          while (!done) {
            a.send("input", input(seq, goalA));
            b.send("input", input(seq, goalB));
            seq += 1;
            await new Promise((resolve) => setTimeout(resolve, 1000 / 30));
          }
          const state = await visible;
          const other = [...state.players.entries()].find(([key]: [string]) => key !== a.sessionId)![1];
          assert.ok(Math.hypot(other.x - me(a).x, other.y - me(a).y) <= 900 + 50);
        });

        it("seats the roster's bots at creation, so one human and one bot make a full duel", async () => {
          const { rooms, server: room } = await launch(server, "duel", 1, 1);
          const [a] = rooms as [ClientRoom];
          const state = await waitForState(a, (s) => s.phase !== "waiting");
          assert.ok(state, "one human plus a roster bot is a full duel");
          const bot = [...room.state.players.values()].find((p) => p.bot);
          assert.ok(bot, "the bot is seated");
          assert.equal(room.state.players.size, 2);
        });
      });
    }
  });
}
