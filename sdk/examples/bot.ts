import { ArenaClient } from "@arena/sdk";
import type { Connect4Protocol } from "../../src/games/connect4/protocol.ts";

const arena = new ArenaClient({ baseUrl: process.env.ARENA_URL ?? "http://localhost:2567" });
const me = await arena.guest();
const search = arena.findMatch<Connect4Protocol>({ game: "connect4", mode: "duel" });
search.on("status", (s) => console.log(`searching: ${Math.round(s.waitedMs / 1000)} s, ${s.queued} queued`));
const match = await search.match;
match.on("rejoined", () => console.log("back in the match"));
match.onStateChange((state) => {
  const mine = state.players.get(match.room.sessionId);
  if (state.phase !== "active" || state.turn !== mine?.seat) return;
  // The centre first; a column whose top cell is empty still takes a piece.
  const column = [3, 2, 4, 1, 5, 0, 6].find((c) => state.board[c] === 0);
  if (column !== undefined) match.send("move", { column });
});
const end = await match.done;
const row = end.kind === "ended" ? end.result.results.find((r) => r.playerId === me.id) : undefined;
console.log(row === undefined ? `no result: ${end.kind}` : `result: ${row.outcome} (${row.moves} moves)`);
arena.close();
