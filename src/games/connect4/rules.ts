/**
 * Connect Four's rules, pure: a 7 × 6 board, two seats taking turns, a piece falls to the lowest empty row of
 * the column played, four in a row (horizontal, vertical or either diagonal) wins, a full board without a line
 * is a draw, and a seat can forfeit (its turn timer ran out or it left). No clock, no randomness, no I/O: the
 * room calls these functions and copies the state it gets back into its schema.
 *
 * The board is 42 cells, row-major from the top-left (`index = row * 7 + column`, row 0 at the top); 0 is empty,
 * 1 or 2 the seat that played there. `winner` is 0 while the game runs, 1 or 2 for a winning seat, 3 for a draw.
 * Every function returns a new state and leaves its argument untouched, so a refused move changes nothing.
 */

export const COLUMNS = 7;
export const ROWS = 6;
export const CELLS = COLUMNS * ROWS;
/** How many in a row win. */
export const LINE = 4;
/** `winner` value of a draw. */
export const DRAW = 3;
/** Version of the serialised state; `restore` refuses any other. Bump it when the payload's meaning changes. */
export const CONNECT4_FORMAT = 1;

export type Seat = 1 | 2;
export type Cell = 0 | Seat;
export type Winner = 0 | Seat | typeof DRAW;
/** How a finished game ended: a line of four, a full board, or a forfeit. `null` while it runs. */
export type Ending = "line" | "draw" | "forfeit" | null;

export interface Connect4State {
  /** 42 cells, row-major from the top-left. */
  board: Cell[];
  /** The seat to move next (after the game ends: the seat that would have moved). */
  turn: Seat;
  winner: Winner;
  ending: Ending;
  /** Columns played, in order; seat 1 moved first. The board is these moves replayed. */
  moves: number[];
  /** Cells of every line of four or more through the winning piece (empty unless `ending` is "line"). */
  winningCells: number[];
}

export type RefusalCode = "NOT_YOUR_TURN" | "COLUMN_FULL" | "INVALID_MOVE";

export interface Refusal {
  ok: false;
  code: RefusalCode;
  message: string;
}

export interface Played {
  ok: true;
  state: Connect4State;
  /** Where the piece landed. */
  cell: number;
}

export type PlayResult = Played | Refusal;
export type ForfeitResult = { ok: true; state: Connect4State } | Refusal;

export function otherSeat(seat: Seat): Seat {
  return seat === 1 ? 2 : 1;
}

export function cellIndex(row: number, column: number): number {
  return row * COLUMNS + column;
}

/** An empty board: 42 zeros. */
export function createBoard(): Cell[] {
  return new Array<Cell>(CELLS).fill(0);
}

/** A new game: empty board, seat 1 to move. */
export function createGame(): Connect4State {
  return { board: createBoard(), turn: 1, winner: 0, ending: null, moves: [], winningCells: [] };
}

/** The row a piece dropped into `column` lands on, or -1 when the column is full. */
export function landingRow(board: readonly Cell[], column: number): number {
  for (let row = ROWS - 1; row >= 0; row--) if (board[cellIndex(row, column)] === 0) return row;
  return -1;
}

/** Columns that still have room, left to right. */
export function legalColumns(board: readonly Cell[]): number[] {
  const columns: number[] = [];
  // The top row is the last to fill: a column has room exactly when its top cell is empty.
  for (let column = 0; column < COLUMNS; column++) if (board[column] === 0) columns.push(column);
  return columns;
}

const DIRECTIONS: ReadonlyArray<readonly [number, number]> = [
  [0, 1], // horizontal
  [1, 0], // vertical
  [1, 1], // diagonal down-right
  [1, -1], // diagonal down-left
];

/**
 * The cells of every line of four or more that runs through `cell`, sorted; empty when there is none. Only the
 * piece just played can have completed a line, so checking through it is enough.
 */
export function linesThrough(board: readonly Cell[], cell: number): number[] {
  const seat = board[cell];
  if (seat === 0 || seat === undefined) return [];
  const row0 = Math.floor(cell / COLUMNS);
  const column0 = cell % COLUMNS;
  const found = new Set<number>();
  for (const [dr, dc] of DIRECTIONS) {
    const run = [cell];
    for (const sign of [1, -1]) {
      let row = row0 + sign * dr;
      let column = column0 + sign * dc;
      while (row >= 0 && row < ROWS && column >= 0 && column < COLUMNS && board[cellIndex(row, column)] === seat) {
        run.push(cellIndex(row, column));
        row += sign * dr;
        column += sign * dc;
      }
    }
    if (run.length >= LINE) for (const c of run) found.add(c);
  }
  return [...found].sort((a, b) => a - b);
}

function refuse(code: RefusalCode, message: string): Refusal {
  return { ok: false, code, message };
}

/**
 * `seat` drops a piece into `column`. Refusals: `INVALID_MOVE` when the game is over, the seat is not 1 or 2 or
 * the column is not an integer 0–6; `NOT_YOUR_TURN`; `COLUMN_FULL`.
 */
