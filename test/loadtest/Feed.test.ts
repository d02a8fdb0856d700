/**
 * The bench host's raw server as the `bots` scenario uses it: `/feed` sends patch-sized messages at the patch rate
 * and swallows inputs; `/` echoes. Bots on each are measured as the scenario measures them.
 */
import assert from "node:assert/strict";
import { once } from "node:events";
import type { AddressInfo } from "node:net";
import { WebSocketServer } from "ws";
import { Feed } from "../../loadtest/lib/Feed.ts";
import { Fleet } from "../../loadtest/lib/Fleet.ts";
import { measureWindow } from "../../loadtest/lib/Measure.ts";

describe("load-test raw feed and echo", function () {
  this.timeout(20_000);
  let wss: WebSocketServer;
  let feed: Feed;
  let base: string;
  let echoed = 0;

  before(async () => {
    wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false });
    feed = new Feed();
    wss.on("connection", (socket, req) => {
      const url = new URL(req.url ?? "/", "http://test");
      if (url.pathname === "/feed") {
        feed.add(socket, Number(url.searchParams.get("hz")), Number(url.searchParams.get("bytes")));
        return;
      }
      socket.on("message", (data: Buffer) => {
        echoed += 1;
        socket.send(data);
      });
    });
    await once(wss, "listening");
    base = `ws://127.0.0.1:${(wss.address() as AddressInfo).port}`;
  });

  after(() => {
    feed.stop();
    for (const client of wss.clients) client.terminate();
    wss.close();
  });

  it("a fed bot receives patch-coded messages at the feed's rate and sends its inputs; nothing is echoed", async () => {
    const fleet = new Fleet({ inputHz: 30, decodeEvery: 1, pingIntervalMs: 2000, searchTimeoutMs: 1000, runId: "f" });
    fleet.start();
    try {
      const bots = fleet.add(3);
      await Promise.all(bots.map((bot) => fleet.playRaw(bot, `${base}/feed?hz=20&bytes=100`, "feed")));
      const window = await measureWindow({ fleet, servers: [] }, "feed", 2, { quiet: true });
      const perBot = fleet.traffic.framesIn / 3 / window.seconds;
      assert.ok(window.playersAtEnd === 3, JSON.stringify(window));
      assert.ok(window.bytesInPerClientPerSec > 1600 && window.bytesInPerClientPerSec < 2400, `${perBot}`);
      assert.ok(window.inputsPerSec > 70 && window.inputsPerSec <= 95, `inputs/s ${window.inputsPerSec}`);
      assert.equal(window.actionLatencyMs.count, 0, "a feed does not answer inputs: no latency to time");
      assert.equal(fleet.traffic.stateBytesIn, 0, "raw sockets count bytes, not Colyseus frames");
      assert.equal(echoed, 0);
    } finally {
      fleet.stop();
      fleet.leaveAll();
    }
  });

  it("an echoed bot times every input that comes back", async () => {
    const fleet = new Fleet({ inputHz: 30, decodeEvery: 1, pingIntervalMs: 2000, searchTimeoutMs: 1000, runId: "e" });
    fleet.start();
    try {
      const bots = fleet.add(2);
      await Promise.all(bots.map((bot) => fleet.playRaw(bot, base, "echo")));
      const window = await measureWindow({ fleet, servers: [] }, "echo", 1, { quiet: true });
      assert.ok(echoed >= 40, `echoed ${echoed}`);
      assert.ok(window.actionLatencyMs.count >= 40, JSON.stringify(window.actionLatencyMs));
      assert.ok(window.actionLatencyMs.p99! < 500);
    } finally {
      fleet.stop();
      fleet.leaveAll();
    }
  });
});
