/**
 * The server side of the arena benchmark, in its own process so its CPU time is its own: the real server
 * definition plus the vanilla baseline room, a byte counter on every WebSocket send, and an IPC protocol for the
 * driver (loadtest/arenaBench.ts): launch a match, measure a window.
 */
import { matchMaker } from "@colyseus/core";
import { WebSocket } from "ws";
import { RoomName } from "../src/protocol.ts";
import type { ArenaRoom } from "../src/rooms/ArenaRoom.ts";
import { startBenchServer } from "./benchServer.ts";
import { VanillaRoom } from "./VanillaRoom.ts";

let bytesSent = 0;
let messagesSent = 0;
const send = WebSocket.prototype.send;
WebSocket.prototype.send = function (this: WebSocket, data: unknown, ...rest: unknown[]) {
  if (data instanceof Uint8Array || Buffer.isBuffer(data)) bytesSent += data.byteLength;
  else if (typeof data === "string") bytesSent += Buffer.byteLength(data);
  messagesSent += 1;
  // biome-ignore lint/suspicious/noExplicitAny: forwarding ws' overloads unchanged.
  return (send as any).call(this, data, ...rest);
} as typeof WebSocket.prototype.send;

type Command =
  | { cmd: "launch"; roster: Array<{ playerId: string; username: string; team: number; bot: boolean }> }
  | { cmd: "measure"; ms: number; roomId: string }
  | { cmd: "stop" };

async function main(): Promise<void> {
  const port = Number(process.env.BENCH_PORT ?? 2591);
  const server = await startBenchServer(port, (colyseus) => {
    colyseus.define("vanilla", VanillaRoom);
  });
  process.on("message", async (message: Command) => {
    try {
      if (message.cmd === "launch") {
        const launched = await server.services.arenas.launch({
          mode: "ffa",
          region: "local",
          roster: message.roster,
          seed: 11,
        });
        process.send!({ ok: true, sessionId: launched.sessionId, seats: Object.fromEntries(launched.seats) });
      } else if (message.cmd === "measure") {
        const room = matchMaker.getLocalRoomById(message.roomId);
        const interest = (room as unknown as Partial<ArenaRoom> | undefined)?.interestStats;
        const interestBefore = interest === undefined ? undefined : { ...interest };
        const snapshots = (room as unknown as Partial<ArenaRoom> | undefined)?.snapshotStats;
        const snapshotsBefore = snapshots === undefined ? undefined : { ...snapshots };
        const cpuBefore = process.cpuUsage();
        const bytesBefore = bytesSent;
        const messagesBefore = messagesSent;
        const started = performance.now();
        await new Promise((resolve) => setTimeout(resolve, message.ms));
        const cpu = process.cpuUsage(cpuBefore);
        process.send!({
          ok: true,
          wallMs: performance.now() - started,
          cpuMs: (cpu.user + cpu.system) / 1000,
          bytesSent: bytesSent - bytesBefore,
          messagesSent: messagesSent - messagesBefore,
          clients: room?.clients.length ?? 0,
          rssMb: Math.round(process.memoryUsage().rss / 1e6),
          snapshots:
            snapshots === undefined || snapshotsBefore === undefined
              ? undefined
              : {
                  count: snapshots.count - snapshotsBefore.count,
                  totalMs: Math.round((snapshots.totalMs - snapshotsBefore.totalMs) * 100) / 100,
                  bytes: snapshots.bytes,
                },
          interest:
            interest === undefined || interestBefore === undefined
              ? undefined
              : {
                  refreshes: interest.refreshes - interestBefore.refreshes,
                  totalMs: Math.round((interest.totalMs - interestBefore.totalMs) * 100) / 100,
                },
        });
      } else if (message.cmd === "stop") {
        await server.close();
        process.exit(0);
      }
    } catch (error) {
      process.send!({ ok: false, error: error instanceof Error ? error.message : String(error) });
    }
  });
  process.send!({ ok: true, ready: true, url: server.url, arena: RoomName.Arena });
}

main().catch((error: unknown) => {
  process.stderr.write(`arena host failed: ${error instanceof Error ? error.stack : String(error)}\n`);
  process.exit(1);
});
