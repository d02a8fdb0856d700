/**
 * Two server processes sharing PostgreSQL and Redis: players search through either; every one is matched, gets a
 * seat wherever the arena was created, and joins it.
 */
import assert from "node:assert/strict";
import { ColyseusSDK, type Room as ClientRoom } from "@colyseus/sdk";
import { processPort } from "../helpers/childServer.ts";
import { type Peer, startPeer } from "../helpers/peer.ts";
import { bootTestServer, registerPlayer, sdkFor, type TestServer } from "../helpers/server.ts";

describe("matchmaking across two processes [postgres, redis]", function () {
  this.timeout(90_000);
  let a: TestServer;
  let b: Peer;
  let peerPort: number;

  before(async () => {
    a = await bootTestServer({
      database: "postgres",
      redis: true,
      publicAddress: true,
      env: { BOT_FILL_SEC: "0", REGION: "local", REGIONS: "local,us" },
    });
    peerPort = await processPort();
    b = await startPeer(
      a,
      { PUBLIC_ADDRESS: `127.0.0.1:${peerPort}`, BOT_FILL_SEC: "0", REGION: "us", REGIONS: "local,us" },
      peerPort,
    );
  });
  after(async () => {
    await b.stop();
    await a.close();
  });

  it("8 players entering through both processes are matched into 4 duels and each joins its arena by its seat", async () => {
    const players = await Promise.all(Array.from({ length: 8 }, () => registerPlayer(a)));
    const searches: ClientRoom[] = [];
    const seated: Array<ReturnType<ClientRoom["waitForMessage"]>> = [];
    for (const [i, p] of players.entries()) {
      const sdk = i % 2 === 0 ? sdkFor(a, p.accessToken) : new ColyseusSDK(`ws://127.0.0.1:${peerPort}`);
      sdk.auth.token = p.accessToken;
      const room = await sdk.joinOrCreate("matchmaking", { mode: "duel" });
      room.onMessage("*", () => {});
      // Listen for the seat at once: the first players may be matched while the others are still joining.
      seated.push(room.waitForMessage("seat", 30_000));
      searches.push(room);
    }
    const seats = await Promise.all(seated);
    await Promise.all(searches.map((room) => room.leave()));

    // Each player joins with a fresh SDK: the seat says which process holds the arena.
    const arenas = await Promise.all(
      seats.map((seat) => new ColyseusSDK(`ws://${a.address}`).consumeSeatReservation(seat)),
    );
    const byRoom = new Map<string, number>();
    for (const arena of arenas) {
      assert.equal(arena.name, "arena");
      byRoom.set(arena.roomId, (byRoom.get(arena.roomId) ?? 0) + 1);
    }
    assert.equal(byRoom.size, 4, "four duels");
    assert.deepEqual([...byRoom.values()], [2, 2, 2, 2]);
    const hosts = new Set(seats.map((seat) => (seat as { publicAddress?: string }).publicAddress));
    process.stdout.write(`      (arenas on ${[...hosts].join(" and ")})\n`);
    await Promise.all(arenas.map((arena) => arena.leave()));
  });

  it("places each arena on a process serving the match's region", async () => {
    const [p1, p2] = [await registerPlayer(a), await registerPlayer(a)];
    const roster = [p1, p2].map((p, i) => ({
      playerId: p.player.id,
      username: p.player.username,
      team: i,
      bot: false,
    }));
    for (const [region, port] of [
      ["us", peerPort],
      ["local", a.port],
    ] as const) {
      const launched = await a.services.launcher.launch({ mode: "duel", region, roster });
      const seat = launched.seats.get(p1.player.id) as { publicAddress?: string };
      assert.equal(seat.publicAddress, `127.0.0.1:${port}`, `${region} arena placement`);
    }
  });
});
