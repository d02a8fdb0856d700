/** The arena in the browser client: its view (canvas, HUD, netcode), its chat channels and its end screen. */
import { type GameClient, ratingChange, signed } from "../GameView.ts";
import { ArenaView } from "./ArenaView.ts";

function within<T extends HTMLElement>(host: HTMLElement, selector: string): T {
  const element = host.querySelector<T>(selector);
  if (element === null) throw new Error(`missing ${selector} in #${host.id}`);
  return element;
}

/** The client side of the `arena` game (its room has the same name). */
export const arena: GameClient = {
  id: "arena",
  chatChannels: ["all", "team"],
  mount(host, match, events) {
    const canvas = within<HTMLCanvasElement>(host, "#canvas");
    const hud = {
      phase: within(host, "#hud-phase"),
      hp: within(host, "#hud-hp"),
      kills: within(host, "#hud-kills"),
      time: within(host, "#hud-time"),
      net: within(host, "#hud-net"),
    };
    const view = new ArenaView(match, canvas, hud, events);
    canvas.focus();
    return view;
  },
  results: {
    headings: ["#", "player", "kills", "deaths", "rating"],
    cells: (row) => [
      String(row.placement),
      row.username,
      String(row.kills ?? 0),
      String(row.deaths ?? 0),
      ratingChange(row),
    ],
    summary: (mine) =>
      `You placed #${mine.placement} with ${mine.kills ?? 0} kills and ${mine.deaths ?? 0} deaths.` +
      (mine.ratingBefore !== null && mine.ratingAfter !== null
        ? ` Rating ${signed(mine.ratingAfter - mine.ratingBefore)}.`
        : " Bot matches are unrated."),
  },
};
