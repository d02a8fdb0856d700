import assert from "node:assert/strict";
import {
  CELLS,
  CONNECT4_FORMAT,
  type Cell,
  type Connect4State,
  Connect4RestoreError,
  cellIndex,
  createBoard,
  createGame,
  DRAW,
  forfeit,
  legalColumns,
  linesThrough,
  type PlayResult,
  play,
  restore,
  type Seat,
  serialise,
  standings,
} from "../../../src/games/connect4/rules.ts";

/** A board drawn top row first: "." empty, "1" / "2" a seat's piece. */
function board(...rows: string[]): Cell[] {
  assert.equal(rows.length, 6);
  const cells = rows.join("").split("");
  assert.equal(cells.length, CELLS);
  return cells.map((c) => (c === "." ? 0 : (Number(c) as Cell)));
}

/** A position to play on; it must obey gravity and hold no line yet, or the test would prove nothing. */
function position(cells: Cell[], turn: Seat): Connect4State {
  for (let cell = 0; cell < CELLS - 7; cell++) {
    if (cells[cell] !== 0) assert.notEqual(cells[cell + 7], 0, `cell ${cell} floats`);
  }
  for (let cell = 0; cell < CELLS; cell++) assert.deepEqual(linesThrough(cells, cell), [], `a line through ${cell}`);
  return { ...createGame(), board: cells, turn };
}

function ok(result: PlayResult) {
  assert.ok(result.ok, `refused: ${result.ok ? "" : `${result.code} ${result.message}`}`);
  return result;
}

/** Plays `columns` from the start, seats alternating from 1; every move must be accepted. */
function replay(columns: number[]): Connect4State {
  let state = createGame();
  for (const column of columns) state = ok(play(state, state.turn, column)).state;
  return state;
}

const at = (row: number, column: number) => cellIndex(row, column);

describe("connect4 rules: board and gravity", () => {
  it("a new board is 42 empty cells, every column legal, seat 1 to move", () => {
    assert.deepEqual(createBoard(), new Array(42).fill(0));
    const game = createGame();
    assert.deepEqual(legalColumns(game.board), [0, 1, 2, 3, 4, 5, 6]);
    assert.deepEqual([game.turn, game.winner, game.moves], [1, 0, []]);
  });

  it("a piece lands on the lowest empty row (row 5 is the bottom), seats alternate", () => {
    const first = ok(play(createGame(), 1, 3));
    assert.equal(first.cell, at(5, 3));
    assert.equal(first.state.board[at(5, 3)], 1);
    assert.equal(first.state.turn, 2);
    const second = ok(play(first.state, 2, 3));
    assert.equal(second.cell, at(4, 3));
    assert.equal(second.state.board[at(4, 3)], 2);
    assert.deepEqual(second.state.moves, [3, 3]);
    assert.equal(second.state.board.filter((c) => c !== 0).length, 2);
  });

  it("a played move leaves the state it was given untouched", () => {
    const before = replay([3, 4]);
    const copy = structuredClone(before);
    ok(play(before, 1, 3));
    assert.deepEqual(before, copy);
  });

  it("a full column is no longer legal", () => {
    const state = replay([0, 0, 0, 0, 0, 0]);
    assert.deepEqual(legalColumns(state.board), [1, 2, 3, 4, 5, 6]);
    assert.equal(state.board[at(0, 0)], 2);
  });
});

