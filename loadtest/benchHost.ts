/**
 * The bench host: the real server definition (the same services, rooms and routes as `npm start`, on PGlite in a
 * temporary directory) in its own process, plus what the load-test driver needs besides:
 *  - the `vanilla` baseline room (loadtest/VanillaRoom.ts), joined with `{size}` so it holds as many players as the
 *    arena rooms it is compared with;
 *  - a raw `ws` server on BENCH_PORT + 1: an echo on `/` (the framework-overhead baseline), and on `/feed` a game
 *    room's message rates without the room (the `bots` scenario);
 *  - `POST /loadtest/launch {mode, roster}`: an arena for a roster of any size (the matchmaker only forms duel, ffa
 *    and squad matches; the 8- and 100-player rooms of the performance targets are launched here);
 *  - `GET /loadtest/stats?reset=1&gc=1`: event-loop delay p99 (monitorEventLoopDelay), bytes sent over WebSockets
 *    since the last reset, and memory (after a full collection with `gc`).
 * Loopback only. Sends "ready" over IPC once listening.
 */
import { monitorEventLoopDelay } from "node:perf_hooks";
import express from "express";
import { WebSocket, WebSocketServer } from "ws";
import { RoomName } from "../src/protocol.ts";
import { startBenchServer } from "./benchServer.ts";
import { Feed } from "./lib/Feed.ts";
import { VanillaRoom } from "./VanillaRoom.ts";

let bytesSent = 0;
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
  if (data instanceof Uint8Array) bytesSent += data.byteLength;
  else if (typeof data === "string") bytesSent += Buffer.byteLength(data);
  // biome-ignore lint/suspicious/noExplicitAny: forwarding ws' overloads unchanged.
  return (send as any).call(this, data, ...rest);
} as typeof WebSocket.prototype.send;

interface LaunchBody {
  mode?: "duel" | "ffa" | "squad";
  roster: Array<{ playerId: string; username: string }>;
}

async function main(): Promise<void> {
  const port = Number(process.env.BENCH_PORT ?? 2790);
  const loop = monitorEventLoopDelay({ resolution: 1 });
  loop.enable();
  const server = await startBenchServer(
    port,
    (colyseus) => {
      colyseus.define("vanilla", VanillaRoom).filterBy(["size"]);
    },
    (app, services) => {
      app.post("/loadtest/launch", express.json({ limit: "64kb" }), async (req, res) => {
        const body = req.body as LaunchBody;
        const launched = await services.launcher.launch({
          mode: body.mode ?? "ffa",
          region: "local",
          roster: body.roster.map((p, i) => ({ playerId: p.playerId, username: p.username, team: i, bot: false })),
        });
        res.json({ sessionId: launched.sessionId, seats: Object.fromEntries(launched.seats) });
      });
      app.get("/loadtest/stats", (req, res) => {
        // ?gc=1: a full collection first (the host runs with --expose-gc), so the heap figures are live memory.
        if (req.query.gc !== undefined) (globalThis as { gc?: () => void }).gc?.();
        const memory = process.memoryUsage();
        const figures = {
          // The histogram records whole 1 ms sampling intervals: the delay beyond schedule is p99 − 1 ms.
          eventLoopP99Ms: Math.max(0, loop.percentile(99) / 1e6 - 1),
          eventLoopMaxMs: loop.max / 1e6,
          bytesSent,
          heapUsedBytes: memory.heapUsed,
          heapTotalBytes: memory.heapTotal,
          externalBytes: memory.external,
          rssBytes: memory.rss,
        };
        if (req.query.reset !== undefined) loop.reset();
        res.json(figures);
      });
    },
  );
  const echo = new WebSocketServer({ host: "127.0.0.1", port: port + 1, perMessageDeflate: false });
  const feed = new Feed();
  echo.on("connection", (socket, req) => {
    const url = new URL(req.url ?? "/", "http://bench");
    if (url.pathname === "/feed") {
      feed.add(socket, Number(url.searchParams.get("hz") ?? 20), Number(url.searchParams.get("bytes") ?? 100));
      return;
    }
    socket.on("message", (data: Buffer) => socket.send(data));
  });
  const stop = async () => {
    feed.stop();
    echo.close();
    await server.close();
    process.exit(0);
  };
  process.once("SIGTERM", () => void stop());
  process.once("SIGINT", () => void stop());
  process.send?.({ ready: true, arena: RoomName.Arena });
}

main().catch((error: unknown) => {
  process.stderr.write(`bench host failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
