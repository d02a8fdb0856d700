/**
 * The HTTP edge against hostile clients: who the client is (peer address; X-Forwarded-For only from
 * TRUSTED_PROXIES, right-most untrusted hop), the matchmaking body limit (413 before buffering), the /matchmake
 * contract (400 naming the field, in the project's error shape, through raw fetch and the SDK) and CORS with
 * ALLOWED_ORIGINS (no foreign Origin reflected, foreign preflights refused).
 */
import assert from "node:assert/strict";
import http from "node:http";
import type { Room as ClientRoom } from "@colyseus/sdk";
import { RoomName } from "../../src/protocol.ts";
import {
  bootTestServer,
  jsonBody,
  leaveQuietly,
  postJson,
  registerPlayer,
  sdkFor,
  type TestServer,
} from "../helpers/server.ts";

/** A raw HTTP request from a chosen loopback address (127.0.0.0/8 all reach the server on Linux). */
function rawRequest(
  server: TestServer,
  options: {
    from?: string;
    method?: string;
    path: string;
    headers?: Record<string, string>;
    body?: string;
  },
): Promise<{ status: number; headers: http.IncomingHttpHeaders; body: string }> {
  return new Promise((resolve, reject) => {
    const req = http.request(
      {
        host: "127.0.0.1",
        port: server.port,
        method: options.method ?? "POST",
        path: options.path,
        headers: options.headers,
        ...(options.from === undefined ? {} : { localAddress: options.from }),
        agent: false,
      },
      (res) => {
        const chunks: Buffer[] = [];
        res.on("data", (chunk: Buffer) => chunks.push(chunk));
        res.on("end", () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: Buffer.concat(chunks).toString() }),
        );
      },
    );
    req.on("error", reject);
    req.end(options.body);
  });
}

function matchmake(
  server: TestServer,
  room: string,
  body: unknown,
  options: { from?: string; token?: string; headers?: Record<string, string> } = {},
) {
  return rawRequest(server, {
    ...(options.from === undefined ? {} : { from: options.from }),
    path: `/matchmake/joinOrCreate/${room}`,
    headers: {
      "content-type": "application/json",
      ...(options.token === undefined ? {} : { authorization: `Bearer ${options.token}` }),
      ...options.headers,
    },
    body: JSON.stringify(body),
  });
}