describe("connect4 rules: refusals", () => {
  it("NOT_YOUR_TURN for the seat that just moved, and for seat 2 moving first", () => {
    const state = replay([3]);
    const result = play(state, 1, 4);
    assert.equal(result.ok, false);
    assert.equal(!result.ok && result.code, "NOT_YOUR_TURN");
    assert.deepEqual(result.ok ? null : result.message, "it is seat 2's turn");
    const second = play(createGame(), 2, 0);
    assert.equal(!second.ok && second.code, "NOT_YOUR_TURN", "seat 2 moved first");
  });

  it("COLUMN_FULL for a column with six pieces", () => {
    const result = play(replay([2, 2, 2, 2, 2, 2]), 1, 2);
    assert.equal(!result.ok && result.code, "COLUMN_FULL");
  });

  it("INVALID_MOVE for a column outside 0–6 or not an integer", () => {
    for (const column of [-1, 7, 1.5, Number.NaN, Number.POSITIVE_INFINITY]) {
      const result = play(createGame(), 1, column);
      assert.equal(!result.ok && result.code, "INVALID_MOVE", `column ${column}`);
    }
  });

  it("INVALID_MOVE once the game is over, for a move and for a forfeit", () => {
    const won = replay([0, 1, 0, 1, 0, 1, 0]);
    assert.equal(won.winner, 1);
    const move = play(won, 2, 3);
    assert.equal(!move.ok && move.code, "INVALID_MOVE");
    assert.match(!move.ok ? move.message : "", /over/);
    const gaveUp = forfeit(won, 2);
    assert.equal(!gaveUp.ok && gaveUp.code, "INVALID_MOVE");
  });
});

describe("connect4 rules: lines", () => {
  function expectWin(cells: Cell[], seat: Seat, column: number, line: number[]) {
    const result = ok(play(position(cells, seat), seat, column));
    assert.equal(result.state.winner, seat);
    assert.equal(result.state.ending, "line");
    assert.deepEqual(
      result.state.winningCells,
      [...line].sort((a, b) => a - b),
    );
    assert.deepEqual(
      standings(result.state).map((s) => s.outcome),
      seat === 1 ? ["win", "loss"] : ["loss", "win"],
    );
  }

  it("horizontal on the bottom row against the right edge", () => {
    const cells = board(".......", ".......", ".......", ".......", "...222.", "...111.");
    expectWin(cells, 1, 6, [at(5, 3), at(5, 4), at(5, 5), at(5, 6)]);
  });

  it("horizontal on the top row against the left edge", () => {
    const cells = board(".111...", "2221222", "1112111", "2221222", "1112111", "2221222");
    expectWin(cells, 1, 0, [at(0, 0), at(0, 1), at(0, 2), at(0, 3)]);
  });

  it("vertical in the leftmost column up to the top row", () => {
    const cells = board(".......", "2......", "2......", "2......", "1......", "11.1...");
    expectWin(cells, 2, 0, [at(0, 0), at(1, 0), at(2, 0), at(3, 0)]);
  });

  it("vertical from the bottom of the rightmost column", () => {
    const cells = board(".......", ".......", ".......", "......1", "......1", "22....1");
    expectWin(cells, 1, 6, [at(2, 6), at(3, 6), at(4, 6), at(5, 6)]);
  });

  it("diagonal down-right ending in the top-left corner", () => {
    const cells = board(".......", "21.....", "221....", "1211...", "1122...", "2121...");
    expectWin(cells, 1, 0, [at(0, 0), at(1, 1), at(2, 2), at(3, 3)]);
  });

  it("diagonal down-left ending in the bottom-left corner", () => {
    const cells = board(".......", ".......", "...1...", "..12...", ".122...", ".221...");
    expectWin(cells, 1, 0, [at(5, 0), at(4, 1), at(3, 2), at(2, 3)]);
  });

  it("diagonal down-right ending in the bottom-right corner", () => {
    const cells = board(".......", ".......", "...2...", "...12..", "...212.", "...121.");
    expectWin(cells, 2, 6, [at(2, 3), at(3, 4), at(4, 5), at(5, 6)]);
  });

  it("diagonal down-left ending in the top-right corner", () => {
    const cells = board(".......", ".....12", "....122", "...1221", "...1211", "...1122");
    expectWin(cells, 1, 6, [at(0, 6), at(1, 5), at(2, 4), at(3, 3)]);
  });

  it("a piece filling the gap of five in a row returns all five cells", () => {
    const cells = board(".......", ".......", ".......", ".......", "22.22..", "11211..");
    expectWin(cells, 2, 2, [at(4, 0), at(4, 1), at(4, 2), at(4, 3), at(4, 4)]);
  });

  it("two lines through the same piece are both returned", () => {
    // The piece at (2,3) completes row 2 (columns 0–3) and column 3 (rows 2–5).
    const cells = board(".......", ".......", "111....", "2221...", "2121...", "1211...");
    const result = ok(play(position(cells, 1), 1, 3));
    assert.equal(result.cell, at(2, 3));
    assert.deepEqual(
      result.state.winningCells,
      [at(2, 0), at(2, 1), at(2, 2), at(2, 3), at(3, 3), at(4, 3), at(5, 3)].sort((a, b) => a - b),
    );
  });

  it("four consecutive indexes wrapping from one row to the next are not a line", () => {
    // Cells 5, 6 (row 0, right edge) and 7, 8 (row 1, left edge) hold seat 1.
    const cells = board(".....1.", "11...22", "22...11", "11...22", "22...11", "11...22");
    const result = ok(play(position(cells, 1), 1, 6));
    assert.equal(result.cell, at(0, 6));
    assert.equal(result.state.winner, 0);
    assert.deepEqual(result.state.winningCells, []);
  });

  it("three in a row is not a win", () => {
    const state = replay([0, 0, 1, 1, 2]);
    assert.equal(state.winner, 0);
    assert.equal(state.ending, null);
  });
});

