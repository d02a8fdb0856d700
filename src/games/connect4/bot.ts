/**
 * Connect Four's bot, pure: `botMove(state, seat, rng, options?) → column`. It takes an immediate win, else
 * blocks the opponent's immediate win, else searches: negamax with alpha-beta to a fixed depth (6 plies by
 * default), centre columns first. Leaves are scored by a positional heuristic (pieces in the centre column,
 * open twos and threes in every window of four), or as a loss when the side to move there has a playable
 * winning cell. The search deepens one ply at a time within a budget of positions (`maxNodes`), so a move's
 * cost is bounded without reading a clock: about 1 ms a move on average at depth 6 and under 10 ms at worst
 * on the project's 2-core test machine.
 *
 * Ties between equally good columns are broken with the seeded RNG, and a `skill` below 1 sometimes plays a
 * random column that does not hand the opponent a win; so the same state, seed and options give the same move.
 * The search runs on its own mutable copy of the board (play/undo in place), never on `Connect4State`.
 */
import { nextFloat, nextUint32, type RngState } from "../../logic/rng.ts";
import * as rules from "./rules.ts";
import type { Connect4State, Seat } from "./rules.ts";

// Local copies of the board's dimensions: the search reads them millions of times, and an imported binding can
// cost a getter call per read under some loaders (tsx), several times slower than a module constant.
const COLUMNS = rules.COLUMNS;
const ROWS = rules.ROWS;
const CELLS = rules.CELLS;
const LINE = rules.LINE;

export interface BotOptions {
  /** Plies searched, 1–8 (default 6: well under 20 ms a move). */
  depth?: number;
  /** 0–1 (default 1): the chance of searching instead of playing a random non-losing column. */
  skill?: number;
  /**
   * Positions searched at most (default 20 000, a few milliseconds); a depth that would exceed it is cut and the
   * previous depth's choice is played. Depth 1 always completes.
   */
  maxNodes?: number;
}

export const DEFAULT_BOT_DEPTH = 6;
export const DEFAULT_BOT_MAX_NODES = 20_000;
const MAX_DEPTH = 8;
/** Score of a won position; a win found sooner scores higher (WIN - plies from the root). */
const WIN = 1_000_000;
/** Centre first: alpha-beta prunes most when the best move is tried first, and the centre usually is. */
const ORDER = [3, 2, 4, 1, 5, 0, 6];

/** Every window of four cells on the board (69 of them), each a line a player could complete; flat, 4 per window. */
const WINDOW_CELLS: Uint8Array = (() => {
  const cells: number[] = [];
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
        for (let i = 0; i < LINE; i++) cells.push((row + dr * i) * COLUMNS + column + dc * i);
      }
    }
  }
  return Uint8Array.from(cells);
})();

/** Score of a window by how many of its cells a side holds (the other side holding none): open twos and threes. */
const WINDOW_SCORE = [0, 0, 2, 5, 0];

/** The search's board: cells 0 / 1 / 2 and the number of pieces per column, changed in place. */
interface SearchBoard {
  cells: Int8Array;
  heights: Int8Array;
  count: number;
}

function toSearchBoard(state: Connect4State): SearchBoard {
  const cells = Int8Array.from(state.board);
  const heights = new Int8Array(COLUMNS);
  let count = 0;
  for (let cell = 0; cell < CELLS; cell++) {
    if (cells[cell] === 0) continue;
    heights[cell % COLUMNS]!++;
    count++;
  }
  return { cells, heights, count };
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
  for (let cell = 3; cell < CELLS; cell += COLUMNS) {
    const piece = cells[cell];
    if (piece === seat) score += 3;
    else if (piece !== 0) score -= 3;
  }
  for (let i = 0; i < WINDOW_CELLS.length; i += LINE) {
    let mine = 0;
    let theirs = 0;
    for (let j = i; j < i + LINE; j++) {
      const piece = cells[WINDOW_CELLS[j]!];
      if (piece === seat) mine++;
      else if (piece !== 0) theirs++;
    }
    if (theirs === 0) score += WINDOW_SCORE[mine]!;
    else if (mine === 0) score -= WINDOW_SCORE[theirs]!;
  }
  return score;
}

/**
 * Score of a leaf just after `seat` moved (at `ply`): a loss when the opponent, to move, has a playable winning
 * cell (a static score would miss it by one ply), else the positional `evaluate`.
 */
function leafScore(b: SearchBoard, seat: number, ply: number): number {
  const opponent = 3 - seat;
  for (let column = 0; column < COLUMNS; column++) {
    if (b.heights[column]! < ROWS && winsWith(b, column, opponent)) return -(WIN - ply - 1);
  }
  return evaluate(b.cells, seat);
}

