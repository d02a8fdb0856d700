/**
 * Three processes on one Redis and one PostgreSQL, in two regions: eu (this process, MAX_ROOMS=2, and a peer,
 * MAX_ROOMS=1) and us (a peer). Players entering through different processes are matched together; arenas land
 * only on processes of their region; caps hold; a killed process drops out of listings and placement at once.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { ColyseusSDK, type Room as ClientRoom } from "@colyseus/sdk";
import { RoomErrorCode, RoomName } from "../../src/protocol.ts";
import { RegionFullError } from "../../src/services/matches/RegionPlacement.ts";
import { processPort } from "../helpers/childServer.ts";
import { type Peer, startPeer } from "../helpers/peer.ts";
import { bootTestServer, leaveQuietly, type Registered, registerPlayer, type TestServer } from "../helpers/server.ts";

const address = (port: number) => `127.0.0.1:${port}`;

async function until<T>(what: string, probe: () => Promise<T | undefined>, withinMs = 15_000): Promise<T> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`${what} within ${withinMs} ms`);
}

describe("scale-out: three processes, two regions [postgres, redis]", function () {
  this.timeout(120_000);
  let eu1: TestServer;
  let eu2: Peer;
  let us: Peer;
  const ids: Record<string, string> = {};
  const open: ClientRoom[] = [];

  before(async () => {
    const shared = { BOT_FILL_SEC: "0", REGIONS: "eu,us", MATCH_DURATION_SEC: "60" };
    eu1 = await bootTestServer({
      database: "postgres",
      redis: true,
      publicAddress: true,
      env: { ...shared, REGION: "eu", MAX_ROOMS: "2" },
    });
    const [eu2Port, usPort] = [await processPort(0), await processPort(1)];
    [eu2, us] = await Promise.all([
      startPeer(eu1, { ...shared, REGION: "eu", MAX_ROOMS: "1", PUBLIC_ADDRESS: address(eu2Port) }, eu2Port),
      startPeer(eu1, { ...shared, REGION: "us", MAX_ROOMS: "2", PUBLIC_ADDRESS: address(usPort) }, usPort),
    ]);
    const processes = await until("three processes announced", async () => {
      const seen = await eu1.services.placement.processes();
      return seen.length === 3 ? seen : undefined;
    });
    ids.eu1 = matchMaker.processId;
    ids.eu2 = processes.find((p) => p.region === "eu" && p.processId !== ids.eu1)!.processId;
    ids.us = processes.find((p) => p.region === "us")!.processId;
    assert.deepEqual(processes.find((p) => p.processId === ids.eu2)!.caps, { maxRooms: 1, maxCcu: 5000 });
  });
  after(async () => {
    // Rooms of the killed process never answer a leave.
    await Promise.all(open.map((room) => leaveQuietly(room)));
    await Promise.all([eu2?.stop(), us?.stop()]);
    await eu1?.close();
  });

  /** A search, with every message it received from the start (a seat may come before the test asks for it). */
  interface Search {
    room: ClientRoom;
    inbox: Array<{ type: string | number; message: unknown }>;
  }

  async function search(port: number, player: Registered, region: string): Promise<Search> {
    const sdk = new ColyseusSDK(`ws://${address(port)}`);
    sdk.auth.token = player.accessToken;
    const room = await sdk.joinOrCreate(RoomName.Matchmaking, { mode: "duel", region });
    const inbox: Search["inbox"] = [];
    room.onMessage("*", (type, message) => inbox.push({ type, message }));
    open.push(room);
    return { room, inbox };
  }

  /** The first message of `type` the search received, waiting up to `withinMs` for it. */
  function received<T>(searched: Search, type: string, withinMs: number): Promise<T> {
    return until(`a ${type} message`, async () => searched.inbox.find((m) => m.type === type)?.message as T, withinMs);
  }

  it("players entering through different processes are matched together, in their region's processes", async () => {
    const [a, b, c, d] = await Promise.all(Array.from({ length: 4 }, () => registerPlayer(eu1)));
    const searches = [
      await search(eu1.port, a!, "eu"),
      await search(eu2.port, b!, "eu"),
      await search(eu1.port, c!, "us"),
      await search(us.port, d!, "us"),
    ];
    const seats = await Promise.all(
      searches.map((searched) =>
        received<Parameters<ColyseusSDK["consumeSeatReservation"]>[0]>(searched, "seat", 30_000),
      ),
    ).catch((error: unknown) => {
      // Diagnostics for a rare failure seen once in the full suite: what the peers logged at warn and above.
      for (const [name, peer] of [
        ["eu2", eu2],
        ["us", us],
      ] as const) {
        const lines = peer.running.logs.filter((log) => Number(log.level) >= 40).slice(-10);
        process.stdout.write(`      ${name} warnings: ${JSON.stringify(lines)}\n`);
      }
      throw error;
    });
    const arenas = await Promise.all(
      seats.map((seat) => new ColyseusSDK(`ws://${address(eu1.port)}`).consumeSeatReservation(seat)),
    );
    open.push(...arenas);
    for (const arena of arenas) arena.onMessage("*", () => {});
    assert.equal(arenas[0]!.roomId, arenas[1]!.roomId, "the eu players entered through eu1 and eu2 and share a duel");
    assert.equal(arenas[2]!.roomId, arenas[3]!.roomId, "the us players entered through eu1 and us and share a duel");
    assert.ok(
      [address(eu1.port), address(eu2.port)].includes((seats[0] as { publicAddress: string }).publicAddress),
      "eu arena on an eu process",
    );
    assert.equal((seats[2] as { publicAddress: string }).publicAddress, address(us.port), "us arena on the us process");
    const listings = await matchMaker.query({ name: RoomName.Arena });
    assert.equal(listings.length, 2);
    assert.equal(listings.find((room) => room.roomId === arenas[2]!.roomId)!.processId, ids.us);
  });

  it("eu arenas fill eu1 (MAX_ROOMS=2) and eu2 (MAX_ROOMS=1) and no more; the next is refused, not overflowed", async () => {
    const [p, q] = await Promise.all([registerPlayer(eu1), registerPlayer(eu1)]);
    const roster = [p!, q!].map((x, i) => ({
      playerId: x.player.id,
      username: x.player.username,
      team: i,
      bot: false,
    }));
    const euArenas = async () =>
      (await matchMaker.query({ name: RoomName.Arena })).filter((room) => room.processId !== ids.us).length;
    // One eu arena runs already; two more fit. Each placement waits for the previous one's published load.
    for (let created = await euArenas(); created < 3; created = await euArenas()) {
      await eu1.services.launcher.launch({ mode: "duel", region: "eu", roster });
      await until("the new load published", async () => ((await euArenas()) > created ? true : undefined));
      await new Promise((resolve) => setTimeout(resolve, 150));
    }
    const refused = await eu1.services.launcher.launch({ mode: "duel", region: "eu", roster }).then(
      () => assert.fail("a fourth eu arena was created"),
      (error: unknown) => error,
    );
    assert.ok(refused instanceof RegionFullError && refused.reason === "full", String(refused));
    const byProcess = new Map<string, number>();
    for (const room of await matchMaker.query({ name: RoomName.Arena })) {
      byProcess.set(room.processId, (byProcess.get(room.processId) ?? 0) + 1);
    }
    assert.equal(byProcess.get(ids.eu1), 2, "eu1 at its cap");
    assert.equal(byProcess.get(ids.eu2), 1, "eu2 at its cap");
    assert.equal(byProcess.get(ids.us), 1, "us untouched by eu placements");
  });

  it("a killed process' listings disappear and no client is sent to it", async () => {
    const before = await matchMaker.query({ processId: ids.us });
    assert.ok(before.length >= 1, "the us process held rooms");
    us.running.child.kill("SIGKILL");
    await until("the killed process swept", async () => {
      const [listings, stats, processes] = await Promise.all([
        matchMaker.query({ processId: ids.us }),
        matchMaker.stats.fetchAll(),
        eu1.services.placement.processes(),
      ]);
      const gone =
        listings.length === 0 &&
        !stats.some((entry) => entry.processId === ids.us) &&
        !processes.some((entry) => entry.processId === ids.us);
      return gone ? true : undefined;
    });
    // A us match now has nowhere to go: the players are told, and nobody gets a seat on the dead process.
    const [p, q] = await Promise.all([registerPlayer(eu1), registerPlayer(eu1)]);
    const searches = [await search(eu1.port, p!, "us"), await search(eu2.port, q!, "us")];
    const errors = await Promise.all(
      searches.map((searched) => received<{ code: string; message: string }>(searched, "error", 10_000)),
    );
    for (const error of errors) {
      assert.equal(error.code, RoomErrorCode.RegionFull);
      assert.match(error.message, /no server of region us is running/);
    }
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const seatsSent = searches.flatMap((searched) => searched.inbox.filter((m) => m.type === "seat"));
    assert.deepEqual(seatsSent, []);
  });
});