describe("per-IP limits without TRUSTED_PROXIES [pglite, in-process]", function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => {
    server = await bootTestServer({
      database: "pglite",
      redis: false,
      env: { TRUSTED_PROXIES: "", ROOM_JOINS_PER_MIN: "5" },
    });
  });
  after(() => server.close());

  it("room requests: rotating X-Forwarded-For / X-Real-IP does not escape the peer's budget", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 8; i++) {
      const res = await matchmake(
        server,
        RoomName.Chat,
        { channel: "global" },
        {
          from: "127.0.0.4",
          headers: { "x-forwarded-for": `198.51.100.${i}`, "x-real-ip": `203.0.113.${i}`, "x-client-ip": `9.9.9.${i}` },
        },
      );
      statuses.push(res.status);
    }
    assert.deepEqual(statuses.slice(0, 5), [401, 401, 401, 401, 401], "anonymous: refused by onAuth, counted");
    assert.deepEqual(statuses.slice(5), [429, 429, 429], `the 6th request on is throttled: ${statuses}`);
    const throttled = await matchmake(server, RoomName.Chat, { channel: "global" }, { from: "127.0.0.4" });
    assert.equal(JSON.parse(throttled.body).error.code, "RATE_LIMITED");
    assert.match(String(throttled.headers["retry-after"]), /^\d+$/);
  });

  it("room requests: anonymous clients without forwarding headers do not lock out a player elsewhere", async () => {
    for (let i = 0; i < 6; i++) await matchmake(server, RoomName.Chat, { channel: "global" }, { from: "127.0.0.5" });
    assert.equal((await matchmake(server, RoomName.Chat, { channel: "global" }, { from: "127.0.0.5" })).status, 429);
    const player = await registerPlayer(server);
    const seat = await matchmake(
      server,
      RoomName.Chat,
      { channel: "global" },
      { from: "127.0.0.6", token: player.accessToken },
    );
    assert.equal(seat.status, 200, seat.body);
  });

  it("reconnection requests (no onAuth) have a per-IP budget of their own: 10 × ROOM_JOINS_PER_MIN", async () => {
    const reconnect = () =>
      rawRequest(server, {
        from: "127.0.0.7",
        path: "/matchmake/reconnect/no-such-room",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ reconnectionToken: "no-such-room:guessed" }),
      });
    const statuses: number[] = [];
    for (let i = 0; i < 51; i++) statuses.push((await reconnect()).status);
    assert.ok(
      statuses.slice(0, 50).every((status) => status !== 429),
      `the budget (50) is served: ${statuses.slice(0, 50)}`,
    );
    const last = await reconnect();
    assert.equal(statuses[50], 429, `the 51st is throttled: ${statuses.slice(48)}`);
    assert.equal(JSON.parse(last.body).error.code, "RATE_LIMITED");
  });

  it("registrations: a rotating X-Forwarded-For does not escape the per-IP limit (10 an hour)", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 11; i++) {
      const res = await postJson(
        server,
        "/auth/register",
        { username: `spoofer_${process.pid % 1000}_${i}`, password: "correct horse battery" },
        { ip: `198.51.100.${i + 20}` },
      );
      statuses.push(res.status);
    }
    // The earlier tests registered from this loopback address too: at most 10 in all, then 429 whatever the header.
    assert.ok(statuses.filter((s) => s === 201).length <= 10, `${statuses}`);
    assert.equal(statuses[10], 429, `${statuses}`);
  });
});

describe("per-IP limits behind a trusted proxy [pglite, in-process]", function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => {
    server = await bootTestServer({
      database: "pglite",
      redis: false,
      env: { TRUSTED_PROXIES: "127.0.0.1,::1", ROOM_JOINS_PER_MIN: "3" },
    });
  });
  after(() => server.close());

  it("the client is the right-most untrusted hop: a client-written first hop changes nothing", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const res = await matchmake(
        server,
        RoomName.Chat,
        { channel: "global" },
        { headers: { "x-forwarded-for": `10.0.${i}.1, 198.51.100.77`, "x-real-ip": `10.9.9.${i}` } },
      );
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    const other = await matchmake(
      server,
      RoomName.Chat,
      { channel: "global" },
      { headers: { "x-forwarded-for": "198.51.100.78" } },
    );
    assert.equal(other.status, 401, "another client behind the proxy has its own budget");
  });

  it("an IPv6 client is its /64: rotating the interface half of its address does not escape the budget", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 5; i++) {
      const hop = ["2001:db8:1:2::", "2001:db8:1:2:0:0:0:", "2001:0db8:0001:0002:ffff::", "2001:db8:1:2:"][i % 4];
      const res = await matchmake(
        server,
        RoomName.Chat,
        { channel: "global" },
        { headers: { "x-forwarded-for": `${hop}${i % 4 === 3 ? "a:b:c:" : ""}${(i + 1).toString(16)}` } },
      );
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429, 429]);
    const neighbour = await matchmake(
      server,
      RoomName.Chat,
      { channel: "global" },
      { headers: { "x-forwarded-for": "2001:db8:1:3::1" } },
    );
    assert.equal(neighbour.status, 401, "another /64 has its own budget");
  });

  it("a peer that is not a trusted proxy is not believed", async () => {
    const statuses: number[] = [];
    for (let i = 0; i < 4; i++) {
      const res = await matchmake(
        server,
        RoomName.Chat,
        { channel: "global" },
        { from: "127.0.0.7", headers: { "x-forwarded-for": `198.51.100.${100 + i}` } },
      );
      statuses.push(res.status);
    }
    assert.deepEqual(statuses, [401, 401, 401, 429]);
  });
});

