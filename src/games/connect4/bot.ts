/**
 * Connect Four's bot, pure: `botMove(state, seat, rng, options?) → column`. It takes an immediate win, else
 * blocks the opponent's immediate win, else searches: negamax with alpha-beta to a fixed depth (6 plies by
 * default), centre columns first, leaves scored by a positional heuristic (pieces in the centre column, open
 * twos and threes in every window of four). Ties between equally good columns are broken with the seeded RNG,
 * and a `skill` below 1 sometimes plays a random column that does not hand the opponent a win; so the same
 * state, seed and options always give the same move.
 *
 * The search runs on its own mutable copy of the board (play/undo in place), never on `Connect4State`.
 */
import { nextFloat, nextUint32, type RngState } from "../../logic/rng.ts";
import { CELLS, COLUMNS, type Connect4State, LINE, legalColumns, ROWS, type Seat } from "./rules.ts";

export interface BotOptions {
  /** Plies searched, 1–8 (default 6: well under 20 ms a move). */
  depth?: number;
  /** 0–1 (default 1): the chance of searching instead of playing a random non-losing column. */
  skill?: number;
}

export const DEFAULT_BOT_DEPTH = 6;
const MAX_DEPTH = 8;
/** Score of a won position; a win found sooner scores higher (WIN - plies from the root). */
const WIN = 1_000_000;
/** Centre first: alpha-beta prunes most when the best move is tried first, and the centre usually is. */
const ORDER = [3, 2, 4, 1, 5, 0, 6];

/** Every window of four cells on the board (69 of them), each a line a player could complete. */
const WINDOWS: number[][] = (() => {
  const windows: number[][] = [];
  const directions = [
    [0, 1],
    [1, 0],
    [1, 1],
    [1, -1],
  ] as const;
  for (let row = 0; row < ROWS; row++) {
    for (let column = 0; column < COLUMNS; column++) {
      for (const [dr, dc] of directions) {
        const endRow = row + dr * (LINE - 1);
        const endColumn = column + dc * (LINE - 1);
        if (endRow < 0 || endRow >= ROWS || endColumn < 0 || endColumn >= COLUMNS) continue;
        const cells: number[] = [];
        for (let i = 0; i < LINE; i++) cells.push((row + dr * i) * COLUMNS + column + dc * i);
        windows.push(cells);
      }
    }
  }
  return windows;
})();

/** The search's board: cells 0 / 1 / 2 and the number of pieces per column, changed in place. */
interface SearchBoard {
  cells: Int8Array;
  heights: Int8Array;
  count: number;
}

function toSearchBoard(state: Connect4State): SearchBoard {
  const cells = Int8Array.from(state.board);
  const heights = new Int8Array(COLUMNS);
  for (let cell = 0; cell < CELLS; cell++) if (cells[cell] !== 0) heights[cell % COLUMNS]!++;
  return { cells, heights, count: state.moves.length };
}

function drop(b: SearchBoard, column: number, seat: number): number {
  const cell = (ROWS - 1 - b.heights[column]!) * COLUMNS + column;
  b.cells[cell] = seat;
  b.heights[column]!++;
  b.count++;
  return cell;
}

function undo(b: SearchBoard, column: number): void {
  b.heights[column]!--;
  b.cells[(ROWS - 1 - b.heights[column]!) * COLUMNS + column] = 0;
  b.count--;
}

function runLength(cells: Int8Array, row: number, column: number, dr: number, dc: number, seat: number): number {
  let n = 0;
  let r = row + dr;
  let c = column + dc;
  while (r >= 0 && r < ROWS && c >= 0 && c < COLUMNS && cells[r * COLUMNS + c] === seat) {
    n++;
    r += dr;
    c += dc;
  }
  return n;
}

/** Does the piece on `cell` complete a line of four? */
function wins(cells: Int8Array, cell: number): boolean {
  const seat = cells[cell]!;
  const row = Math.floor(cell / COLUMNS);
  const column = cell % COLUMNS;
  return (
    runLength(cells, row, column, 0, 1, seat) + runLength(cells, row, column, 0, -1, seat) >= LINE - 1 ||
    runLength(cells, row, column, 1, 0, seat) >= LINE - 1 ||
    runLength(cells, row, column, 1, 1, seat) + runLength(cells, row, column, -1, -1, seat) >= LINE - 1 ||
    runLength(cells, row, column, 1, -1, seat) + runLength(cells, row, column, -1, 1, seat) >= LINE - 1
  );
}

