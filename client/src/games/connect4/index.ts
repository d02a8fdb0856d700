/** Connect Four in the browser client: its view, its match chat (one channel) and its end screen. */
import "./connect4.css";
import { type GameClient, ratingChange, signed } from "../GameView.ts";
import { Connect4View } from "./Connect4View.ts";

const OUTCOME: Record<string, string> = { win: "won", loss: "lost", draw: "draw" };

/** The client side of the `connect4` game (its room has the same name). */
export const connect4: GameClient = {
  id: "connect4",
  chatChannels: ["all"],
  mount: (host, room, events, playerId) => new Connect4View(host, room, events, playerId),
  results: {
    headings: ["result", "player", "rating"],
    cells: (row) => [OUTCOME[row.outcome ?? ""] ?? `#${row.placement}`, row.username, ratingChange(row)],
    summary: (mine) => {
      const outcome =
        mine.outcome === "win"
          ? "You won."
          : mine.outcome === "loss"
            ? "You lost."
            : mine.outcome === "draw"
              ? "A draw."
              : `You placed #${mine.placement}.`;
      return mine.ratingBefore !== null && mine.ratingAfter !== null
        ? `${outcome} Rating ${Math.round(mine.ratingBefore)} → ${Math.round(mine.ratingAfter)} (${signed(mine.ratingAfter - mine.ratingBefore)}).`
        : `${outcome} Bot matches are unrated.`;
    },
  },
};