/**
 * A full board without any line: column parity alternates the seats across a row, and the rows (bottom up)
 * follow 0,1,1,0,0,1, which caps vertical runs at two and breaks every diagonal. 21 pieces each.
 */
function drawnBoard(): Cell[] {
  const rowFlip = [0, 1, 1, 0, 0, 1];
  const cells = createBoard();
  for (let fromBottom = 0; fromBottom < 6; fromBottom++) {
    for (let column = 0; column < 7; column++) {
      cells[at(5 - fromBottom, column)] = ((rowFlip[fromBottom]! ^ (column % 2)) === 0 ? 1 : 2) as Cell;
    }
  }
  return cells;
}

/** An order of moves (seats alternating from 1, bottom up per column) that builds `target`, found by search. */
function movesBuilding(target: Cell[]): number[] | null {
  const heights = new Array(7).fill(0);
  const moves: number[] = [];
  const search = (seat: Seat): boolean => {
    if (moves.length === CELLS) return true;
    for (let column = 0; column < 7; column++) {
      if (heights[column] === 6 || target[at(5 - heights[column], column)] !== seat) continue;
      heights[column]++;
      moves.push(column);
      if (search(seat === 1 ? 2 : 1)) return true;
      moves.pop();
      heights[column]--;
    }
    return false;
  };
  return search(1) ? moves : null;
}

