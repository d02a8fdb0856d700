/**
 * A player whose connection drops while PostgreSQL is away (a private PostgreSQL, stopped) reconnects to its match
 * with its reconnection token: the match runs without the database, and so does getting back into it. The re-check
 * of the login (ban, logout) cannot read the database then; nothing can be revoked meanwhile either, so the player is
 * let back in and the check is the one the next join makes.
 */
import assert from "node:assert/strict";
import type { Room as ClientRoom } from "@colyseus/sdk";
import type { ArenaRoom } from "../../src/games/arena/ArenaRoom.ts";
import { PrivatePostgres } from "../helpers/privateServers.ts";
import { bootTestServer, registerPlayer, sdkFor, type TestServer } from "../helpers/server.ts";

describe("reconnecting during a PostgreSQL outage [private postgres]", function () {
  this.timeout(60_000);
  let pg: PrivatePostgres;
  let server: TestServer;
  before(async () => {
    pg = await PrivatePostgres.start();
    server = await bootTestServer({ database: "postgres", redis: false, databaseUrl: () => pg.url });
  });
  after(async () => {
    await pg.start().catch(() => undefined);
    await server?.close();
    await pg?.destroy();
  });

  it("a dropped player reconnects with its token while the database is away", async () => {
    const player = await registerPlayer(server);
    const launched = await server.services.launcher.launch({
      mode: "duel",
      region: "local",
      roster: [
        { playerId: player.player.id, username: player.player.username, team: 0, bot: false },
        { playerId: "bot:1", username: "bot 1", team: 1, bot: true },
      ],
    });
    const room: ClientRoom = await sdkFor(server, player.accessToken).consumeSeatReservation(
      launched.seats.get(player.player.id)!,
    );
    room.onMessage("*", () => {});
    room.reconnection.enabled = false;
    // Joined for good (the client acknowledged the join and has its first state): a drop now holds its seat.
    await new Promise<void>((resolve) => {
      room.onStateChange((state) => {
        if ((state as { players: Map<string, unknown> }).players.get(room.sessionId) !== undefined) resolve();
      });
    });
    const token = room.reconnectionToken;
    await pg.stop();
    const serverRoom = server.colyseus.getRoomById(launched.sessionId) as ArenaRoom;
    const dropped = new Promise((resolve) => room.onLeave(resolve));
    const client = serverRoom.clients.find((c) => c.sessionId === room.sessionId)!;
    (client.ref as unknown as { terminate(): void }).terminate();
    await dropped;
    // The server saw the drop and holds the seat (onDrop marks the player disconnected).
    for (let i = 0; i < 100 && serverRoom.state.players.get(room.sessionId)?.connected !== false; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    const back = await sdkFor(server, player.accessToken).reconnect(token);
    back.onMessage("*", () => {});
    assert.equal(back.sessionId, room.sessionId, "the same seat");
    const deadline = Date.now() + 5_000;
    while (serverRoom.state.players.get(back.sessionId)?.connected !== true && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(serverRoom.state.players.get(back.sessionId)?.connected, true, "controls its player again");
    await back.leave();
  });
});