/** Would `seat` win by dropping into `column` (which must have room)? */
function winsWith(b: SearchBoard, column: number, seat: number): boolean {
  const cell = drop(b, column, seat);
  const won = wins(b.cells, cell);
  undo(b, column);
  return won;
}

/** Columns where `seat` would win at once. */
function winningColumns(b: SearchBoard, seat: number): number[] {
  const columns: number[] = [];
  for (let column = 0; column < COLUMNS; column++) {
    if (b.heights[column]! < ROWS && winsWith(b, column, seat)) columns.push(column);
  }
  return columns;
}

/** Positional score of a position without a line, from `seat`'s side: centre control and open twos/threes. */
function evaluate(cells: Int8Array, seat: number): number {
  let score = 0;
  for (let row = 0; row < ROWS; row++) {
    const piece = cells[row * COLUMNS + 3];
    if (piece === seat) score += 3;
    else if (piece !== 0) score -= 3;
  }
  for (const window of WINDOWS) {
    let mine = 0;
    let theirs = 0;
    for (const cell of window) {
      const piece = cells[cell];
      if (piece === seat) mine++;
      else if (piece !== 0) theirs++;
    }
    if (mine > 0 && theirs > 0) continue; // blocked both ways
    if (mine === 3) score += 5;
    else if (mine === 2) score += 2;
    else if (theirs === 3) score -= 5;
    else if (theirs === 2) score -= 2;
  }
  return score;
}

/** Negamax with alpha-beta (fail-soft) from `seat`'s side, `ply` plies below the root. */
function negamax(b: SearchBoard, depth: number, alpha: number, beta: number, seat: number, ply: number): number {
  for (let column = 0; column < COLUMNS; column++) {
    if (b.heights[column]! < ROWS && winsWith(b, column, seat)) return WIN - ply - 1;
  }
  if (b.count === CELLS) return 0;
  if (depth === 0) return evaluate(b.cells, seat);
  let best = Number.NEGATIVE_INFINITY;
  for (const column of ORDER) {
    if (b.heights[column]! >= ROWS) continue;
    drop(b, column, seat);
    const score = -negamax(b, depth - 1, -beta, -alpha, 3 - seat, ply + 1);
    undo(b, column);
    if (score > best) best = score;
    if (best > alpha) alpha = best;
    if (alpha >= beta) break;
  }
  return best;
}

function pick(columns: readonly number[], rng: RngState): number {
  return columns[nextUint32(rng) % columns.length]!;
}

/**
 * The column `seat` plays in `state`. Advances `rng` (tie-breaks, skill). Throws when the game is over or it is
 * not `seat`'s turn: the room asks only on the bot's own turn.
 */
export function botMove(state: Connect4State, seat: Seat, rng: RngState, options: BotOptions = {}): number {
  if (state.winner !== 0) throw new Error("connect4 bot: the game is over");
  if (state.turn !== seat) throw new Error(`connect4 bot: it is seat ${state.turn}'s turn, not ${seat}'s`);
  const depth = Math.max(1, Math.min(MAX_DEPTH, Math.floor(options.depth ?? DEFAULT_BOT_DEPTH)));
  const skill = Math.max(0, Math.min(1, options.skill ?? 1));
  const b = toSearchBoard(state);
  const opponent = 3 - seat;

  const winning = winningColumns(b, seat);
  if (winning.length > 0) return pick(winning, rng);
  const threats = winningColumns(b, opponent);
  if (threats.length > 0) return pick(threats, rng);

  const legal = legalColumns(state.board);
  if (skill < 1 && nextFloat(rng) >= skill) {
    // A careless move, but not one that puts a piece right under the opponent's winning cell.
    const safe = legal.filter((column) => {
      drop(b, column, seat);
      const givesWin = b.heights[column]! < ROWS && winsWith(b, column, opponent);
      undo(b, column);
      return !givesWin;
    });
    return pick(safe.length > 0 ? safe : legal, rng);
  }

  // Each root move is searched with alpha one below the best so far, so a move that ties the best gets its
  // exact score (and joins the tie-break) while worse ones still prune.
  let best = Number.NEGATIVE_INFINITY;
  let bestColumns: number[] = [];
  for (const column of ORDER) {
    if (b.heights[column]! >= ROWS) continue;
    drop(b, column, seat);
    const score = -negamax(b, depth - 1, Number.NEGATIVE_INFINITY, -(best - 1), opponent, 1);
    undo(b, column);
    if (score > best) {
      best = score;
      bestColumns = [column];
    } else if (score === best) {
      bestColumns.push(column);
    }
  }
  return pick(bestColumns, rng);
}
