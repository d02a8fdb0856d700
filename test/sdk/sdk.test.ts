/**
 * The SDK (@arena/sdk, sdk/) against one real server (PGlite, in-process presence) with short-lived access tokens
 * (ACCESS_TOKEN_TTL_SEC=4) and bot fill after 2 s: accounts and token rotation, typed HTTP calls and errors,
 * findMatch, rejoin after drops and 4010, lobby chat, and the README's example bot as a real child process.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { readFileSync } from "node:fs";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import path from "node:path";
import { matchMaker } from "@colyseus/core";
import {
  ApiError,
  ArenaClient,
  type ArenaClientOptions,
  LocalStorage,
  type MatchHandle,
  MemoryStorage,
  SearchCancelledError,
  type StorageKey,
  type TokenStorage,
} from "@arena/sdk";
import * as wire from "../../sdk/src/wire.ts";
import type { Connect4Protocol } from "../../src/games/connect4/protocol.ts";
import * as protocol from "../../src/protocol.ts";
import { bootTestServer, type TestServer } from "../helpers/server.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");
const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Every request the client made: method, path, status and the JSON body it sent. */
interface Call {
  method: string;
  path: string;
  status: number;
  body: unknown;
}

let addresses = 0;

/**
 * A fetch from its own client address (X-Forwarded-For, which the test server trusts from loopback, so the per-IP
 * limits on new guests count each test client apart) that records what passes through it to the real server
 * (nothing is answered in its place).
 */
function clientFetch(calls: Call[] = []): typeof fetch {
  const address = `10.77.${Math.floor(addresses / 250)}.${(addresses++ % 250) + 1}`;
  return async (input, init) => {
    const headers = { ...(init?.headers as Record<string, string>), "x-forwarded-for": address };
    const res = await fetch(input, { ...init, headers });
    const url = new URL(String(input));
    calls.push({
      method: init?.method ?? "GET",
      path: url.pathname,
      status: res.status,
      body: typeof init?.body === "string" ? JSON.parse(init.body) : undefined,
    });
    return res;
  };
}

let guests = 0;
const deviceId = () => `sdk-test-device-${process.pid}-${Date.now()}-${guests++}`;

