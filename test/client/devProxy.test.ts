/**
 * The documented hot-reload setup: `npx vite` (vite.config.ts) next to the game server on its PORT. A client of the
 * Vite dev server gets the game's HTTP routes and its room WebSockets through Vite's proxy: it logs in, reads
 * GET /games, searches, takes its seat and plays, all on the Vite origin (before: the proxy knew no WebSocket path and
 * a fixed port, and the page hung on "joining the queue").
 */
import assert from "node:assert/strict";
import path from "node:path";
import { ColyseusSDK } from "@colyseus/sdk";
import { createServer, type ViteDevServer } from "vite";
import { freePort } from "../helpers/ports.ts";
import { bootTestServer, type TestServer } from "../helpers/server.ts";

describe("the Vite dev server's proxy to the game server", function () {
  this.timeout(60_000);
  let game: TestServer;
  let vite: ViteDevServer;
  let viteUrl: string;

  before(async () => {
    game = await bootTestServer({ database: "pglite", redis: false, env: { BOT_FILL_SEC: "1" } });
    const previous = process.env.PORT;
    // vite.config.ts reads the game server's PORT when it loads, as `npm start` and `npx vite` side by side have it.
    process.env.PORT = String(game.port);
    try {
      const port = await freePort();
      vite = await createServer({
        configFile: path.resolve(import.meta.dirname, "../../vite.config.ts"),
        logLevel: "silent",
        server: { port, strictPort: true, host: "127.0.0.1", hmr: false },
      });
      await vite.listen();
      viteUrl = `http://127.0.0.1:${port}`;
    } finally {
      if (previous === undefined) delete process.env.PORT;
      else process.env.PORT = previous;
    }
  });
  after(async () => {
    await vite?.close();
    await game?.close();
  });

  it("serves the page itself, and the game's HTTP routes and room WebSockets from the game server", async () => {
    assert.match(await (await fetch(`${viteUrl}/`)).text(), /<html/i, "Vite serves the page");
    const games = (await (await fetch(`${viteUrl}/games`)).json()) as { games: Array<{ id: string }> };
    assert.ok(
      games.games.some((g) => g.id === "connect4"),
      "GET /games through the proxy",
    );
    const guest = (await (
      await fetch(`${viteUrl}/auth/guest`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ deviceId: "vite-proxy-device-0001" }),
      })
    ).json()) as { accessToken: string };
    assert.equal(typeof guest.accessToken, "string");

    const sdk = new ColyseusSDK(viteUrl.replace("http", "ws"));
    sdk.auth.token = guest.accessToken;
    const searching = await sdk.joinOrCreate("matchmaking", { game: "connect4", mode: "duel" });
    searching.onMessage("*", () => {});
    const seat = await searching.waitForMessage("seat", 15_000);
    const match = await sdk.consumeSeatReservation(seat as never);
    match.onMessage("*", () => {});
    const state = await new Promise<{ phase: string }>((resolve) =>
      match.onStateChange((raw: unknown) => {
        const s = raw as { phase: string; players: { size: number } };
        if (s.phase === "active" && s.players.size === 2) resolve(s);
      }),
    );
    assert.equal(state.phase, "active", "a bot-filled Connect Four match, played over the proxied WebSocket");
    await match.leave();
    await searching.leave().catch(() => undefined);
  });
});
