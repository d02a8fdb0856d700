import type { WebSocket } from "ws";
import { Code } from "./ColyseusWire.ts";

/**
 * The raw server's `/feed`: what a game room sends a client, without the room. Each connection gets a
 * ROOM_STATE_PATCH-coded message of `bytes` bytes `hz` times a second (phases spread at random, as rooms' ticks are)
 * and its own messages are swallowed: the bots' load at a game's exact message rates, for the `bots` scenario.
 */
export class Feed {
  private readonly connections = new Map<WebSocket, { payload: Buffer; periodMs: number; nextAt: number }>();
  private readonly timer = setInterval(() => this.send(), 5);

  add(socket: WebSocket, hz: number, bytes: number): void {
    const periodMs = 1000 / clamp(hz, 1, 120, 20);
    const payload = Buffer.alloc(Math.round(clamp(bytes, 1, 64 * 1024, 100)));
    payload[0] = Code.RoomStatePatch;
    this.connections.set(socket, { payload, periodMs, nextAt: performance.now() + Math.random() * periodMs });
    socket.on("close", () => this.connections.delete(socket));
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private send(): void {
    const now = performance.now();
    for (const [socket, feed] of this.connections) {
      if (now < feed.nextAt) continue;
      feed.nextAt = Math.max(feed.nextAt + feed.periodMs, now - feed.periodMs);
      socket.send(feed.payload);
    }
  }
}

/** `value` within [min, max]; `fallback` when it is not a number (a missing query parameter). */
function clamp(value: number, min: number, max: number, fallback: number): number {
  return Number.isFinite(value) ? Math.min(Math.max(value, min), max) : fallback;
}
