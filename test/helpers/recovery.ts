/** Shared steps of the crash-recovery tests: find peers, start a duel on one, rejoin once the match runs again. */
import { matchMaker } from "@colyseus/core";
import type { Room as ClientRoom } from "@colyseus/sdk";
import { Redis } from "ioredis";
import { type Registered, TEST_REDIS_URL, type TestServer } from "./server.ts";

/** Process ids of peers that announced a region (and `accept` it) and appear in Colyseus' stats. */
export async function announcedPeers(
  count: number,
  accept: (region: string) => boolean = () => true,
): Promise<string[]> {
  const redis = new Redis(TEST_REDIS_URL);
  try {
    for (let i = 0; i < 100; i++) {
      const regions = await redis.hgetall("arena:process:region");
      const stats = await matchMaker.stats.fetchAll();
      const ids = Object.keys(regions).filter(
        (id) => id !== matchMaker.processId && accept(regions[id]!) && stats.some((s) => s.processId === id),
      );
      if (ids.length >= count) return ids;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    throw new Error("peers did not announce themselves");
  } finally {
    redis.disconnect();
  }
}

/** A duel of `player` against a bot, created on `processId`; returns its session id and the player's seat. */
export async function duelOn(server: TestServer, processId: string, player: Registered, region = "us") {
  const launched = await server.services.launcher.launch({
    mode: "duel",
    region,
    placeOn: processId,
    roster: [
      { playerId: player.player.id, username: player.player.username, team: 0, bot: false },
      { playerId: "bot:1", username: "bot 1", team: 1, bot: true },
    ],
  });
  return { sessionId: launched.sessionId, seat: launched.seats.get(player.player.id)! };
}

/**
 * Gets `player` back into `sessionId` once the match runs again somewhere, through the SDK (`arena.rejoin`):
 * POST /sessions/:id/rejoin, asked again every 250 ms while it answers 503 (being recovered), for at most 15 s; any
 * other refusal rejects with its ApiError (status and code). Resolves with the room of the new seat once its first
 * state arrived; the Colyseus SDK's own reconnection is off on it, as on the other rooms of these tests.
 */
export async function rejoinWhenRunning(sessionId: string, player: Registered): Promise<ClientRoom> {
  const handle = await player.arena.rejoin(sessionId);
  const room = handle.room as ClientRoom;
  room.reconnection.enabled = false;
  return room;
}

/** The address (`host:port`) a client room is connected to: where its seat led (the seat's publicAddress). */
export function addressOf(room: ClientRoom): string {
  return new URL((room.connection as unknown as { url: string }).url).host;
}

/** Waits until the session has at least `version` snapshots (at most 15 s). */
export async function snapshotsTaken(server: TestServer, sessionId: string, version: number): Promise<void> {
  const deadline = Date.now() + 15_000;
  while ((await server.services.sessions.snapshot(sessionId, version)) === undefined && Date.now() < deadline) {
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
}
