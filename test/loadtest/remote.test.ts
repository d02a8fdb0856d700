/**
 * `npm run loadtest -- steady --url …`: the driver against a server it did not start (here a booted test server),
 * with the server's CPU, RSS and event-loop delay read from its GET /metrics.
 */
import assert from "node:assert/strict";
import { parseOptions } from "../../loadtest/loadtest.ts";
import type { WindowFigures } from "../../loadtest/lib/Measure.ts";
import { steady } from "../../loadtest/scenarios.ts";
import { bootTestServer, type TestServer } from "../helpers/server.ts";

describe("load test against a running server (--url)", function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => {
    server = await bootTestServer({ database: "pglite", redis: false, env: { BOT_FILL_SEC: "0" } });
  });
  after(async () => {
    await server?.close();
  });

  it("matches and plays 4 guests there and reads the server's figures from /metrics", async () => {
    const { options } = parseOptions([
      "steady",
      "--url",
      server.baseUrl,
      "--players",
      "4",
      "--mode",
      "duel",
      "--duration",
      "2",
      "--warmup",
      "0",
      "--quiet",
    ]);
    assert.deepEqual(options.urls, [new URL(server.baseUrl).origin.replace(/\/$/, "")]);
    const figures = await steady(options);
    const game = figures.game as WindowFigures;
    assert.equal(figures.database, "remote");
    assert.equal(figures.processes, 1);
    assert.equal(game.playersAtEnd, 4, JSON.stringify(game.errors));
    assert.equal(game.errorCount, 0, JSON.stringify(game.errors));
    assert.equal(game.servers[0]?.source, "metrics");
    // This test process is the server: /metrics reports its CPU and RSS (the bots' share included).
    assert.ok(game.serverCpuCores > 0, JSON.stringify(game.servers));
    assert.ok(game.serverRssMb > 50, JSON.stringify(game.servers));
    assert.ok(game.bytesInPerClientPerSec > 100, `${game.bytesInPerClientPerSec}`);
  });

  it("refuses the scenarios that need the bench host", async () => {
    const { options } = parseOptions(["rooms", "--url", server.baseUrl, "--quiet"]);
    const { rooms } = await import("../../loadtest/scenarios.ts");
    await assert.rejects(rooms(options), /not with --url/);
  });
});