export function play(state: Connect4State, seat: Seat, column: number): PlayResult {
  if (state.winner !== 0) return refuse("INVALID_MOVE", "the game is over");
  if (seat !== 1 && seat !== 2) return refuse("INVALID_MOVE", "seat must be 1 or 2");
  if (seat !== state.turn) return refuse("NOT_YOUR_TURN", `it is seat ${state.turn}'s turn`);
  if (!Number.isInteger(column) || column < 0 || column >= COLUMNS) {
    return refuse("INVALID_MOVE", `column must be an integer from 0 to ${COLUMNS - 1}`);
  }
  const row = landingRow(state.board, column);
  if (row < 0) return refuse("COLUMN_FULL", `column ${column} is full`);
  const cell = cellIndex(row, column);
  const board = state.board.slice();
  board[cell] = seat;
  const moves = [...state.moves, column];
  const winningCells = linesThrough(board, cell);
  let winner: Winner = 0;
  let ending: Ending = null;
  if (winningCells.length > 0) {
    winner = seat;
    ending = "line";
  } else if (legalColumns(board).length === 0) {
    winner = DRAW;
    ending = "draw";
  }
  return { ok: true, cell, state: { board, turn: otherSeat(seat), winner, ending, moves, winningCells } };
}

/** `seat` gives up (turn timer ran out, or it left): the other seat wins. Refused once the game is over. */
export function forfeit(state: Connect4State, seat: Seat): ForfeitResult {
  if (state.winner !== 0) return refuse("INVALID_MOVE", "the game is over");
  if (seat !== 1 && seat !== 2) return refuse("INVALID_MOVE", "seat must be 1 or 2");
  return {
    ok: true,
    state: {
      ...state,
      board: state.board.slice(),
      moves: [...state.moves],
      winningCells: [],
      winner: otherSeat(seat),
      ending: "forfeit",
    },
  };
}

export type Outcome = "win" | "loss" | "draw";

export interface SeatStanding {
  seat: Seat;
  outcome: Outcome;
  /** 1 for the winner (both seats on a draw), 2 for the loser. */
  placement: 1 | 2;
}

/** Per-seat outcome of a finished game, seat 1 first. Throws while the game is still running. */
export function standings(state: Connect4State): [SeatStanding, SeatStanding] {
  if (state.winner === 0) throw new Error("connect4: standings of a game that has not ended");
  if (state.winner === DRAW) {
    return [
      { seat: 1, outcome: "draw", placement: 1 },
      { seat: 2, outcome: "draw", placement: 1 },
    ];
  }
  const of = (seat: Seat): SeatStanding =>
    seat === state.winner ? { seat, outcome: "win", placement: 1 } : { seat, outcome: "loss", placement: 2 };
  return [of(1), of(2)];
}

/** The JSON the framework stores in a snapshot. The board is derived from `moves` and kept as a check. */
export interface Connect4Snapshot {
  format: typeof CONNECT4_FORMAT;
  board: Cell[];
  turn: Seat;
  winner: Winner;
  ending: Ending;
  moves: number[];
  /** The seat that forfeited, when `ending` is "forfeit". */
  forfeitedBy: Seat | null;
}

export function serialise(state: Connect4State): Connect4Snapshot {
  return {
    format: CONNECT4_FORMAT,
    board: state.board.slice(),
    turn: state.turn,
    winner: state.winner,
    ending: state.ending,
    moves: [...state.moves],
    forfeitedBy: state.ending === "forfeit" ? otherSeat(state.winner as Seat) : null,
  };
}

/** Thrown by `restore` for a payload it cannot trust; the message says what is wrong. */
export class Connect4RestoreError extends Error {
  override name = "Connect4RestoreError";
}

/**
 * Rebuilds a state from `serialise`'s output by replaying its moves, so a payload that is not a legal game
 * (a wrong format version, a board that does not match its moves, a move after the end) is refused with a
 * `Connect4RestoreError` instead of being played on.
 */
export function restore(data: unknown): Connect4State {
  const fail = (why: string): never => {
    throw new Connect4RestoreError(`connect4: cannot restore snapshot: ${why}`);
  };
  if (typeof data !== "object" || data === null) return fail("not an object");
  const snap = data as Partial<Record<keyof Connect4Snapshot, unknown>>;
  if (snap.format !== CONNECT4_FORMAT) {
    return fail(`unknown format ${JSON.stringify(snap.format)} (this build reads format ${CONNECT4_FORMAT})`);
  }
  if (!Array.isArray(snap.moves)) return fail("moves is not an array");
  let state = createGame();
  for (const [i, column] of snap.moves.entries()) {
    const result = play(state, state.turn, column as number);
    if (!result.ok) return fail(`move ${i} (column ${JSON.stringify(column)}): ${result.message}`);
    state = result.state;
  }
  if (snap.ending === "forfeit") {
    if (snap.forfeitedBy !== 1 && snap.forfeitedBy !== 2) return fail("a forfeit without forfeitedBy 1 or 2");
    const result = forfeit(state, snap.forfeitedBy);
    if (!result.ok) return fail(`forfeit: ${result.message}`);
    state = result.state;
  }
  const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
  if (!same(snap.board, state.board)) return fail("board does not match its moves");
  if (snap.turn !== state.turn) return fail("turn does not match its moves");
  if (snap.winner !== state.winner || snap.ending !== state.ending) return fail("winner does not match its moves");
  return state;
}