/** Waits until `check` holds (at most `ms`). */
async function until(check: () => boolean, what: string, ms = 15_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe("@arena/sdk against a real server", function () {
  this.timeout(60_000);
  let server: TestServer;
  const clients: ArenaClient[] = [];
  const matches: MatchHandle<Connect4Protocol>[] = [];

  function client(options: ArenaClientOptions = {}): ArenaClient {
    const made = new ArenaClient({ baseUrl: server.baseUrl, fetch: clientFetch(), ...options });
    clients.push(made);
    return made;
  }

  before(async () => {
    server = await bootTestServer({
      database: "pglite",
      redis: false,
      env: { ACCESS_TOKEN_TTL_SEC: "4", BOT_FILL_SEC: "2", TURN_TIME_SEC: "30", ROOM_JOINS_PER_MIN: "1000" },
    });
  });
  afterEach(async () => {
    for (const match of matches.splice(0)) await match.leave();
    for (const made of clients.splice(0)) made.close();
  });
  after(async () => {
    await server.close();
  });

  it("the wire constants are one definition: src/protocol.ts re-exports the SDK's wire module", () => {
    assert.equal(protocol.CloseCode, wire.CloseCode);
    assert.equal(protocol.ErrorCode, wire.ErrorCode);
    assert.equal(protocol.RoomErrorCode, wire.RoomErrorCode);
    assert.equal(protocol.ServerMessage, wire.ServerMessage);
    assert.equal(protocol.RoomName.Matchmaking, wire.FrameworkRoom.Matchmaking);
    assert.equal(protocol.RoomName.Chat, wire.FrameworkRoom.Chat);
    assert.equal(protocol.ClientMessage.Chat, wire.FrameworkClientMessage.Chat);
    assert.equal(protocol.ClientMessage.Message, wire.FrameworkClientMessage.Message);
  });

  it("guest, link, logout, login, resume: the storage keeps the device id and the login", async () => {
    const storage = new MemoryStorage();
    const arena = client({ storage });
    const signedOut: string[] = [];
    arena.on("signedOut", ({ reason }) => signedOut.push(reason));
    const guest = await arena.guest();
    assert.equal(guest.guest, true);
    assert.equal(arena.colyseus.auth.token, arena.accessToken, "the Colyseus auth token follows the access token");
    const stored = storage.get("deviceId");
    assert.ok(stored !== undefined && stored.length >= 16, "a device id is made once and kept");
    assert.equal((await client({ storage }).guest()).id, guest.id, "the same device is the same guest");

    const username = `sdk_${Date.now().toString(36)}`;
    const linked = await arena.link(username, "a long sdk password 1");
    assert.deepEqual([linked.id, linked.guest, linked.username], [guest.id, false, username]);

    const resumed = client({ storage });
    assert.equal((await resumed.resume())?.id, guest.id, "resume() continues the stored login");

    await resumed.logout();
    assert.equal(storage.get("refreshToken"), undefined, "logout forgets the login");
    await assert.rejects(resumed.me(), (error: ApiError) => error instanceof ApiError && error.status === 401);
    assert.equal(await client({ storage }).resume(), undefined, "nothing to resume after a logout");

    const again = await client().login(username, "a long sdk password 1");
    assert.equal(again.id, guest.id);
    assert.deepEqual(signedOut, []);
  });

  it("refreshes before the access token expires (timer at 80 % of expiresIn): the token in memory stays valid", async () => {
    const arena = client();
    let refreshed = 0;
    arena.on("refreshed", () => refreshed++);
    await arena.guest(deviceId());
    const first = arena.accessToken;
    // ACCESS_TOKEN_TTL_SEC=4: the first token is dead after 4 s; nothing is called meanwhile.
    await sleep(4_500);
    assert.ok(refreshed >= 1, "refreshed by the timer");
    assert.notEqual(arena.accessToken, first);
    assert.equal(arena.colyseus.auth.token, arena.accessToken, "the Colyseus auth token follows");
    const res = await fetch(`${server.baseUrl}/players/me`, {
      headers: { authorization: `Bearer ${arena.accessToken}` },
    });
    assert.equal(res.status, 200, "the token in memory is valid without any 401 first");
  });

  it("a 401 refreshes once and retries; concurrent callers share one refresh", async () => {
    const calls: Call[] = [];
    const arena = client({ refreshAt: null, fetch: clientFetch(calls) });
    const player = await arena.guest(deviceId());
    await sleep(4_500); // the access token has expired; no timer renewed it
    calls.length = 0;
    const answers = await Promise.all(Array.from({ length: 5 }, () => arena.me()));
    assert.ok(answers.every((me) => me.id === player.id));
    const refreshes = calls.filter((call) => call.path === "/auth/refresh");
    assert.equal(refreshes.length, 1, "one refresh for five concurrent 401s");
    assert.equal(refreshes[0]!.status, 200);
    const me = calls.filter((call) => call.path === "/players/me").map((call) => call.status);
    assert.deepEqual(me.sort(), [200, 200, 200, 200, 200, 401, 401, 401, 401, 401]);
  });

  it("never presents a spent refresh token twice, even when the storage keeps returning it", async () => {
    /** A storage whose writes after the first are lost: it keeps offering the first refresh token. */
    class StaleStorage implements TokenStorage {
      private readonly values = new Map<StorageKey, string>();
      get(key: StorageKey) {
        return this.values.get(key);
      }
      set(key: StorageKey, value: string) {
        if (!this.values.has(key)) this.values.set(key, value);
      }
      remove(key: StorageKey) {
        this.values.delete(key);
      }
    }
    const calls: Call[] = [];
    const arena = client({ refreshAt: null, storage: new StaleStorage(), fetch: clientFetch(calls) });
    await arena.guest(deviceId());
    await arena.refresh();
    await arena.refresh();
    const presented = calls
      .filter((call) => call.path === "/auth/refresh")
      .map((call) => (call.body as { refreshToken: string }).refreshToken);
    assert.equal(presented.length, 2);
    assert.notEqual(presented[0], presented[1], "the second refresh presents the new token, not the spent one");
    assert.deepEqual(
      calls.filter((call) => call.path === "/auth/refresh").map((call) => call.status),
      [200, 200],
    );
    await arena.me(); // the login survives (a spent token presented would have revoked it)
  });

  for (const adapter of ["MemoryStorage", "LocalStorage"] as const) {
    it(`clients sharing one ${adapter} renew at the same moment without revoking their login`, async () => {
      const values = new Map<string, string>();
      const storage =
        adapter === "MemoryStorage"
          ? new MemoryStorage()
          : new LocalStorage("arena.", {
              getItem: (key) => values.get(key) ?? null,
              setItem: (key, value) => void values.set(key, value),
              removeItem: (key) => void values.delete(key),
            });
      const calls: Call[] = [];
      const tabs = [
        client({ refreshAt: null, storage, fetch: clientFetch(calls) }),
        client({ refreshAt: null, storage, fetch: clientFetch(calls) }),
        client({ refreshAt: null, storage, fetch: clientFetch(calls) }),
      ] as const;
      const player = await tabs[0].guest(deviceId());
      assert.equal((await tabs[1].resume())?.id, player.id);
      assert.equal((await tabs[2].resume())?.id, player.id);
      // Three renewals started in the same tick, three times: each reads the stored refresh token the one before it
      // stored, never the same one twice.
      for (let round = 0; round < 3; round++) await Promise.all(tabs.map((tab) => tab.refresh()));
      const refreshes = calls.filter((call) => call.path === "/auth/refresh");
      assert.deepEqual(
        refreshes.map((call) => call.status),
        Array(11).fill(200),
        "every renewal succeeded (two resumes, nine renewals)",
      );
      const presented = refreshes.map((call) => (call.body as { refreshToken: string }).refreshToken);
      assert.equal(new Set(presented).size, presented.length, "no refresh token presented twice");
      for (const tab of tabs) assert.equal((await tab.me()).id, player.id);
    });
  }

  it("a refused refresh (401) signs the client out and emits signedOut", async () => {
    const storage = new MemoryStorage();
    const arena = client({ refreshAt: null, storage });
    await arena.guest(deviceId());
    // Another client spends the same refresh token first: presenting it again is refused, and revokes the login.
    const copied = new MemoryStorage();
    copied.set("refreshToken", storage.get("refreshToken")!);
    await client({ refreshAt: null, storage: copied }).refresh();
    const signedOut: string[] = [];
    arena.on("signedOut", ({ reason }) => signedOut.push(reason));
    await assert.rejects(arena.refresh(), (error: ApiError) => error.status === 401);
    assert.deepEqual(signedOut, ["refresh-refused"]);
    assert.equal(arena.signedIn, false);
    assert.ok(!arena.colyseus.auth.token, "the Colyseus auth token is cleared");
    assert.equal(storage.get("refreshToken"), undefined);
    await assert.rejects(arena.me(), (error: ApiError) => error.status === 401 && error.code === "UNAUTHORIZED");
  });

  it("typed HTTP: games, profile, region, blocks, leaderboards, sessions, and ApiError with status, code and field", async () => {
    const arena = client();
    const me = await arena.guest(deviceId());
    const other = await client().guest(deviceId());
    const games = await arena.games();
    assert.ok(games.some((game) => game.id === "connect4" && game.modes.some((mode) => mode.id === "duel")));
    assert.equal((await arena.player(other.id)).id, other.id);
    assert.equal((await arena.setRegion(me.region)).region, me.region);

    await arena.block(other.id);
    await arena.unblock(other.id);
    const self = await arena.block(me.id).catch((error: unknown) => error);
    assert.ok(
      self instanceof ApiError && self.status === 400 && self.code === "INVALID_INPUT",
      "blocking oneself is refused",
    );

    const boards = await arena.leaderboards();
    assert.ok(boards.some((board) => board.id === "rating"));
    const page = await arena.leaderboard("rating", { limit: 5 });
    assert.ok(Array.isArray(page.entries) && typeof page.total === "number");
    const rank = await arena.leaderboardRank("rating", "nobody").catch((error: unknown) => error);
    assert.ok(rank instanceof ApiError && rank.status === 404 && rank.code === "NOT_FOUND");
    const around = await arena.leaderboardAround("rating", "nobody").catch((error: unknown) => error);
    assert.ok(around instanceof ApiError && around.status === 404);

    assert.ok(Array.isArray(await arena.sessions({ status: "ended", limit: 3 })));
    const bad = await arena.sessions({ limit: 1000 }).catch((error: unknown) => error);
    assert.ok(bad instanceof ApiError && bad.status === 400 && bad.field === "limit", "400 names the field");
    const missing = await arena.session("no-such-session").catch((error: unknown) => error);
    assert.ok(missing instanceof ApiError && missing.status === 404);
    const login = await client()
      .login("nobody_here", "wrong password")
      .catch((error: unknown) => error);
    assert.ok(login instanceof ApiError && login.status === 401 && login.code === "UNAUTHORIZED");
    const register = await client()
      .register("x", "short")
      .catch((error: unknown) => error);
    assert.ok(register instanceof ApiError && register.status === 400 && register.field === "username");
    const unreachable = await new ArenaClient({ baseUrl: "http://127.0.0.1:9" })
      .games()
      .catch((error: unknown) => error);
    assert.ok(unreachable instanceof ApiError && unreachable.status === 0 && unreachable.code === "NETWORK_ERROR");
  });

  it("a server that stops answering (before its headers, or in the middle of its body) is a TIMEOUT, not a hang", async () => {
    const sockets = new Set<import("node:net").Socket>();
    const stalling = createServer((req, res) => {
      // /games: headers and half a body, then nothing; anything else: not even headers.
      if (req.url === "/games") {
        res.writeHead(200, { "content-type": "application/json" });
        res.write('{"games":[');
      }
    });
    stalling.on("connection", (socket) => sockets.add(socket));
    await new Promise<void>((resolve) => stalling.listen(0, "127.0.0.1", resolve));
    try {
      const { port } = stalling.address() as AddressInfo;
      const stalled = new ArenaClient({ baseUrl: `http://127.0.0.1:${port}`, requestTimeoutMs: 300 });
      for (const call of [() => stalled.games(), () => stalled.guest("stalled-device")]) {
        const error = await call().catch((e: unknown) => e);
        assert.ok(error instanceof ApiError, `an ApiError, not ${String(error)}`);
        assert.equal(error.status, 0);
        assert.equal(error.code, "TIMEOUT");
      }
    } finally {
      for (const socket of sockets) socket.destroy();
      await new Promise((resolve) => stalling.close(resolve));
    }
  });

  it("findMatch: two players are seated in one match, with status events; the typed room plays", async () => {
    const [a, b] = [client(), client()];
    const [pa, pb] = await Promise.all([a.guest(deviceId()), b.guest(deviceId())]);
    const searches = [a, b].map((arena) => arena.findMatch<Connect4Protocol>({ game: "connect4", mode: "duel" }));
    const statuses: number[] = [];
    searches[0]!.on("status", (status) => statuses.push(status.queued));
    const [ma, mb] = await Promise.all(searches.map((search) => search.match));
    matches.push(ma!, mb!);
    assert.equal(ma!.id, mb!.id, "the same match");
    assert.equal(ma!.game, "connect4");
    assert.ok(statuses.length >= 1, "status while searching");
    await until(() => ma!.state.phase === "active", "the match to start");
    const players = [...ma!.state.players.values()].map((p) => p.playerId).sort();
    assert.deepEqual(players, [pa.id, pb.id].sort(), "human against human");
    const [first, second] =
      ma!.state.turn === ma!.state.players.get(ma!.room.sessionId)!.seat ? [ma!, mb!] : [mb!, ma!];
    const refusals: string[] = [];
    second.onMessage("error", (error) => refusals.push(error.code));
    second.send("move", { column: 0 });
    await until(() => refusals.length > 0, "the refusal");
    assert.deepEqual(refusals, ["NOT_YOUR_TURN"]);
    first.send("move", { column: 3 });
    await until(() => second.state.board[38] !== 0, "the move on the other's board");
  });

  it("cancel() leaves the search: match rejects with SearchCancelledError and the player may search again", async () => {
    const arena = client();
    await arena.guest(deviceId());
    const search = arena.findMatch<Connect4Protocol>({ game: "connect4", mode: "duel" });
    await new Promise((resolve) => search.once("status", resolve));
    await search.cancel();
    await assert.rejects(search.match, SearchCancelledError);
    const again = arena.findMatch<Connect4Protocol>({ game: "connect4", mode: "duel" });
    await new Promise((resolve) => again.once("status", resolve)); // a second search would be refused (409) while one runs
    await again.cancel();
    const refused = arena.findMatch({ game: "connect4", mode: "nope" });
    await assert.rejects(refused.match, (error: ApiError) => error.status === 400);
  });

  /** A guest alone in a Connect Four match against the bot (BOT_FILL_SEC=2), active. */
  async function botMatch(arena: ArenaClient): Promise<MatchHandle<Connect4Protocol>> {
    await arena.guest(deviceId());
    const match = await arena.findMatch<Connect4Protocol>({ game: "connect4", mode: "duel" }).match;
    matches.push(match);
    await until(() => match.state.phase === "active", "the bot match to start");
    return match;
  }

  function serverClientOf(match: MatchHandle<Connect4Protocol>) {
    const room = matchMaker.getLocalRoomById(match.id);
    assert.ok(room, "the match runs here");
    const held = room.clients.find((c) => c.sessionId === match.room.sessionId);
    assert.ok(held, "the player's connection is in the room");
    return held;
  }

  it("a dropped socket (inside the SDK's 5 s minimum uptime, 1006): back through POST /sessions/:id/rejoin with a new seat, handlers re-attached", async () => {
    const calls: Call[] = [];
    const arena = client({ fetch: clientFetch(calls) });
    const match = await botMatch(arena);
    const before = match.room;
    const oldSession = before.sessionId;
    const events: string[] = [];
    match.on("dropped", () => events.push("dropped"));
    match.on("rejoining", ({ via }) => events.push(`rejoining:${via}`));
    const rejoined = new Promise((resolve) => match.once("rejoined", resolve));
    const refusals: string[] = [];
    match.onMessage("error", (error) => refusals.push(error.code));
    (serverClientOf(match).ref as unknown as { terminate(): void }).terminate();
    await rejoined;
    // As the browser client always did (test/browser/client.test.ts, "a socket lost in the match's first seconds").
    assert.deepEqual(events, ["dropped", "rejoining:rejoin"]);
    assert.equal(calls.filter((call) => call.path === `/sessions/${match.id}/rejoin`).length, 1);
    assert.notEqual(match.room, before, "a new Colyseus room");
    assert.equal(match.room.roomId, match.id, "the same match");
    assert.notEqual(match.room.sessionId, oldSession, "a new seat");
    // The handler registered before the drop hears the new room.
    match.send("move", { column: 99 } as never);
    await until(() => refusals.length > 0, "a refusal through the new room");
    assert.deepEqual(refusals, ["INVALID_MESSAGE"]);
  });

  it("autoRejoin: false: a dropped socket ends the handle (lost, dropped) without getting back in; arena.rejoin still does", async () => {
    const calls: Call[] = [];
    const arena = client({ autoRejoin: false, fetch: clientFetch(calls) });
    const match = await botMatch(arena);
    const events: string[] = [];
    match.on("dropped", ({ code }) => events.push(`dropped:${code}`));
    match.on("rejoining", ({ via }) => events.push(`rejoining:${via}`));
    match.on("rejoined", () => events.push("rejoined"));
    (serverClientOf(match).ref as unknown as { terminate(): void }).terminate();
    const outcome = await match.done;
    assert.equal(outcome.kind, "lost");
    assert.ok(
      outcome.kind === "lost" && outcome.reason === "dropped" && outcome.code === 1006,
      JSON.stringify(outcome),
    );
    assert.deepEqual(events, ["dropped:1006"], "no attempt to get back in");
    await sleep(300);
    assert.equal(calls.filter((call) => call.path.endsWith("/rejoin")).length, 0, "the rejoin route was not called");
    const server_ = matchMaker.getLocalRoomById(match.id)!;
    assert.ok(
      server_.clients.every((c) => c.sessionId !== match.room.sessionId),
      "the old connection stays gone",
    );
    const back = await arena.rejoin<Connect4Protocol>(match.id);
    matches.push(back);
    assert.notEqual(back.room.sessionId, match.room.sessionId, "a new seat through the rejoin route");
    await until(() => back.state.players.get(back.room.sessionId)?.connected === true, "the new seat taken");
  });

  it("a 4010 close: back through POST /sessions/:id/rejoin with a new seat in the same match", async () => {
    const calls: Call[] = [];
    const arena = client({ fetch: clientFetch(calls) });
    const match = await botMatch(arena);
    const oldSession = match.room.sessionId;
    const rejoined = new Promise((resolve) => match.once("rejoined", resolve));
    const vias: string[] = [];
    match.on("rejoining", ({ via }) => vias.push(via));
    serverClientOf(match).leave(protocol.CloseCode.MayTryReconnect);
    await rejoined;
    assert.deepEqual(vias, ["rejoin"], "straight to the rejoin route (the held seat is of no use)");
    assert.equal(calls.filter((call) => call.path === `/sessions/${match.id}/rejoin`).length, 1);
    assert.equal(match.room.roomId, match.id);
    assert.notEqual(match.room.sessionId, oldSession, "a new seat");
    await until(() => match.state.players.get(match.room.sessionId)?.connected === true, "the player back in its seat");
  });

  it("rejoin(sessionId) after a reload: a new client on the same storage gets back into the match", async () => {
    const storage = new MemoryStorage();
    const first = client({ storage });
    const match = await botMatch(first);
    // The tab closes: the connection goes (the seat is held), and so does its refresh timer.
    await match.drop();
    first.close();
    const reloaded = client({ storage });
    const me = await reloaded.resume();
    assert.equal(me?.currentSessionId, match.id, "player.currentSessionId names the match");
    const back = await reloaded.rejoin<Connect4Protocol>(me!.currentSessionId!);
    matches.push(back);
    assert.equal(back.id, match.id);
    await until(() => back.state.players.get(back.room.sessionId)?.connected === true, "the new seat taken");
    const ended = await reloaded.rejoin("no-such-session").catch((error: unknown) => error);
    assert.ok(ended instanceof ApiError && ended.status >= 400 && ended.status < 500, "a final refusal, not a hang");
  });

  it("a match handle ends with matchEnd: `ended` with the result, and `done`", async () => {
    const arena = client();
    const me = await arena.guest(deviceId());
    const match = await arena.findMatch<Connect4Protocol>({ game: "connect4", mode: "duel" }).match;
    const ended = new Promise<{ cancelled: boolean }>((resolve) => match.once("ended", resolve));
    await until(() => match.state.phase === "active", "the match to start");
    match.onStateChange((state) => {
      const mine = state.players.get(match.room.sessionId);
      if (state.turn !== mine?.seat || state.phase !== "active") return;
      const column = [0, 1, 2, 3, 4, 5, 6].find((c) => state.board[c] === 0);
      if (column !== undefined) match.send("move", { column });
    });
    const outcome = await match.done;
    assert.equal(outcome.kind, "ended");
    assert.equal((await ended).cancelled, false);
    assert.ok(outcome.kind === "ended" && outcome.result.results.some((row) => row.playerId === me.id));
    // Leaving an ended match closes its room now, not when the server gets to close it.
    await match.leave();
    assert.equal(match.room.connection.isOpen, false, "the room is closed once leave() resolves");
  });

  it("lobby chat: history, messages between players, refusals as `error`", async () => {
    const [a, b] = [client(), client()];
    await Promise.all([a.guest(deviceId()), b.guest(deviceId())]);
    const chatA = await a.joinChat("global");
    const history = new Promise((resolve) => chatA.once("history", resolve));
    const chatB = await b.joinChat("global");
    const lines: string[] = [];
    chatB.on("message", (line) => lines.push(line.text));
    const refusals: string[] = [];
    chatA.on("error", (error) => refusals.push(error.code));
    await history;
    assert.ok(chatA.send(`hello from the sdk ${Date.now()}`));
    await until(() => lines.length > 0, "the line");
    assert.match(lines[0]!, /^hello from the sdk/);
    chatA.send("\u200b");
    await until(() => refusals.length > 0, "the refusal");
    assert.deepEqual(refusals, ["INVALID_MESSAGE"]);
    const shard = chatA.room?.roomId;
    assert.ok(typeof shard === "string" && shard.length > 0, "chat.room is the channel's Colyseus room");
    assert.equal(chatB.room?.roomId, shard, "both in the channel's one shard");
    await Promise.all([chatA.leave(), chatB.leave()]);
    assert.equal(chatA.isConnected, false);
    assert.equal(chatA.room, undefined, "no room once left");
  });

  describe("misuse by a client author", () => {
    /** A storage whose every call throws (a full disk, a locked keychain, Safari's private mode). */
    const broken: TokenStorage = {
      get: () => {
        throw new Error("storage: get failed");
      },
      set: () => {
        throw new Error("storage: set failed");
      },
      remove: () => {
        throw new Error("storage: remove failed");
      },
    };

    it("a storage adapter that throws: guest, refresh and logout go on from memory", async () => {
      const arena = client({ storage: broken });
      const signedOut: string[] = [];
      arena.on("signedOut", ({ reason }) => signedOut.push(reason));
      const guest = await arena.guest();
      assert.equal(guest.guest, true);
      await arena.refresh();
      assert.equal((await arena.me()).id, guest.id);
      await arena.logout();
      assert.equal(arena.signedIn, false);
      assert.deepEqual(signedOut, ["logout"]);
    });

    it("concurrent guest() calls on a fresh storage sign in one guest, the one the storage remembers", async () => {
      const storage = new MemoryStorage();
      const arena = client({ storage });
      const [a, b] = await Promise.all([arena.guest(), arena.guest()]);
      assert.equal(a.id, b.id, "one device id, one guest");
      assert.equal((await client({ storage }).guest()).id, a.id);
    });

    it("logout() while a refresh is in flight leaves the client signed out and forgets the login", async () => {
      const storage = new MemoryStorage();
      await client({ storage }).guest(deviceId());
      const reloaded = client({ storage });
      const resumed = reloaded.resume().catch((error: unknown) => error);
      await reloaded.logout();
      await resumed;
      await sleep(100);
      assert.equal(reloaded.signedIn, false, "signed out");
      assert.equal(storage.get("refreshToken"), undefined, "the login is forgotten");
    });

    it("rejoin() with a malformed session id is refused at once with an ApiError, never retried", async () => {
      const calls: Call[] = [];
      const arena = client({ fetch: clientFetch(calls), rejoinPatienceMs: 20_000 });
      await arena.guest(deviceId());
      for (const id of ["../", "..%2f..", "ünï☃de", "\ud800", "x".repeat(20_000)]) {
        calls.length = 0;
        await assert.rejects(
          arena.rejoin(id),
          (error: ApiError) => error instanceof ApiError && error.status >= 400 && error.status < 500,
          `rejoin(${JSON.stringify(id.slice(0, 20))})`,
        );
        assert.ok(calls.length <= 1, `rejoin(${JSON.stringify(id.slice(0, 20))}) asked ${calls.length} times`);
      }
    });

    it("cancel() as the seat arrives: match rejects with SearchCancelledError and the player is not left in a match", async () => {
      const arena = client();
      const player = await arena.guest(deviceId());
      const search = arena.findMatch<Connect4Protocol>({ game: "connect4", mode: "duel" });
      await new Promise((resolve) => search.once("status", resolve));
      const room = (search as unknown as { room: { roomId: string; sessionId: string } }).room;
      const held = matchMaker.getLocalRoomById(room.roomId)?.clients.find((c) => c.sessionId === room.sessionId);
      assert.ok(held, "the search's connection is in the matchmaking room");
      // The caller cancels just as the server sends the seat (the bot fills the match after BOT_FILL_SEC).
      const send = held.send.bind(held);
      held.send = ((type: string, message: unknown) => {
        send(type as never, message as never);
        if (type === wire.ServerMessage.Seat) void search.cancel();
      }) as typeof held.send;
      await assert.rejects(search.match, SearchCancelledError);
      // Long enough for a seat the SDK took anyway to be consumed and its match room joined.
      await sleep(1_500);
      const connected = (await matchMaker.query({ name: "connect4" })).flatMap(
        (listed) => matchMaker.getLocalRoomById(listed.roomId)?.clients ?? [],
      );
      assert.deepEqual(
        connected
          .filter((c) => (c.auth as { playerId?: string } | undefined)?.playerId === player.id)
          .map((c) => c.sessionId),
        [],
        "the cancelled search left no connection in a match",
      );
    });
  });

  it("README's example is sdk/examples/bot.ts, verbatim, and it plays a Connect Four match to a result", async () => {
    const readme = readFileSync(path.join(ROOT, "sdk/README.md"), "utf8");
    const example = readFileSync(path.join(ROOT, "sdk/examples/bot.ts"), "utf8");
    const block = /```ts bot\n([\s\S]*?)```/.exec(readme)?.[1];
    assert.equal(block, example, "the README shows the example file as it is");

    const child = spawn(process.execPath, ["--conditions=arena-source", "--import", "tsx", "sdk/examples/bot.ts"], {
      cwd: ROOT,
      env: { PATH: process.env.PATH, HOME: process.env.HOME, ARENA_URL: server.baseUrl },
    });
    let out = "";
    child.stdout.on("data", (chunk: Buffer) => (out += chunk.toString()));
    child.stderr.on("data", (chunk: Buffer) => (out += chunk.toString()));
    const code = await new Promise<number | null>((resolve) => child.on("exit", resolve));
    assert.equal(code, 0, out);
    assert.match(out, /searching: /);
    assert.match(out, /result: (win|loss|draw) \(\d+ moves\)/, out);
  });
});
