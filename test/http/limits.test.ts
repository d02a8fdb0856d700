/**
 * Every limit holds exactly at its value and refuses one past it: HTTP body (16 KiB), WebSocket frame (4 KiB),
 * messages per second, room requests per IP per minute, MAX_CCU, MAX_ROOMS; the Origin allowlist; and no room can be
 * created (or joined) by an anonymous client.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import type { Room as ClientRoom } from "@colyseus/sdk";
import { MAX_WS_PAYLOAD_BYTES } from "../../arena.config.ts";
import { CloseCode, RoomErrorCode, RoomName } from "../../src/protocol.ts";
import { RegionFullError } from "../../src/services/matches/RegionPlacement.ts";
import { nextLeave } from "../helpers/peer.ts";
import {
  bootTestServer,
  leaveQuietly,
  jsonBody,
  postJson,
  refusal,
  type Registered,
  registerPlayer,
  sdkFor,
  type TestServer,
} from "../helpers/server.ts";
import { FaultyRoom } from "../rooms/FaultyRoom.ts";

function duelRoster(players: Registered[]) {
  return players.map((p, i) => ({ playerId: p.player.id, username: p.player.username, team: i, bot: false }));
}

describe("limits [pglite, in-process]", function () {
  this.timeout(60_000);
  let server: TestServer;
  let players: Registered[];
  const opened: ClientRoom[] = [];

  before(async () => {
    server = await bootTestServer({
      database: "pglite",
      redis: false,
      extraRooms: { faulty: FaultyRoom },
      env: { MAX_CCU: "3", MAX_ROOMS: "1", BOT_FILL_SEC: "0", ROOM_JOINS_PER_MIN: "1000" },
    });
    players = await Promise.all(Array.from({ length: 4 }, () => registerPlayer(server)));
  });
  after(() => server.close());
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((room) => leaveQuietly(room)));
    await server.colyseus.cleanup();
  });

  async function join(name: string, player: Registered, options: Record<string, unknown> = {}): Promise<ClientRoom> {
    const room = await sdkFor(server, player.accessToken).joinOrCreate(name, options);
    room.onMessage("*", () => {});
    opened.push(room);
    return room;
  }

  it("HTTP bodies: 16 KiB exactly is read, one byte more is 413", async () => {
    const send = (bytes: number) =>
      fetch(`${server.baseUrl}/auth/login`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        // {"pad":"xxx…"} is 10 bytes of JSON around the padding.
        body: JSON.stringify({ pad: "x".repeat(bytes - 10) }),
      });
    const atLimit = await send(16 * 1024);
    assert.equal(atLimit.status, 400, "read and validated (no username/password)");
    assert.equal((await jsonBody(atLimit)).error.code, "INVALID_INPUT");
    const over = await send(16 * 1024 + 1);
    assert.equal(over.status, 413);
    assert.equal((await jsonBody(over)).error.code, "PAYLOAD_TOO_LARGE");
  });

  it("WebSocket frames: 4 KiB exactly is accepted, one byte more closes the connection (1009)", async () => {
    const room = await join("faulty", players[0]!);
    // A frame of an unused protocol code: read and ignored by the room, but it crosses the transport's size check.
    const frame = (bytes: number) => new Uint8Array(bytes).fill(0x7f);
    room.connection.send(frame(MAX_WS_PAYLOAD_BYTES));
    const echo = room.waitForMessage("echo");
    room.send("echo", { text: "alive" });
    assert.equal((await echo).text, "alive", "still connected after a 4096-byte frame");
    const left = nextLeave(room);
    // A client's protocol error is the client's: Colyseus would print its stack to stderr for every such frame.
    const printed: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => printed.push(args);
    try {
      room.connection.send(frame(MAX_WS_PAYLOAD_BYTES + 1));
      assert.equal(await left, 1009, "message too big");
    } finally {
      console.error = consoleError;
    }
    assert.deepEqual(printed, [], "nothing printed to stderr for an oversized frame");
  });

  it("messages per second: the limit is served, one more is kicked with KickedFlood", async () => {
    const room = await join("faulty", players[0]!);
    const limit = (matchMaker.getLocalRoomById(room.roomId) as FaultyRoom)["messageLimits"].maxPerSecond;
    let echoes = 0;
    room.onMessage("echo", () => {
      echoes += 1;
    });
    const left = nextLeave(room);
    for (let i = 0; i < limit; i++) room.send("echo", { text: String(i) });
    while (echoes < limit) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(echoes, limit, "every message within the budget was served");
    room.send("echo", { text: "one more" });
    assert.equal(await left, CloseCode.KickedFlood);
  });

  it("MAX_CCU: the 3rd client joins, the 4th is refused with SERVER_FULL; a freed place is taken again", async () => {
    const first = await join("faulty", players[0]!);
    await join("faulty", players[1]!);
    await join("faulty", players[2]!);
    assert.equal(server.services.load.ccu, 3);
    const refused = await refusal(join("faulty", players[3]!));
    assert.match(refused.message, /SERVER_FULL: this server is full \(MAX_CCU 3\)/);
    assert.equal(server.services.load.ccu, 3, "the refused client holds no place");
    await first.leave();
    await join("faulty", players[3]!);
    assert.equal(server.services.load.ccu, 3);
  });

  it("MAX_CCU: seats the matchmaker promised are honoured past the cap (players move, they do not add)", async () => {
    const searches = [await join(RoomName.Matchmaking, players[0]!, { mode: "duel" })];
    searches.push(await join(RoomName.Matchmaking, players[1]!, { mode: "duel" }));
    const seats = await Promise.all(searches.map((room) => room.waitForMessage("seat", 10_000)));
    // Two searching clients (under the cap of 3) are placed; their 2 arena seats take the process to 4.
    const arenas = await Promise.all(seats.map((seat) => sdkFor(server).consumeSeatReservation(seat)));
    opened.push(...arenas);
    assert.equal(arenas[0]!.roomId, arenas[1]!.roomId);
    assert.ok(server.services.load.ccu >= 4, `past the cap through promised seats (${server.services.load.ccu})`);
  });

  it("MAX_ROOMS: the 1st arena is created, the 2nd is refused with a clear error until the 1st closes", async () => {
    const first = await server.services.launcher.launch({
      mode: "duel",
      region: "local",
      roster: duelRoster([players[0]!, players[1]!]),
    });
    assert.equal(server.services.load.matches, 1);
    const refused = await refusal(
      server.services.launcher.launch({
        mode: "duel",
        region: "local",
        roster: duelRoster([players[2]!, players[3]!]),
      }),
    );
    assert.ok(refused instanceof RegionFullError, `a RegionFullError (${refused.message})`);
    assert.match(refused.message, /every server of region local is full/);
    assert.equal(server.services.load.matches, 1, "nothing was created past the cap");

    // Matchmaking answers the same, to the players, and keeps them searching.
    const searching = [
      await join(RoomName.Matchmaking, players[2]!, { mode: "duel" }),
      await join(RoomName.Matchmaking, players[3]!, { mode: "duel" }),
    ];
    const errors = await Promise.all(searching.map((room) => room.waitForMessage("error", 10_000)));
    for (const error of errors) {
      assert.equal(error.code, RoomErrorCode.RegionFull);
      assert.match(error.message, /region local is full/);
    }
    assert.equal(server.services.load.matches, 1);

    await matchMaker.getLocalRoomById(first.sessionId)!.disconnect();
    const seats = await Promise.all(searching.map((room) => room.waitForMessage("seat", 15_000)));
    assert.equal(seats.length, 2, "the freed place went to the players still searching");
  });

  it("no room is created or joined by an anonymous client, whatever the method", async () => {
    for (const name of [RoomName.Arena, RoomName.Matchmaking, RoomName.Chat, "faulty"]) {
      for (const method of ["create", "joinOrCreate", "join"] as const) {
        const options = name === RoomName.Chat ? { channel: "global" } : { mode: "duel" };
        const refused = await refusal(sdkFor(server)[method](name, options));
        assert.ok(
          refused.code === 401 || refused.code === 403,
          `${method} ${name}: ${refused.code} ${refused.message}`,
        );
      }
    }
    assert.equal(server.services.load.ccu, 0);
    assert.equal(server.services.load.matches, 0);
  });
});

describe("room requests per IP [pglite, in-process]", function () {
  this.timeout(30_000);
  let server: TestServer;

  before(async () => {
    server = await bootTestServer({ database: "pglite", redis: false, env: { ROOM_JOINS_PER_MIN: "3" } });
  });
  after(() => server.close());

  it("ROOM_JOINS_PER_MIN=3: the 3rd request is served, the 4th is refused with 429", async () => {
    const player = await registerPlayer(server);
    const rooms: ClientRoom[] = [];
    for (let i = 0; i < 3; i++) {
      const room = await sdkFor(server, player.accessToken).joinOrCreate(RoomName.Chat, { channel: "global" });
      room.onMessage("*", () => {});
      rooms.push(room);
    }
    const refused = await refusal(
      sdkFor(server, player.accessToken).joinOrCreate(RoomName.Chat, { channel: "global" }),
    );
    assert.equal(refused.code, 429);
    assert.match(refused.message, /too many room requests; retry in \d+ s/);
    await Promise.all(rooms.map((room) => room.leave()));
  });
});

describe("Origin allowlist [pglite, in-process]", function () {
  this.timeout(30_000);
  const good = "https://play.example.com";
  const bad = "https://evil.example.net";
  let server: TestServer;

  before(async () => {
    server = await bootTestServer({ database: "pglite", redis: false, env: { ALLOWED_ORIGINS: good } });
  });
  after(() => server.close());

  it("HTTP: a listed origin gets CORS headers, another is 403 ORIGIN_NOT_ALLOWED, no Origin passes", async () => {
    const allowed = await postJson(
      server,
      "/auth/guest",
      { deviceId: "origin-test-device-1" },
      { headers: { origin: good } },
    );
    assert.equal(allowed.status, 200);
    assert.equal(allowed.headers.get("access-control-allow-origin"), good);
    const preflight = await fetch(`${server.baseUrl}/auth/guest`, {
      method: "OPTIONS",
      headers: { origin: good, "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 204);
    assert.match(preflight.headers.get("access-control-allow-headers") ?? "", /Authorization/);
    const refused = await postJson(
      server,
      "/auth/guest",
      { deviceId: "origin-test-device-2" },
      { headers: { origin: bad } },
    );
    assert.equal(refused.status, 403);
    assert.equal((await jsonBody(refused)).error.code, "ORIGIN_NOT_ALLOWED");
    const native = await postJson(server, "/auth/guest", { deviceId: "origin-test-device-3" });
    assert.equal(native.status, 200);
  });

  it("rooms: matchmaking requests and WebSocket handshakes from another origin are refused", async () => {
    const guest = await jsonBody(await postJson(server, "/auth/guest", { deviceId: "origin-test-device-4" }));
    const matchmake = (origin: string) =>
      fetch(`${server.baseUrl}/matchmake/joinOrCreate/${RoomName.Chat}`, {
        method: "POST",
        headers: { "content-type": "application/json", authorization: `Bearer ${guest.accessToken}`, origin },
        body: JSON.stringify({ channel: "global" }),
      });
    const refused = await matchmake(bad);
    assert.equal(refused.status, 403);
    const seat = await matchmake(good);
    assert.equal(seat.status, 200, await seat.clone().text());
    const reservation = (await seat.json()) as { processId: string; roomId: string; sessionId: string };

    const { WebSocket } = await import("ws");
    const upgrade = (origin: string) =>
      new Promise<number>((resolve) => {
        const url = `${server.baseUrl.replace("http", "ws")}/${reservation.processId}/${reservation.roomId}?sessionId=${reservation.sessionId}`;
        const socket = new WebSocket(url, { headers: { origin } });
        socket.on("unexpected-response", (_req, res) => resolve(res.statusCode ?? 0));
        socket.on("open", () => {
          socket.close();
          resolve(101);
        });
        socket.on("error", () => resolve(-1));
      });
    assert.equal(await upgrade(bad), 403);
    assert.equal(await upgrade(good), 101);
  });
});