describe("the /matchmake contract [pglite, in-process]", function () {
  this.timeout(60_000);
  let server: TestServer;
  let token: string;
  const opened: ClientRoom[] = [];

  before(async () => {
    server = await bootTestServer({
      database: "pglite",
      redis: false,
      env: { REGIONS: "local,eu", BOT_FILL_SEC: "0" },
    });
    token = (await registerPlayer(server)).accessToken;
  });
  after(async () => {
    await Promise.all(opened.map((room) => leaveQuietly(room)));
    await server.close();
  });

  async function refusedWith(res: { status: number; body: string }, status: number, code: string, field: string) {
    assert.equal(res.status, status, res.body);
    const body = JSON.parse(res.body);
    assert.equal(body.error.code, code, res.body);
    assert.equal(body.error.field, field, res.body);
    assert.equal(typeof body.error.message, "string");
    assert.equal(body.message, body.error.message, "a top-level message for @colyseus/sdk");
    assert.doesNotMatch(body.error.message, /TypeError|Cannot read|undefined/);
    return body;
  }

  it("a bad mode or region is 400 at the HTTP step, naming the field", async () => {
    const badMode = await refusedWith(
      await matchmake(server, RoomName.Matchmaking, { mode: "battle" }, { token }),
      400,
      "INVALID_INPUT",
      "mode",
    );
    assert.match(badMode.error.message, /duel, ffa, squad/, "the default game's modes are listed");
    await refusedWith(
      await matchmake(server, RoomName.Matchmaking, { mode: "duel", region: "mars" }, { token }),
      400,
      "INVALID_INPUT",
      "region",
    );
    await refusedWith(
      await matchmake(server, RoomName.Chat, { channel: "nowhere" }, { token }),
      400,
      "INVALID_INPUT",
      "channel",
    );
    await refusedWith(
      await matchmake(server, RoomName.Chat, { channel: "region:mars" }, { token }),
      400,
      "INVALID_INPUT",
      "channel",
    );
  });

  it("an unknown game, or a mode the game does not have, is 400 at the HTTP step naming the option", async () => {
    const game = await refusedWith(
      await matchmake(server, RoomName.Matchmaking, { game: "chess", mode: "duel" }, { token }),
      400,
      "INVALID_INPUT",
      "game",
    );
    assert.match(game.error.message, /arena/, "the registered games are listed");
    const mode = await refusedWith(
      await matchmake(server, RoomName.Matchmaking, { game: "arena", mode: "trios" }, { token }),
      400,
      "INVALID_INPUT",
      "mode",
    );
    assert.match(mode.error.message, /arena has the modes duel, ffa, squad/);
    for (const options of [
      { game: 7, mode: "duel" },
      { game: "", mode: "duel" },
      { game: "x".repeat(40), mode: "duel" },
    ]) {
      await refusedWith(
        await matchmake(server, RoomName.Matchmaking, options, { token }),
        400,
        "INVALID_INPUT",
        "game",
      );
    }
  });

  it("a null, array, scalar or malformed body is 400 naming the body", async () => {
    for (const body of ["null", "[]", "42", '"duel"', "{not json"]) {
      const res = await rawRequest(server, {
        path: `/matchmake/joinOrCreate/${RoomName.Matchmaking}`,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body,
      });
      await refusedWith(res, 400, "INVALID_INPUT", "body");
    }
  });

  it("join options nested too deeply or holding a NUL are 400 naming the option, never a matchmaking fault", async () => {
    const deep = `{"channel":"global","extra":${"[".repeat(5000)}${"]".repeat(5000)}}`;
    for (const room of [RoomName.Chat, RoomName.Matchmaking]) {
      const res = await rawRequest(server, {
        path: `/matchmake/joinOrCreate/${room}`,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body: deep,
      });
      await refusedWith(res, 400, "INVALID_INPUT", "extra");
    }
    await refusedWith(
      await matchmake(server, RoomName.Chat, { channel: "global", note: "a\u0000b" }, { token }),
      400,
      "INVALID_INPUT",
      "note",
    );
  });

  it("Colyseus' own refusals keep their status in the project's shape; any origin is reflected without a list", async () => {
    const none = await rawRequest(server, {
      path: `/matchmake/join/${RoomName.Chat}`,
      headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
      body: JSON.stringify({ channel: "region:eu" }),
    });
    assert.equal(none.status, 521, none.body);
    assert.equal(JSON.parse(none.body).error.code, "NOT_FOUND");
    assert.match(JSON.parse(none.body).message, /no rooms found/);
    const preflight = await rawRequest(server, {
      method: "OPTIONS",
      path: `/matchmake/joinOrCreate/${RoomName.Chat}`,
      headers: { origin: "https://anywhere.example", "access-control-request-method": "POST" },
    });
    assert.equal(preflight.status, 204);
    assert.equal(preflight.headers["access-control-allow-origin"], "https://anywhere.example");
    assert.equal(preflight.headers["access-control-max-age"], "600");
  });

  it("through @colyseus/sdk the refusal is a readable MatchMakeError with the status as its code", async () => {
    const sdk = sdkFor(server, token);
    const refusal = await sdk.joinOrCreate(RoomName.Matchmaking, { mode: "battle" }).then(
      () => assert.fail("expected a refusal"),
      (error: Error & { code?: number }) => error,
    );
    assert.equal(refusal.name, "MatchMakeError");
    assert.equal(refusal.code, 400);
    assert.match(refusal.message, /^mode: /);
    // And a good request still gets its room.
    const room = await sdk.joinOrCreate(RoomName.Matchmaking, { mode: "duel", region: "eu" });
    room.onMessage("*", () => {});
    opened.push(room);
    assert.ok(room.roomId);
  });
});

