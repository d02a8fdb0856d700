/**
 * What the Connect Four view shows, computed from the decoded `connect4` state without touching the DOM: the cells,
 * where a piece dropped into the hovered column would land, whose turn it is from the own seat's point of view, the
 * outcome, and the turn timer counting down between patches. The view (Connect4View.ts) only copies this onto the
 * page, so these rules are tested without a browser (test/client/connect4Model.test.ts).
 *
 * The landing row comes from the game's own pure rules (src/games/connect4/rules.ts), the very function the server
 * plays with, so the preview is where the server will put the piece.
 */
import { type Cell, COLUMNS, DRAW, landingRow, linesThrough } from "../../../../src/games/connect4/rules.ts";

/** One entry of the state's `players` map, with its key. */
export interface Connect4Player {
  sessionId: string;
  playerId: string;
  username: string;
  seat: number;
  bot: boolean;
  connected: boolean;
}

/** The decoded `connect4` state as plain data (../shared/API.md "Games (framework)"). */
export interface Connect4Snapshot {
  phase: string;
  /** 42 cells, row-major from the top-left; 0 empty, 1 or 2 the seat that played there. */
  board: readonly number[];
  turn: number;
  turnTimeLeftMs: number;
  /** 0 none yet, 1 or 2 the winning seat, 3 a draw. */
  winner: number;
  players: readonly Connect4Player[];
}

/** Who the page belongs to: the own connection, and the account (its key after a rejoin may be a new session). */
export interface Viewer {
  sessionId: string;
  playerId: string;
}

export interface CellModel {
  /** 0 empty, 1 or 2 the seat whose piece is there. */
  seat: number;
  /** Where the own piece would land if the hovered column were played now. */
  preview: boolean;
  /** Part of the winning line (four or more in a row) once the game is won. */
  winning: boolean;
}

export type Outcome = "win" | "loss" | "draw";

export interface BoardModel {
  /** 42 cells, row-major from the top-left, as the state has them. */
  cells: CellModel[];
  /** The own seat, 0 when the own player is not (yet) in the state. */
  ownSeat: number;
  /** The game runs and it is the own seat's move. */
  myTurn: boolean;
  /** The line above the board: "waiting for an opponent", "your turn", "opponent's turn", "you won", … */
  status: string;
  /** From the own seat's point of view once the game has a winner (or is a draw); null before. */
  outcome: Outcome | null;
  /** The cell a piece dropped into the hovered column lands on, -1 when there is none to show. */
  previewCell: number;
  /** Pieces on the board. */
  pieces: number;
}

/** The own seat: found by the own sessionId, else by the own account. */
export function ownSeat(state: Connect4Snapshot, viewer: Viewer): number {
  const own =
    state.players.find((player) => player.sessionId === viewer.sessionId) ??
    state.players.find((player) => player.playerId === viewer.playerId);
  return own?.seat ?? 0;
}

/** The outcome for `seat` given the state's `winner`; null while the game runs or for a viewer without a seat. */
export function outcomeFor(winner: number, seat: number): Outcome | null {
  if (winner === 0 || seat === 0) return null;
  if (winner === DRAW) return "draw";
  return winner === seat ? "win" : "loss";
}

const OUTCOME_TEXT: Record<Outcome, string> = { win: "you won", loss: "you lost", draw: "a draw" };

/** The page's picture of the game; `hoverColumn` is the column under the pointer (or null). */
export function boardModel(state: Connect4Snapshot, viewer: Viewer, hoverColumn: number | null): BoardModel {
  const seat = ownSeat(state, viewer);
  const outcome = outcomeFor(state.winner, seat);
  const active = state.phase === "active" && state.winner === 0;
  const myTurn = active && seat !== 0 && state.turn === seat;
  let previewCell = -1;
  if (myTurn && hoverColumn !== null && hoverColumn >= 0 && hoverColumn < COLUMNS) {
    const row = landingRow(state.board as readonly Cell[], hoverColumn);
    if (row >= 0) previewCell = row * COLUMNS + hoverColumn;
  }
  const winning = new Set<number>();
  if (state.winner === 1 || state.winner === 2) {
    const board = state.board as readonly Cell[];
    for (const [index, cell] of board.entries()) {
      if (cell === state.winner) for (const inLine of linesThrough(board, index)) winning.add(inLine);
    }
  }
  let status: string;
  if (outcome !== null) status = OUTCOME_TEXT[outcome];
  else if (state.phase === "ended") status = "the game is over";
  else if (state.phase === "waiting" || state.players.length < 2) status = "waiting for an opponent";
  else if (seat === 0) status = `seat ${state.turn} to move`;
  else status = myTurn ? "your turn" : "opponent's turn";
  return {
    cells: state.board.map((cell, index) => ({
      seat: cell,
      preview: index === previewCell,
      winning: winning.has(index),
    })),
    ownSeat: seat,
    myTurn,
    status,
    outcome,
    previewCell,
    pieces: state.board.filter((cell) => cell !== 0).length,
  };
}

/** The column keys 1–7 (top row or keypad) choose, 0-based; undefined for any other key. */
export function columnForKey(code: string): number | undefined {
  const match = /^(?:Digit|Numpad)([1-7])$/.exec(code);
  return match === null ? undefined : Number(match[1]) - 1;
}

/**
 * The turn timer between patches. The state carries `turnTimeLeftMs` as the server last wrote it; a turn-based room
 * patches on change, so the value may stand still on the wire while the turn's time runs. The clock takes a new
 * reading when the value, the turn or the board changes, and counts down locally from it in between.
 */
export class TurnClock {
  private key = "";
  private leftMs = 0;
  private at = 0;

  /** Takes the state's timer as of `now` (ms, any monotonic clock). */
  observe(turn: number, turnTimeLeftMs: number, pieces: number, now: number): void {
    const key = `${turn}:${turnTimeLeftMs}:${pieces}`;
    if (key === this.key) return;
    this.key = key;
    this.leftMs = turnTimeLeftMs;
    this.at = now;
  }

  /** What is left of the turn at `now`, never below 0. */
  left(now: number): number {
    return Math.max(0, this.leftMs - (now - this.at));
  }
}

/** "0:27" for 26.2 s (rounded up, as a countdown reads). */
export function formatSeconds(ms: number): string {
  const sec = Math.ceil(ms / 1000);
  return `${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, "0")}`;
}
