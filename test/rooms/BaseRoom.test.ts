import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import type { Room as ClientRoom } from "@colyseus/sdk";
import { CloseCode, RoomErrorCode } from "../../src/protocol.ts";
import { nextLeave } from "../helpers/peer.ts";
import { bootTestServer, registerPlayer, sdkFor, type TestServer } from "../helpers/server.ts";
import { FaultyRoom } from "./FaultyRoom.ts";

for (const setup of [
  { database: "pglite", redis: false },
  { database: "postgres", redis: true },
] as const) {
  describe(`BaseRoom containment [${setup.database}, ${setup.redis ? "redis" : "in-process"}]`, function () {
    this.timeout(30_000);
    let server: TestServer;
    let alice: ClientRoom;
    let bob: ClientRoom;

    before(async () => {
      server = await bootTestServer({ ...setup, extraRooms: { faulty: FaultyRoom } });
    });
    after(() => server.close());

    beforeEach(async () => {
      // Real SDK clients through the matchmaker's HTTP route and a seat reservation, as a game client joins.
      alice = await sdkFor(server, (await registerPlayer(server)).accessToken).joinOrCreate("faulty");
      bob = await sdkFor(server, (await registerPlayer(server)).accessToken).joinOrCreate("faulty");
      assert.equal(alice.roomId, bob.roomId);
      // Replies that a test does not wait for are expected; keep the SDK from warning about them.
      for (const client of [alice, bob]) client.onMessage("*", () => {});
    });
    afterEach(() => server.colyseus.cleanup());

    function serverRoom(): FaultyRoom {
      return matchMaker.getLocalRoomById(alice.roomId) as FaultyRoom;
    }

    it("a throw in one client's handler answers that client with an error and closes nobody", async () => {
      const error = alice.waitForMessage("error");
      alice.send("boom", {});
      assert.equal((await error).code, RoomErrorCode.Internal);
      const asyncError = alice.waitForMessage("error");
      alice.send("boomAsync", {});
      assert.equal((await asyncError).code, RoomErrorCode.Internal);

      const echo = bob.waitForMessage("echo");
      bob.send("echo", { text: "still" });
      assert.equal((await echo).text, "still");
      const echoAlice = alice.waitForMessage("echo");
      alice.send("echo", { text: "me too" });
      assert.equal((await echoAlice).text, "me too");
      assert.equal(serverRoom().clients.length, 2);
    });

    it("a throw inside the tick is contained: the room keeps ticking and keeps its clients", async () => {
      const room = serverRoom();
      alice.send("tickBoom", {});
      await room.waitForMessage("tickBoom");
      const before = room.ticks;
      for (let i = 0; i < 5; i++) await room.waitForNextSimulationTick();
      assert.ok(room.ticks >= before + 5, `ticks went from ${before} to ${room.ticks}`);
      assert.equal(room.clients.length, 2);
      const echo = bob.waitForMessage("echo");
      bob.send("echo", { text: "alive" });
      assert.equal((await echo).text, "alive");
    });

    it("an invalid payload gets an INVALID_MESSAGE error naming the field, and changes nothing", async () => {
      const error = alice.waitForMessage("error");
      alice.send("echo", { text: 42 });
      const payload = await error;
      assert.equal(payload.code, RoomErrorCode.InvalidMessage);
      assert.match(payload.message, /text/);
      const unknown = alice.waitForMessage("error");
      alice.send("nonsense", { a: 1 });
      assert.match((await unknown).message, /unknown message type "nonsense"/);
    });

    it("strikes past the limit kick only the offender, with KickedInvalidInput", async () => {
      const left = nextLeave(alice);
      for (let i = 0; i < 4; i++) alice.send("echo", { text: "way too long for the schema" });
      assert.equal(await left, CloseCode.KickedInvalidInput);
      const echo = bob.waitForMessage("echo");
      bob.send("echo", { text: "ok" });
      assert.equal((await echo).text, "ok");
    });

    it("a flood kicks the flooder with KickedFlood and not the others", async () => {
      const left = nextLeave(alice);
      for (let i = 0; i < 40; i++) alice.send("echo", { text: "x" });
      assert.equal(await left, CloseCode.KickedFlood);
      const echo = bob.waitForMessage("echo");
      bob.send("echo", { text: "fine" });
      assert.equal((await echo).text, "fine");
    });
  });
}