describe("matchmaking bodies are limited before buffering [pglite, in-process]", function () {
  this.timeout(120_000);
  let server: TestServer;

  before(async () => {
    server = await bootTestServer({ database: "pglite", redis: false, env: { BOT_FILL_SEC: "0" } });
  });
  after(() => server.close());

  /** Streams `bytes` of JSON-ish filler (declared or chunked) until the server answers; resolves with its status. */
  function flood(bytes: number, chunked: boolean): Promise<number> {
    return new Promise((resolve) => {
      const block = Buffer.alloc(64 * 1024, 0x61);
      const req = http.request({
        host: "127.0.0.1",
        port: server.port,
        method: "POST",
        path: `/matchmake/joinOrCreate/${RoomName.Matchmaking}`,
        headers: { "content-type": "application/json", ...(chunked ? {} : { "content-length": String(bytes) }) },
        agent: false,
      });
      let sent = 0;
      let answered = false;
      req.on("response", (res) => {
        answered = true;
        res.resume();
        resolve(res.statusCode ?? 0);
        req.destroy();
      });
      req.on("error", () => {
        if (!answered) resolve(-1);
      });
      const pump = () => {
        while (!answered && sent < bytes) {
          sent += block.length;
          if (!req.write(block)) {
            req.once("drain", pump);
            return;
          }
        }
        if (!answered) req.end('"}');
      };
      req.write('{"mode":"duel","pad":"');
      pump();
    });
  }

  it("every spelling of the matchmaking path Colyseus would serve meets the edge: 413, never buffered by Colyseus", async () => {
    const token = (await registerPlayer(server)).accessToken;
    const body = JSON.stringify({ channel: "global", pad: "x".repeat(40_000) });
    const wrong: string[] = [];
    for (const path of [
      `/matchmake/joinOrCreate/${RoomName.Chat}#fragment`,
      `/matchmake/joinOrCreate/./${RoomName.Chat}`,
      `/./matchmake/joinOrCreate/${RoomName.Chat}`,
      `${server.baseUrl}/matchmake/joinOrCreate/${RoomName.Chat}`,
    ]) {
      const res = await rawRequest(server, {
        path,
        headers: { "content-type": "application/json", authorization: `Bearer ${token}` },
        body,
      });
      if (res.status !== 413 || JSON.parse(res.body).error?.code !== "PAYLOAD_TOO_LARGE") {
        wrong.push(`${path}: ${res.status} ${res.body.slice(0, 100)}`);
      }
    }
    assert.deepEqual(wrong, []);
  });

  it("any other request under /matchmake/ is the edge's 404 in the project's shape, without Colyseus' CORS headers", async () => {
    for (const [method, path] of [
      ["GET", `/matchmake/${RoomName.Chat}`],
      ["POST", `/matchmake/joinOrCreate/${RoomName.Chat}/`],
      ["PUT", `/matchmake/joinOrCreate/${RoomName.Chat}`],
    ] as const) {
      const res = await rawRequest(server, {
        method,
        path,
        headers: { "content-type": "application/json" },
        body: "{}",
      });
      assert.equal(res.status, 404, `${method} ${path}: ${res.body}`);
      assert.equal(JSON.parse(res.body).error.code, "NOT_FOUND", `${method} ${path}`);
      assert.equal(res.headers["access-control-allow-origin"], undefined, `${method} ${path}: no wildcard origin`);
      assert.equal(res.headers["access-control-max-age"], undefined, `${method} ${path}: no 30-day preflight cache`);
    }
  });

  it("16 KiB is read; a 50 MB body (8 at once) and a 30 MB chunked one are 413 without RSS growth or a stall", async () => {
    const [a, b] = [await registerPlayer(server), await registerPlayer(server)];
    const atLimit = await matchmake(
      server,
      RoomName.Matchmaking,
      { mode: "duel", pad: "x".repeat(16 * 1024 - 30) },
      {
        token: a.accessToken,
      },
    );
    assert.equal(atLimit.status, 200, `a body of ${16 * 1024 - 5} bytes is served: ${atLimit.body}`);
    const over = await rawRequest(server, {
      path: `/matchmake/joinOrCreate/${RoomName.Matchmaking}`,
      headers: { "content-type": "application/json", authorization: `Bearer ${a.accessToken}` },
      body: JSON.stringify({ mode: "duel", pad: "x".repeat(16 * 1024) }),
    });
    assert.equal(over.status, 413);
    assert.equal(JSON.parse(over.body).error.code, "PAYLOAD_TOO_LARGE");
    assert.equal(over.headers.connection, "close", "the connection is not kept to drain the body");

    // A live match while the flood runs: its ticks keep coming to the client.
    const searches = [
      await sdkFor(server, a.accessToken).joinOrCreate(RoomName.Matchmaking, { mode: "duel" }),
      await sdkFor(server, b.accessToken).joinOrCreate(RoomName.Matchmaking, { mode: "duel" }),
    ];
    for (const room of searches) room.onMessage("*", () => {});
    const seats = await Promise.all(searches.map((room) => room.waitForMessage("seat", 10_000)));
    const arena = await sdkFor(server, a.accessToken).consumeSeatReservation(seats[0]);
    const other = await sdkFor(server, b.accessToken).consumeSeatReservation(seats[1]);
    for (const room of [arena, other]) room.onMessage("*", () => {});
    await Promise.all(searches.map((room) => leaveQuietly(room)));
    let patches = 0;
    let lastPatchAt = Date.now();
    let worstGapMs = 0;
    arena.onStateChange(() => {
      const now = Date.now();
      worstGapMs = Math.max(worstGapMs, now - lastPatchAt);
      lastPatchAt = now;
      patches += 1;
    });
    await new Promise((resolve) => arena.onStateChange.once(resolve));

    (globalThis as { gc?: () => void }).gc?.();
    const rssBefore = process.memoryUsage().rss;
    let rssPeak = rssBefore;
    const sampler = setInterval(() => {
      rssPeak = Math.max(rssPeak, process.memoryUsage().rss);
    }, 10);
    patches = 0;
    worstGapMs = 0;
    lastPatchAt = Date.now();
    const statuses = await Promise.all([
      ...Array.from({ length: 8 }, () => flood(50 * 1024 * 1024, false)),
      flood(30 * 1024 * 1024, true),
    ]);
    clearInterval(sampler);
    rssPeak = Math.max(rssPeak, process.memoryUsage().rss);

    const growthMb = (rssPeak - rssBefore) / 1024 / 1024;
    assert.ok(growthMb < 50, `RSS grew by ${growthMb.toFixed(0)} MB under the flood (answers ${statuses})`);
    assert.deepEqual(statuses, Array(9).fill(413), "every oversized body is refused with 413");
    await new Promise((resolve) => arena.onStateChange.once(resolve));
    assert.ok(patches > 0, "the match kept patching");
    assert.equal(arena.connection.isOpen, true, "the player is still connected");
    assert.equal(other.connection.isOpen, true);
    assert.ok(worstGapMs < 400, `the match's patches stalled for ${worstGapMs} ms during the flood`);
    await Promise.all([leaveQuietly(arena), leaveQuietly(other)]);
  });
});