/** Positions the search may still visit; past `limit` the iteration in progress is abandoned. */
interface Budget {
  nodes: number;
  limit: number;
}

/** Thrown (and caught in `botMove`) when a search iteration runs out of budget; the board is rebuilt after it. */
const OUT_OF_BUDGET = Symbol("out of budget");

/**
 * Negamax with alpha-beta (fail-soft): the best score `seat` (to move, `ply` plies below the root) can reach
 * searching `depth` ≥ 1 more plies. A move that completes a line scores `WIN - ply` (sooner is better); after
 * the last ply the position is scored by `evaluate`. Checking the line of the move just played, rather than
 * scanning every column for a win at each node, keeps the leaves cheap.
 */
function negamax(
  b: SearchBoard,
  depth: number,
  alpha: number,
  beta: number,
  seat: number,
  ply: number,
  budget: Budget,
): number {
  if (b.count === CELLS) return 0;
  let best = Number.NEGATIVE_INFINITY;
  for (const column of ORDER) {
    if (b.heights[column]! >= ROWS) continue;
    if (++budget.nodes > budget.limit) throw OUT_OF_BUDGET;
    const cell = drop(b, column, seat);
    let score: number;
    if (wins(b.cells, cell)) score = WIN - ply;
    else if (b.count === CELLS) score = 0;
    else if (depth === 1) score = leafScore(b, seat, ply);
    else score = -negamax(b, depth - 1, -beta, -alpha, 3 - seat, ply + 1, budget);
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
  // Out-of-range options are clamped and a NaN means the default, so no option can stop the bot from moving.
  const option = (value: number | undefined, fallback: number) =>
    value === undefined || Number.isNaN(value) ? fallback : value;
  const depth = Math.max(1, Math.min(MAX_DEPTH, Math.floor(option(options.depth, DEFAULT_BOT_DEPTH))));
  const skill = Math.max(0, Math.min(1, option(options.skill, 1)));
  const maxNodes = Math.max(0, option(options.maxNodes, DEFAULT_BOT_MAX_NODES));
  const b = toSearchBoard(state);
  const opponent = 3 - seat;

  const winning = winningColumns(b, seat);
  if (winning.length > 0) return pick(winning, rng);
  const threats = winningColumns(b, opponent);
  if (threats.length > 0) return pick(threats, rng);

  const legal = rules.legalColumns(state.board);
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

  // Iterative deepening within a node budget: each depth searches the columns in the order the previous depth
  // ranked them (so alpha-beta cuts more), and a depth that runs out of budget is dropped for the last complete
  // one. Counting positions rather than milliseconds keeps the move a pure function of its inputs.
  const budget: Budget = { nodes: 0, limit: Number.POSITIVE_INFINITY };
  let order = ORDER.filter((column) => b.heights[column]! < ROWS);
  let bestColumns = order;
  for (let d = 1; d <= depth; d++) {
    let ranked: RootScores;
    try {
      ranked = searchRoot(toSearchBoard(state), seat, d, order, budget);
    } catch (error) {
      if (error === OUT_OF_BUDGET) break;
      throw error;
    }
    bestColumns = ranked.bestColumns;
    order = [...order].sort((x, y) => ranked.scores.get(y)! - ranked.scores.get(x)!);
    if (Math.abs(ranked.best) >= WIN - CELLS) break; // a forced win or loss: searching deeper changes nothing
    budget.limit = maxNodes;
  }
  return pick(bestColumns, rng);
}

interface RootScores {
  best: number;
  /** Every column whose exact score is `best`. */
  bestColumns: number[];
  /** Exact for the best columns, an upper bound for the others. */
  scores: Map<number, number>;
}

function searchRoot(b: SearchBoard, seat: number, depth: number, order: readonly number[], budget: Budget): RootScores {
  // Each root move is searched with alpha one below the best so far, so a move that ties the best gets its
  // exact score (and joins the tie-break) while worse ones still prune.
  let best = Number.NEGATIVE_INFINITY;
  let bestColumns: number[] = [];
  const scores = new Map<number, number>();
  for (const column of order) {
    drop(b, column, seat);
    const score =
      b.count === CELLS
        ? 0
        : depth === 1
          ? leafScore(b, seat, 0)
          : -negamax(b, depth - 1, Number.NEGATIVE_INFINITY, -(best - 1), 3 - seat, 1, budget);
    undo(b, column);
    scores.set(column, score);
    if (score > best) {
      best = score;
      bestColumns = [column];
    } else if (score === best) {
      bestColumns.push(column);
    }
  }
  return { best, bestColumns, scores };
}
