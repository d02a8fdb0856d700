/**
 * What the app (main.ts) needs of a game's view, so the lobby, the search, the rejoin path, match chat and the end
 * screen stay the same for every game: the app gets the match from the SDK (`findMatch`, `rejoin`), picks the view by
 * the match's game (its room's name: a game's room is named after its id, ../shared/API.md "Games (framework)"),
 * and shows what the view reports. The view reads and sends through the SDK's match handle, which keeps the match
 * going through drops, hand-offs and restarts; the app drives the notices and the lobby from the handle's events.
 */
import type { MatchHandle, UntypedProtocol } from "@arena/sdk";

/** A match as the app hands it to a view: the SDK's handle (each view reads its game's state and messages). */
export type Match = MatchHandle<UntypedProtocol>;

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
}

/** The part of every view's debug object the app and the tests rely on (`window.__arena.match`). */
export interface GameDebug {
  game: string;
  roomId: string;
  sessionId: string;
  phase: string;
  connection: "ok" | "reconnecting";
}

/**
 * A running match view. Its `debug.connection` follows the handle's `dropped` and `rejoined` events, and
 * `debug.sessionId` the seat it holds now (a rejoin through POST /sessions/:id/rejoin takes a new one).
 */
export interface GameView {
  readonly debug: GameDebug;
  /** Stops drawing and listening (the match is over, or another match replaces this one). */
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
  mount(host: HTMLElement, match: Match, events: MatchEvents, playerId: string): GameView;
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
