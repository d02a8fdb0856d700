import assert from "node:assert/strict";
import { ColyseusSDK, type Room as ClientRoom } from "@colyseus/sdk";
import { CHAT_LIMITS, MAX_BLOCKS_PER_PLAYER } from "../../src/services/chat/ChatService.ts";
import { processPort } from "../helpers/childServer.ts";
import { type Peer, startPeer } from "../helpers/peer.ts";
import {
  ADMIN_PASSWORD,
  bootTestServer,
  jsonBody,
  postJson,
  type Registered,
  registerPlayer,
  sdkFor,
  type TestServer,
} from "../helpers/server.ts";

interface Message {
  id: string;
  from: string;
  username: string;
  text: string;
  at: number;
}

/** Collects every `message` and `error` a client receives. */
function listen(room: ClientRoom) {
  const messages: Message[] = [];
  const errors: Array<{ code: string; message: string }> = [];
  room.onMessage("message", (m: Message) => messages.push(m));
  room.onMessage("error", (e: { code: string; message: string }) => errors.push(e));
  room.onMessage("history", () => {});
  room.onMessage("*", () => {});
  return { messages, errors };
}

async function until(check: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

async function join(
  server: TestServer,
  player: Registered,
  channel = "global",
): Promise<{ room: ClientRoom; history: Message[] }> {
  const room = await sdkFor(server, player.accessToken).joinOrCreate("chat", { channel });
  const history = (await room.waitForMessage("history", 5000)) as { messages: Message[] };
  return { room, history: history.messages };
}

for (const setup of [
  { database: "pglite", redis: false },
  { database: "postgres", redis: true },
] as const) {
  describe(`chat [${setup.database}, ${setup.redis ? "redis" : "in-process"}]`, function () {
    this.timeout(60_000);
    let server: TestServer;
    before(async () => {
      server = await bootTestServer({ ...setup, env: { REGIONS: "local,eu" } });
    });
    after(() => server.close());
    afterEach(() => server.colyseus.cleanup());

    it("delivers to everyone in the channel; history keeps the last 50 in order across rooms", async () => {
      const [a, b] = [await registerPlayer(server), await registerPlayer(server)];
      const channel = "region:eu";
      // 55 messages from a few senders (under the rate limit each), persisted.
      const senders = await Promise.all(Array.from({ length: 11 }, () => registerPlayer(server)));
      let n = 0;
      for (const sender of senders) {
        for (let i = 0; i < 5; i++) {
          await server.services.chat.postLobby(
            channel,
            { playerId: sender.player.id, username: sender.player.username },
            `message ${n++}`,
          );
        }
      }
      const first = await join(server, a, channel);
      assert.equal(first.history.length, CHAT_LIMITS.historySize);
      assert.equal(first.history[0]!.text, "message 5");
      assert.equal(first.history.at(-1)!.text, "message 54");
      const second = await join(server, b, channel);
      const inbox = listen(second.room);
      const own = listen(first.room);
      first.room.send("message", { text: "  hello\u0007 there  " });
      await until(() => inbox.messages.length === 1 && own.messages.length === 1, "delivery");
      assert.deepEqual(Object.keys(inbox.messages[0]!).sort(), ["at", "from", "id", "text", "username"]);
      assert.equal(inbox.messages[0]!.text, "hello there", "control characters removed and trimmed");
      assert.equal(inbox.messages[0]!.from, a.player.id);
      const global = await join(server, await registerPlayer(server), "global");
      assert.equal(
        global.history.some((m) => m.text === "hello there"),
        false,
        "channels are separate",
      );
    });

    it("refuses empty and over-long text (280 passes, 281 does not) and unknown channels", async () => {
      const p = await registerPlayer(server);
      const { room } = await join(server, p);
      const box = listen(room);
      room.send("message", { text: "x".repeat(280) });
      room.send("message", { text: "y".repeat(281) });
      room.send("message", { text: "   " });
      await until(() => box.messages.length === 1 && box.errors.length === 2, "one delivery, two errors");
      assert.ok(box.errors.every((e) => e.code === "INVALID_MESSAGE"));
      await assert.rejects(sdkFor(server, p.accessToken).joinOrCreate("chat", { channel: "region:mars" }));
      await assert.rejects(sdkFor(server, p.accessToken).joinOrCreate("chat", { channel: "secret" }));
    });

    it("rate limit: 5 messages in 10 s pass, the 6th gets FLOOD; repeating a message gets SPAM", async () => {
      const p = await registerPlayer(server);
      const { room } = await join(server, p);
      const box = listen(room);
      for (let i = 1; i <= CHAT_LIMITS.messages; i++) room.send("message", { text: `number ${i}` });
      await until(() => box.messages.length === CHAT_LIMITS.messages, "five deliveries");
      room.send("message", { text: "number 6" });
      await until(() => box.errors.length === 1, "flood error");
      assert.equal(box.errors[0]!.code, "FLOOD");
      assert.equal(box.messages.length, CHAT_LIMITS.messages);

      const q = await registerPlayer(server);
      const other = await join(server, q);
      const otherBox = listen(other.room);
      other.room.send("message", { text: "buy gold" });
      other.room.send("message", { text: "BUY  gold" });
      // Invisible characters and combining marks do not make a repeat a new message.
      other.room.send("message", { text: "buy\u2060 gold\u00ad" });
      other.room.send("message", { text: "bu\u0301y gold\ufeff" });
      await until(() => otherBox.errors.length === 3, "spam errors");
      assert.deepEqual(
        otherBox.errors.map((error) => error.code),
        ["SPAM", "SPAM", "SPAM"],
      );
      assert.equal(otherBox.messages.filter((m) => m.from === q.player.id).length, 1, "only the first was delivered");
    });

    it("masks filtered words", async () => {
      const p = await registerPlayer(server);
      const { room } = await join(server, p);
      const box = listen(room);
      room.send("message", { text: "what the fuck" });
      await until(() => box.messages.length === 1, "delivery");
      assert.equal(box.messages[0]!.text, "what the ****");
    });

    it("a muted player gets MUTED and nothing is broadcast; a blocked player's messages do not reach the blocker", async () => {
      const [loud, listener, blocker] = [
        await registerPlayer(server),
        await registerPlayer(server),
        await registerPlayer(server),
      ];
      const basic = { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}` };
      const rooms = await Promise.all([loud, listener, blocker].map((p) => join(server, p)));
      const boxes = rooms.map((r) => listen(r.room));
      const block = await postJson(
        server,
        "/players/me/blocks",
        { playerId: loud.player.id },
        { token: blocker.accessToken },
      );
      assert.equal(block.status, 204);
      rooms[0]!.room.send("message", { text: "can you hear me" });
      await until(() => boxes[1]!.messages.length === 1, "delivery to the listener");
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(boxes[2]!.messages.length, 0, "the blocker does not get it");

      assert.equal(
        (await postJson(server, `/admin/players/${loud.player.id}/mute`, { minutes: 5 }, { headers: basic })).status,
        204,
      );
      rooms[0]!.room.send("message", { text: "still here" });
      await until(() => boxes[0]!.errors.length === 1, "muted error");
      assert.equal(boxes[0]!.errors[0]!.code, "MUTED");
      await new Promise((resolve) => setTimeout(resolve, 150));
      assert.equal(boxes[1]!.messages.length, 1, "nothing broadcast while muted");

      const unblock = await fetch(`${server.baseUrl}/players/me/blocks/${loud.player.id}`, {
        method: "DELETE",
        headers: { authorization: `Bearer ${blocker.accessToken}` },
      });
      assert.equal(unblock.status, 204);
      assert.equal(
        (await postJson(server, "/players/me/blocks", { playerId: "nobody" }, { token: blocker.accessToken })).status,
        404,
      );
      assert.equal((await postJson(server, "/players/me/blocks", {}, { token: blocker.accessToken })).status, 400);
      assert.equal(
        (await postJson(server, "/admin/players/nobody/mute", { minutes: 5 }, { headers: basic })).status,
        404,
      );
    });

    it(`a block list holds at most ${MAX_BLOCKS_PER_PLAYER} players (each chat connection loads it whole)`, async () => {
      const blocker = await registerPlayer(server);
      const ids: string[] = [];
      for (let i = 0; i <= MAX_BLOCKS_PER_PLAYER; i++) {
        const suffix = `${process.pid % 1000}_${i}_${Math.random().toString(36).slice(2, 6)}`;
        const player = await server.services.stores.players.create({ username: `blk_${suffix}`, region: "local" });
        ids.push(player.id);
      }
      const block = (playerId: string) =>
        postJson(server, "/players/me/blocks", { playerId }, { token: blocker.accessToken });
      for (const id of ids.slice(0, MAX_BLOCKS_PER_PLAYER)) assert.equal((await block(id)).status, 204);
      const full = await block(ids.at(-1)!);
      const body = await jsonBody(full);
      assert.equal(full.status, 409, JSON.stringify(body));
      assert.equal(body.error.code, "CONFLICT");
      assert.equal((await block(ids[0]!)).status, 204, "blocking someone already blocked still answers 204");
      assert.equal((await server.services.chat.blockedBy(blocker.player.id)).size, MAX_BLOCKS_PER_PLAYER);
    });
  });
}

describe("chat across two processes sharing Redis, sharded [postgres, redis]", function () {
  this.timeout(60_000);
  let a: TestServer;
  let b: Peer;
  before(async () => {
    a = await bootTestServer({
      database: "postgres",
      redis: true,
      publicAddress: true,
      env: { CHAT_SHARD_SIZE: "2" },
    });
    const port = await processPort();
    b = await startPeer(a, { CHAT_SHARD_SIZE: "2", PUBLIC_ADDRESS: `127.0.0.1:${port}` }, port);
  });
  after(async () => {
    await b.stop();
    await a.close();
  });

  it("every member of a channel spread over several rooms on both processes sees every message", async () => {
    const players = await Promise.all(Array.from({ length: 6 }, () => registerPlayer(a)));
    const rooms: ClientRoom[] = [];
    for (const [i, p] of players.entries()) {
      const sdk = new ColyseusSDK(`ws://127.0.0.1:${i % 2 === 0 ? a.port : b.port}`);
      sdk.auth.token = p.accessToken;
      rooms.push(await sdk.joinOrCreate("chat", { channel: "global" }));
    }
    assert.ok(new Set(rooms.map((r) => r.roomId)).size >= 3, "shards of two members each");
    const boxes = rooms.map(listen);
    rooms[0]!.send("message", { text: "from the first shard" });
    rooms[5]!.send("message", { text: "from the last shard" });
    await until(() => boxes.every((box) => box.messages.length === 2), "every member got both messages");
    for (const box of boxes) {
      assert.deepEqual(box.messages.map((m) => m.text).sort(), ["from the first shard", "from the last shard"]);
    }
  });
});
