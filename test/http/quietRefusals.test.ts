/**
 * Deliberate refusals and clients that hang up are not faults: a SERVER_FULL refusal is one info line without a
 * stack (not an "uncaught exception" at error level), and a request the client abandoned mid-body logs nothing at
 * error level.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import net from "node:net";
import type { Room as ClientRoom } from "@colyseus/sdk";
import { captureLogger, LOG_LEVEL } from "../helpers/logger.ts";
import {
  bootTestServer,
  leaveQuietly,
  type Registered,
  registerPlayer,
  sdkFor,
  type TestServer,
} from "../helpers/server.ts";
import { FaultyRoom } from "../rooms/FaultyRoom.ts";

describe("quiet refusals [pglite, in-process]", function () {
  this.timeout(60_000);
  const capture = captureLogger();
  let server: TestServer;
  let players: Registered[];
  const opened: ClientRoom[] = [];

  before(async () => {
    server = await bootTestServer({
      database: "pglite",
      redis: false,
      extraRooms: { faulty: FaultyRoom },
      env: { MAX_CCU: "1", ROOM_JOINS_PER_MIN: "1000" },
      logger: capture.logger,
    });
    players = await Promise.all(Array.from({ length: 6 }, () => registerPlayer(server)));
  });
  after(async () => {
    await Promise.all(opened.map((room) => leaveQuietly(room)));
    await server.close();
  });

  it("SERVER_FULL refusals are one info line each, without a stack; nothing at error level", async () => {
    const first = await sdkFor(server, players[0]!.accessToken).joinOrCreate("faulty");
    first.onMessage("*", () => {});
    opened.push(first);
    capture.clear();
    // Colyseus prints its own errors with console.error (its default logger): none may appear either.
    const printed: unknown[] = [];
    const consoleError = console.error;
    console.error = (...args: unknown[]) => printed.push(args);
    try {
      for (const player of players.slice(1)) {
        await assert.rejects(sdkFor(server, player.accessToken).joinOrCreate("faulty"), /SERVER_FULL/);
      }
    } finally {
      console.error = consoleError;
    }
    assert.deepEqual(printed, [], "nothing printed to stderr by Colyseus");
    assert.deepEqual(
      capture.errors().map((line) => line.msg),
      [],
      "no error-level line for a deliberate refusal",
    );
    assert.ok(
      capture.lines.every((line) => line.err?.stack === undefined),
      "no stack logged for a refusal",
    );
    const refused = capture.lines.filter((line) => line.msg === "request refused");
    assert.equal(refused.length, players.length - 1, "one line per refusal");
    assert.ok(refused.every((line) => line.level === LOG_LEVEL.info && line.code === 503));
  });

  it("other refusals (no token, a bad token, an unknown room or room type) log nothing at error level", async () => {
    capture.clear();
    await assert.rejects(sdkFor(server, "not-a-token").joinOrCreate("faulty"));
    await assert.rejects(sdkFor(server).joinOrCreate("faulty"));
    await assert.rejects(sdkFor(server, players[1]!.accessToken).joinById("no-such-room"));
    await assert.rejects(sdkFor(server, players[1]!.accessToken).joinOrCreate("no-such-room-type"));
    assert.deepEqual(
      capture.errors().map((line) => line.msg),
      [],
      "no error-level line",
    );
    assert.ok(
      capture.lines.every((line) => line.err?.stack === undefined),
      "no stack logged for a refusal",
    );
  });

  it("a request the client abandoned mid-body is not an error", async () => {
    capture.clear();
    const http = server.colyseus.server.transport.server as import("node:http").Server;
    const received = once(http, "request");
    const socket = net.connect(server.port, "127.0.0.1");
    await once(socket, "connect");
    socket.write(
      "POST /auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Type: application/json\r\nContent-Length: 1000\r\n\r\n" +
        '{"username":"half',
    );
    // The server is reading the body (its request handler ran, the body parser waits for the rest): hang up.
    await received;
    await new Promise((resolve) => setImmediate(resolve));
    socket.destroy();
    const deadline = Date.now() + 5_000;
    while (!capture.lines.some((line) => line.msg === "request aborted by the client") && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    const aborted = capture.lines.find((line) => line.msg === "request aborted by the client");
    assert.ok(aborted !== undefined, `the abort was seen (${JSON.stringify(capture.lines.map((line) => line.msg))})`);
    assert.equal(aborted.level, LOG_LEVEL.debug);
    assert.deepEqual(
      capture.errors().map((line) => line.msg),
      [],
      "no error-level line",
    );
  });
});
