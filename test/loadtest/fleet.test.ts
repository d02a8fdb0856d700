/**
 * Smoke test of the load-test bots against a booted server: four guests search for duels through the real
 * matchmaker, take their arena seats, send inputs and pings, and the window's figures come out measured.
 */
import assert from "node:assert/strict";
import { Fleet } from "../../loadtest/lib/Fleet.ts";
import { measureWindow } from "../../loadtest/lib/Measure.ts";
import { bootTestServer, type TestServer } from "../helpers/server.ts";

describe("load-test bots (smoke)", function () {
  this.timeout(20_000);
  let server: TestServer;

  before(async () => {
    server = await bootTestServer({ database: "pglite", redis: false, env: { BOT_FILL_SEC: "0" } });
  });
  after(async () => {
    await server?.close();
  });

  it("log in, get matched, play and are measured", async () => {
    const fleet = new Fleet({
      inputHz: 30,
      decodeEvery: 2,
      pingIntervalMs: 200,
      searchTimeoutMs: 10_000,
      runId: `t${Date.now()}`,
    });
    fleet.start();
    const host = new URL(server.baseUrl).host;
    try {
      const bots = fleet.add(4);
      await Promise.all(
        bots.map(async (bot) => {
          await fleet.login(bot, server.baseUrl);
          const seat = await fleet.search(bot, server.baseUrl, host, "duel", "local");
          await fleet.play(bot, seat, host);
        }),
      );
      assert.equal(fleet.census().playing, 4);
      const window = await measureWindow({ fleet, servers: [] }, "smoke", 2, { quiet: true });
      assert.equal(window.errorCount, 0, JSON.stringify(window.errors));
      assert.equal(window.playersAtEnd, 4);
      // Two of the four decode state: their inputs come back acknowledged within a sane time.
      assert.ok(window.actionLatencyMs.count > 20, `latency samples: ${window.actionLatencyMs.count}`);
      assert.ok(window.actionLatencyMs.p50! > 0 && window.actionLatencyMs.p50! < 1000);
      assert.ok(window.rttMs.count >= 4 && window.rttMs.p50! < 500, JSON.stringify(window.rttMs));
      // Patches flow to every client (20 Hz): well over a hundred bytes a second each.
      assert.ok(window.bytesInPerClientPerSec > 100, `bytes/s per client: ${window.bytesInPerClientPerSec}`);
      assert.ok(window.inputsPerSec > 80 && window.inputsPerSec <= 125, `inputs/s: ${window.inputsPerSec}`);
      assert.ok(window.botCpuCores > 0);
      // The bots' own cost: every frame each way is counted (inputs and pings out; patches, pongs in).
      const framesPerSec = window.inputsPerSec + 4 * 20;
      assert.ok(window.botMessagesPerSec >= framesPerSec * 0.8, `bot messages/s: ${window.botMessagesPerSec}`);
      const usPerMessage = (window.botCpuCores * 1e6) / window.botMessagesPerSec;
      assert.ok(Math.abs(window.botCpuUsPerMessage / usPerMessage - 1) < 0.02, JSON.stringify(window));
      // The window divides its unrounded figures; botCpuCores is reported to 3 decimals, so allow the rounding.
      const perCore = window.playersMean / window.botCpuCores;
      assert.ok(Math.abs(window.playersPerBotCore - perCore) <= 1, `${window.playersPerBotCore} vs ${perCore}`);
    } finally {
      fleet.stop();
      fleet.leaveAll();
    }
  });
});
