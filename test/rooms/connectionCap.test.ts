/**
 * One account cannot take the whole server: MAX_CONNECTIONS_PER_PLAYER room connections at once, counted across
 * processes through Redis; a leave frees a place; the default leaves room for lobby chat, matchmaking, the arena
 * and a rejoin at the same time.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import type { Room as ClientRoom } from "@colyseus/sdk";
import { RoomName } from "../../src/protocol.ts";
import { PlayerConnections, RedisConnectionCounter } from "../../src/services/auth/PlayerConnections.ts";
import {
  bootTestServer,
  jsonBody,
  leaveQuietly,
  postJson,
  refusal,
  registerPlayer,
  sdkFor,
  type TestServer,
} from "../helpers/server.ts";
import { FaultyRoom } from "./FaultyRoom.ts";

describe("connections per player [pglite, redis]", function () {
  this.timeout(60_000);
  let server: TestServer;
  const opened: ClientRoom[] = [];

  before(async () => {
    server = await bootTestServer({
      database: "pglite",
      redis: true,
      extraRooms: { faulty: FaultyRoom },
      env: { MAX_CONNECTIONS_PER_PLAYER: "3", ROOM_JOINS_PER_MIN: "1000", BOT_FILL_SEC: "0" },
    });
  });
  after(() => server.close());
  afterEach(async () => {
    await Promise.all(opened.splice(0).map((room) => leaveQuietly(room)));
  });

  async function join(token: string, name = "faulty", options: Record<string, unknown> = {}): Promise<ClientRoom> {
    const room = await sdkFor(server, token).joinOrCreate(name, options);
    room.onMessage("*", () => {});
    opened.push(room);
    return room;
  }

  it("one guest token holds 3 connections; the 4th is refused with TOO_MANY_CONNECTIONS; a leave frees a place", async () => {
    const guest = await jsonBody(
      await postJson(server, "/auth/guest", { deviceId: "cap-test-device-0001" }, { ip: "10.77.0.1" }),
    );
    const first = await join(guest.accessToken);
    await join(guest.accessToken);
    await join(guest.accessToken, RoomName.Chat, { channel: "global" });
    const refused = await refusal(join(guest.accessToken));
    assert.equal(refused.code, 429, refused.message);
    assert.match(refused.message, /^TOO_MANY_CONNECTIONS: this player already holds 3 connections/);
    const other = await registerPlayer(server);
    await join(other.accessToken);
    await first.leave();
    await join(guest.accessToken);
  });

  it("connections held on another process count", async () => {
    const player = await registerPlayer(server);
    const peer = new PlayerConnections(new RedisConnectionCounter(server.services.redis!), 3);
    await peer.acquire(player.player.id, peer.connectionId("elsewhere", "a"));
    await peer.acquire(player.player.id, peer.connectionId("elsewhere", "b"));
    await join(player.accessToken);
    const refused = await refusal(join(player.accessToken));
    assert.match(refused.message, /TOO_MANY_CONNECTIONS/);
    await peer.release(player.player.id, peer.connectionId("elsewhere", "a"));
    await join(player.accessToken);
  });
});

describe("connections per player, default cap [pglite, in-process]", function () {
  this.timeout(60_000);
  let server: TestServer;
  const opened: ClientRoom[] = [];

  before(async () => {
    server = await bootTestServer({ database: "pglite", redis: false, env: { BOT_FILL_SEC: "0" } });
  });
  after(async () => {
    await Promise.all(opened.map((room) => leaveQuietly(room)));
    await server.close();
  });

  it("lobby chat (2 channels), matchmaking, the arena and a rejoin seat fit at once; 500 seats do not", async () => {
    assert.equal(server.config.maxConnectionsPerPlayer, 8);
    const [a, b] = [await registerPlayer(server), await registerPlayer(server)];
    const keep = (room: ClientRoom) => {
      room.onMessage("*", () => {});
      opened.push(room);
      return room;
    };
    keep(await sdkFor(server, a.accessToken).joinOrCreate(RoomName.Chat, { channel: "global" }));
    keep(await sdkFor(server, a.accessToken).joinOrCreate(RoomName.Chat, { channel: "region:local" }));
    const searches = [
      keep(await sdkFor(server, a.accessToken).joinOrCreate(RoomName.Matchmaking, { mode: "duel" })),
      keep(await sdkFor(server, b.accessToken).joinOrCreate(RoomName.Matchmaking, { mode: "duel" })),
    ];
    const seats = await Promise.all(searches.map((room) => room.waitForMessage("seat", 10_000)));
    const arena = keep(await sdkFor(server, a.accessToken).consumeSeatReservation(seats[0]));
    keep(await sdkFor(server, b.accessToken).consumeSeatReservation(seats[1]));
    // The arena connection drops; a rejoin seat comes while the dropped seat is still held for reconnection.
    arena.connection.close(4999 as number);
    const rejoin = await postJson(server, `/sessions/${arena.roomId}/rejoin`, {}, { token: a.accessToken });
    assert.equal(rejoin.status, 200, await rejoin.clone().text());
    keep(await sdkFor(server, a.accessToken).consumeSeatReservation((await jsonBody(rejoin)).seat));
    assert.ok(matchMaker.getLocalRoomById(arena.roomId), "the match goes on");

    // One token asking for as many seats as it likes gets at most the cap.
    const results = await Promise.allSettled(
      Array.from({ length: 20 }, () =>
        sdkFor(server, b.accessToken)
          .joinOrCreate(RoomName.Chat, { channel: "global" })
          .then((room) => keep(room)),
      ),
    );
    const held = results.filter((r) => r.status === "fulfilled").length;
    assert.ok(held <= 8 - 2, `the 2nd player holds ${held} more connections on top of matchmaking and arena`);
    assert.ok(results.some((r) => r.status === "rejected" && /TOO_MANY_CONNECTIONS/.test(String(r.reason))));
  });
});
