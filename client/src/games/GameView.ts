/**
 * What the app (main.ts) needs of a game's view, so the lobby, the search, the rejoin path, match chat and the end
 * screen stay the same for every game: the app joins the room (seat, rejoin), picks the view by the room's name (a
 * game's room is named after its id, ../shared/API.md "Games (framework)") and shows what the view reports.
 */
import type { Room } from "@colyseus/sdk";

/** A chat line as the `chat` and match rooms send it. */
export interface ChatLine {
  from: string;
  username: string;
  text: string;
  at: number;
  channel?: string;
}

/**
 * One row of `matchEnd.results`: the fields every game has, the arena's stats when it is the arena, and `outcome`
 * from servers that have games as plug-ins.
 */
export interface MatchResultRow {
  playerId: string;
  username: string;
  team: number;
  placement: number;
  ratingBefore: number | null;
  ratingAfter: number | null;
  kills?: number;
  deaths?: number;
  outcome?: "win" | "loss" | "draw";
}

/** What a view reports to the app. */
export interface MatchEvents {
  chat(line: ChatLine): void;
  ended(results: MatchResultRow[]): void;
  /** The room closed without a result (`code` from CloseCode); the app decides whether to rejoin. */
  closed(code: number, reason: string | undefined): void;
  connection(state: "ok" | "reconnecting"): void;
}

/** The part of every view's debug object the app and the tests rely on (`window.__arena.match`). */
export interface GameDebug {
  game: string;
  roomId: string;
  sessionId: string;
  phase: string;
  connection: "ok" | "reconnecting";
}

/** A running match view. */
export interface GameView {
  readonly debug: GameDebug;
  /** Sends a match chat line. */
  say(channel: string, text: string): void;
  /** Leaves the room on purpose (back to the lobby). */
  leave(): Promise<void>;
  /** Stops drawing and listening (the room closed, or another match replaces this one). */
  stop(): void;
  /** What the end screen shows of the final position (Connect Four's board); none for the arena. */
  finalPicture?(): Node | undefined;
}

/** How a game's results read on the end screen. */
export interface ResultTable {
  headings: readonly string[];
  cells(row: MatchResultRow): string[];
  /** One sentence about the own row (`all`: every row, bots included). */
  summary(mine: MatchResultRow, all: readonly MatchResultRow[]): string;
}

/** One game the client can show: its view, its match chat channels and its end screen. */
export interface GameClient {
  /** The game id, which is also its room's name. */
  id: string;
  /** Channels of its match chat, the first the default. */
  chatChannels: readonly string[];
  /** Shows the match in `host` (its `#view-<id>` element of index.html). `playerId` is the own player. */
  mount(host: HTMLElement, room: Room, events: MatchEvents, playerId: string): GameView;
  results: ResultTable;
}

/** "+16", "-3", "+0". */
export function signed(value: number): string {
  const rounded = Math.round(value);
  return rounded >= 0 ? `+${rounded}` : String(rounded);
}

/** "1500 → 1516 (+16)", or "unrated" when the match did not count (bot matches). */
export function ratingChange(row: MatchResultRow): string {
  if (row.ratingBefore === null || row.ratingAfter === null) return "unrated";
  return `${Math.round(row.ratingBefore)} → ${Math.round(row.ratingAfter)} (${signed(row.ratingAfter - row.ratingBefore)})`;
}
