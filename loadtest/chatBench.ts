/**
 * Chat fan-out benchmark: 1,000 members (BENCH_MEMBERS) in the `global` channel, spread over shards of 200; 100
 * senders post one message each at once; prints the deliveries per second and the time until every member had
 * every message. Server and clients share this process (loopback only). Writes bench/local/chat-<presence>.json
 * (bench/results/ with --update). The members are SDK clients (sdk/: `ArenaClient.guest` and `joinChat`), as a game's
 * client would be: no refresh timer (the run is far shorter than a token's lifetime).
 */
import { ArenaClient, type LobbyChat } from "../sdk/src/index.ts";
import { startBenchServer, writeResults } from "./benchServer.ts";
import { resultsDirFromArgv } from "./lib/ResultsDir.ts";

const MEMBERS = Number(process.env.BENCH_MEMBERS ?? 1000);
const SENDERS = Number(process.env.BENCH_SENDERS ?? 100);

async function main(): Promise<void> {
  const dir = resultsDirFromArgv(process.argv.slice(2));
  process.env.ROOM_JOINS_PER_MIN = "1000000";
  const server = await startBenchServer(2593);
  try {
    const chats: LobbyChat[] = [];
    let received = 0;
    let lastAt = 0;
    for (let i = 0; i < MEMBERS; i++) {
      const ip = `10.9.${i >> 8}.${i & 255}`;
      const arena = new ArenaClient({
        baseUrl: server.url,
        refreshAt: null,
        fetch: (input, init) =>
          fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), "x-forwarded-for": ip } }),
      });
      await arena.guest(`chat-bench-device-${i}-0123456789`);
      const chat = await arena.joinChat("global");
      chat.on("message", () => {
        received += 1;
        lastAt = performance.now();
      });
      chats.push(chat);
    }
    const shards = new Set(chats.map((chat) => chat.room?.roomId)).size;
    const expected = SENDERS * MEMBERS;
    const started = performance.now();
    for (let i = 0; i < SENDERS; i++) chats[i]!.send(`benchmark message ${i}`);
    const deadline = Date.now() + 120_000;
    while (received < expected && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    const elapsedMs = lastAt - started;
    const figures = {
      presence: server.services.redis === undefined ? "in-process" : "redis",
      members: MEMBERS,
      shards,
      senders: SENDERS,
      deliveriesExpected: expected,
      deliveriesReceived: received,
      allDeliveredMs: Math.round(elapsedMs),
      deliveriesPerSecond: Math.round(received / (elapsedMs / 1000)),
      messagesPerSecondToAllMembers: Math.round((received / MEMBERS / elapsedMs) * 1000 * 10) / 10,
    };
    const file = writeResults(dir, `chat-${server.services.redis === undefined ? "memory" : "redis"}`, figures);
    process.stdout.write(`${JSON.stringify(figures, null, 2)}\nwritten to ${file}\n`);
    await Promise.all(chats.map((chat) => chat.leave()));
  } finally {
    await server.close();
  }
}

main()
  .then(() => process.exit(0))
  .catch((error: unknown) => {
    process.stderr.write(`chat benchmark failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  });