describe("CORS with ALLOWED_ORIGINS [pglite, in-process]", function () {
  this.timeout(30_000);
  const good = "https://play.example.com";
  const bad = "https://evil.example.net";
  let server: TestServer;

  before(async () => {
    server = await bootTestServer({ database: "pglite", redis: false, env: { ALLOWED_ORIGINS: good } });
  });
  after(() => server.close());

  const paths = ["/auth/guest", `/matchmake/joinOrCreate/${RoomName.Chat}`, "/healthz", "/leaderboards", "/nowhere"];

  it("no response reflects a foreign Origin, for any method or route", async () => {
    for (const path of paths) {
      for (const method of ["GET", "POST", "OPTIONS"]) {
        const res = await rawRequest(server, {
          method,
          path,
          headers: { origin: bad, "content-type": "application/json", "access-control-request-method": "POST" },
          body: method === "GET" ? undefined : "{}",
        });
        assert.notEqual(res.headers["access-control-allow-origin"], bad, `${method} ${path}`);
        assert.notEqual(res.headers["access-control-allow-origin"], "*", `${method} ${path}`);
        assert.equal(res.headers["access-control-allow-credentials"], undefined, `${method} ${path}`);
        assert.equal(res.status, 403, `${method} ${path}: refused`);
        assert.equal(JSON.parse(res.body).error.code, "ORIGIN_NOT_ALLOWED");
      }
    }
  });

  it("a listed origin's preflight is answered with its origin and a short max-age", async () => {
    for (const path of paths) {
      const res = await rawRequest(server, {
        method: "OPTIONS",
        path,
        headers: { origin: good, "access-control-request-method": "POST" },
      });
      assert.equal(res.status, 204, path);
      assert.equal(res.headers["access-control-allow-origin"], good);
      assert.equal(res.headers["access-control-allow-credentials"], "true");
      assert.match(String(res.headers["access-control-allow-headers"]), /Authorization/);
      assert.ok(
        Number(res.headers["access-control-max-age"]) <= 600,
        `max-age ${res.headers["access-control-max-age"]}`,
      );
    }
    const guest = await postJson(
      server,
      "/auth/guest",
      { deviceId: "cors-edge-device-1" },
      { headers: { origin: good } },
    );
    assert.equal(guest.status, 200);
    assert.equal(guest.headers.get("access-control-allow-origin"), good);
    const seat = await postJson(
      server,
      `/matchmake/joinOrCreate/${RoomName.Chat}`,
      { channel: "global" },
      { token: (await jsonBody(guest)).accessToken, headers: { origin: good } },
    );
    assert.equal(seat.status, 200, await seat.clone().text());
    assert.equal(seat.headers.get("access-control-allow-origin"), good);
  });
});
