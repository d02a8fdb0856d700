/** Connect Four in the browser client: its view, its match chat (one channel) and its end screen. */
import "./connect4.css";
import { type GameClient, ratingChange, signed } from "../GameView.ts";
import { Connect4View } from "./Connect4View.ts";

const OUTCOME: Record<string, string> = { win: "won", loss: "lost", draw: "draw" };

/** The client side of the `connect4` game (its room has the same name). */
export const connect4: GameClient = {
  id: "connect4",
  chatChannels: ["all"],
  mount: (host, match, events, playerId) => new Connect4View(host, match, events, playerId),
  results: {
    headings: ["result", "player", "rating"],
    cells: (row) => [OUTCOME[row.outcome ?? ""] ?? `#${row.placement}`, row.username, ratingChange(row)],
    summary: (mine, all) => {
      const outcome =
        mine.outcome === "win"
          ? "You won."
          : mine.outcome === "loss"
            ? "You lost."
            : mine.outcome === "draw"
              ? "A draw."
              : `You placed #${mine.placement}.`;
      // A bot's row has no rating; against a bot the own rating stays as it was.
      const { ratingBefore: before, ratingAfter: after } = mine;
      if (before === null || after === null || all.some((row) => row.ratingBefore === null)) {
        return `${outcome} Bot matches are unrated.`;
      }
      return `${outcome} Rating ${Math.round(before)} → ${Math.round(after)} (${signed(after - before)}).`;
    },
  },
};