describe("connect4 rules: draw, forfeit, standings", () => {
  it("the 42nd move filling the board without a line is a draw", () => {
    const target = drawnBoard();
    assert.equal(target.filter((c) => c === 1).length, 21);
    const moves = movesBuilding(target);
    assert.ok(moves, "no legal order builds the drawn board");
    const beforeLast = replay(moves.slice(0, -1));
    assert.equal(beforeLast.winner, 0);
    const last = ok(play(beforeLast, beforeLast.turn, moves.at(-1)!));
    assert.deepEqual(last.state.board, target);
    assert.equal(last.state.winner, DRAW);
    assert.equal(last.state.ending, "draw");
    assert.deepEqual(legalColumns(last.state.board), []);
    assert.deepEqual(standings(last.state), [
      { seat: 1, outcome: "draw", placement: 1 },
      { seat: 2, outcome: "draw", placement: 1 },
    ]);
  });

  it("a line completed by the move that fills the board is a win, not a draw", () => {
    const cells = drawnBoard();
    for (const [column, seat] of [
      [0, 0],
      [1, 2],
      [3, 2],
      [4, 1],
    ] as const) {
      cells[at(0, column)] = seat;
    }
    const result = ok(play(position(cells, 2), 2, 0));
    assert.deepEqual(legalColumns(result.state.board), []);
    assert.equal(result.state.winner, 2);
    assert.equal(result.state.ending, "line");
    assert.deepEqual(result.state.winningCells, [at(0, 0), at(0, 1), at(0, 2), at(0, 3)]);
  });

  it("a forfeit by either seat, on its turn or not, makes the other seat win", () => {
    const state = replay([3, 3, 4]);
    for (const seat of [1, 2] as const) {
      const result = forfeit(state, seat);
      assert.ok(result.ok);
      assert.equal(result.state.winner, seat === 1 ? 2 : 1);
      assert.equal(result.state.ending, "forfeit");
      assert.deepEqual(result.state.board, state.board);
      assert.deepEqual(
        standings(result.state).find((s) => s.seat === seat),
        { seat, outcome: "loss", placement: 2 },
      );
    }
    assert.equal(state.winner, 0, "forfeit changed the state it was given");
  });

  it("a forfeit before any move is allowed", () => {
    const result = forfeit(createGame(), 1);
    assert.ok(result.ok);
    assert.deepEqual(standings(result.state), [
      { seat: 1, outcome: "loss", placement: 2 },
      { seat: 2, outcome: "win", placement: 1 },
    ]);
  });

  it("standings of a running game throw", () => {
    assert.throws(() => standings(replay([3])), /not ended/);
  });
});

describe("connect4 rules: serialise and restore", () => {
  const roundTrip = (state: Connect4State) => restore(JSON.parse(JSON.stringify(serialise(state))));

  it("a running, a won, a drawn and a forfeited game survive JSON and restore equal", () => {
    const running = replay([3, 3, 4, 2]);
    const won = replay([0, 1, 0, 1, 0, 1, 0]);
    const drawn = replay(movesBuilding(drawnBoard())!);
    const forfeited = forfeit(running, 2);
    assert.ok(forfeited.ok);
    for (const state of [createGame(), running, won, drawn, forfeited.state]) {
      const snapshot = serialise(state);
      assert.equal(snapshot.format, CONNECT4_FORMAT);
      assert.deepEqual(roundTrip(state), state);
    }
    // A restored game plays on.
    assert.equal(ok(play(roundTrip(running), 1, 5)).state.moves.length, 5);
  });

  it("an unknown or missing format is refused with an error naming the format", () => {
    const snapshot = serialise(replay([3]));
    for (const format of [2, 0, "1", undefined]) {
      assert.throws(
        () => restore({ ...snapshot, format }),
        (error: unknown) =>
          error instanceof Connect4RestoreError &&
          /unknown format/.test(error.message) &&
          error.message.includes(`format ${CONNECT4_FORMAT}`),
      );
    }
  });

  it("payloads that are not a legal game are refused", () => {
    const snapshot = serialise(replay([3, 3]));
    const bad: unknown[] = [
      null,
      "x",
      { ...snapshot, moves: "33" },
      { ...snapshot, moves: [3, 9] },
      { ...snapshot, moves: [0, 0, 0, 0, 0, 0, 0] },
      { ...snapshot, board: createBoard() },
      { ...snapshot, turn: 2 },
      { ...snapshot, winner: 1 },
      { ...snapshot, ending: "forfeit", winner: 1, forfeitedBy: 7 },
      { ...serialise(replay([0, 1, 0, 1, 0, 1, 0])), moves: [0, 1, 0, 1, 0, 1, 0, 1] },
    ];
    for (const data of bad) assert.throws(() => restore(data), Connect4RestoreError, JSON.stringify(data));
  });
});
