/**
 * Chaos: three processes on one PostgreSQL and one Redis (this test process and two peers), a match with a player
 * and a bot on each peer. One peer is killed (SIGKILL) mid-match: the match on the other peer runs on undisturbed,
 * the killed one is recovered, its player gets back in, and each match ends with exactly one result.
 * `npm run test:chaos` runs it alone; it is also part of `npm test`.
 */
import assert from "node:assert/strict";
import { ColyseusSDK, type Room as ClientRoom } from "@colyseus/sdk";
import { nextLeave, type Peer, startPeer } from "../helpers/peer.ts";
import { freePort } from "../helpers/ports.ts";
import { announcedPeers, rejoinWhenRunning } from "../helpers/recovery.ts";
import { bootTestServer, type Registered, registerPlayer, type TestServer } from "../helpers/server.ts";

const ENV = { REGION: "us", REGIONS: "us", BOT_FILL_SEC: "0", MATCH_DURATION_SEC: "15", SNAPSHOT_INTERVAL_MS: "300" };

function phase(room: ClientRoom, wanted: string): Promise<void> {
  return new Promise((resolve) => {
    const check = (state: unknown) => {
      if ((state as { phase?: string }).phase !== wanted) return;
      room.onStateChange.remove(check);
      resolve();
    };
    room.onStateChange(check);
  });
}

describe("chaos: three processes, one killed mid-match [postgres, redis]", function () {
  this.timeout(120_000);
  let a: TestServer;
  const peers: Peer[] = [];

  before(async () => {
    a = await bootTestServer({
      database: "postgres",
      redis: true,
      publicAddress: true,
      env: ENV,
    });
    for (const port of [await freePort(), await freePort()])
      peers.push(await startPeer(a, { ...ENV, PUBLIC_ADDRESS: `127.0.0.1:${port}` }, port));
  });
  after(async () => {
    for (const peer of peers) await peer.stop();
    await a.close();
  });

  it("the other match is unaffected; the killed one resumes with its player; one result each", async () => {
    const ids = await announcedPeers(2);
    const players: Registered[] = [];
    const sessions: string[] = [];
    const rooms: ClientRoom[] = [];
    const addresses: string[] = [];
    for (const processId of ids) {
      const player = await registerPlayer(a);
      const launched = await a.services.launcher.launch({
        mode: "duel",
        region: "us",
        placeOn: processId,
        roster: [
          { playerId: player.player.id, username: player.player.username, team: 0, bot: false },
          { playerId: "bot:1", username: "bot 1", team: 1, bot: true },
        ],
      });
      const seat = launched.seats.get(player.player.id)!;
      addresses.push((seat as { publicAddress?: string }).publicAddress ?? "");
      const room = await new ColyseusSDK(`ws://${a.address}`).consumeSeatReservation(seat);
      room.onMessage("*", () => {});
      room.reconnection.enabled = false;
      players.push(player);
      sessions.push(launched.sessionId);
      rooms.push(room);
    }
    await Promise.all(rooms.map((room) => phase(room, "active")));
    // Which peer runs which match: the seat's public address.
    const victimIndex = 0;
    const victimPeer = peers.find((p) => addresses[victimIndex] === `127.0.0.1:${new URL(p.url).port}`);
    assert.ok(
      victimPeer !== undefined && new Set(addresses).size === 2,
      `one match on each peer: ${addresses.join(", ")}`,
    );
    const survivorRoom = rooms[1 - victimIndex]!;

    const left = nextLeave(rooms[victimIndex]!);
    const killedAt = Date.now();
    victimPeer.running.child.kill("SIGKILL");
    await left;

    // The other match keeps ticking for its player.
    const tickBefore = (survivorRoom.state as { tick: number }).tick;
    await new Promise((resolve) => setTimeout(resolve, 2000));
    const tickAfter = (survivorRoom.state as { tick: number }).tick;
    assert.ok(tickAfter - tickBefore >= 45, `the other match ran on: ${tickBefore} → ${tickAfter}`);
    assert.equal(survivorRoom.connection.isOpen, true);

    const back = await rejoinWhenRunning(sessions[victimIndex]!, players[victimIndex]!);
    process.stdout.write(
      `      (player back ${Date.now() - killedAt} ms after kill -9, 2 s of which were spent watching the other match)\n`,
    );

    await Promise.all([back.waitForMessage("matchEnd", 40_000), survivorRoom.waitForMessage("matchEnd", 40_000)]);
    for (const sessionId of sessions) {
      const results = await a.services.db.query("SELECT 1 FROM match_results WHERE session_id = $1", [sessionId]);
      assert.equal(results.length, 1, `one result for ${sessionId}`);
    }
  });
});
