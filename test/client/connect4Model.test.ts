/**
 * The Connect Four view's model (client/src/games/connect4/model.ts): the preview lands where the server's rules
 * put a piece, whose turn it is reads from the own seat (found again after a rejoin by the own account), outcomes
 * from the own side, keys 1–7, and the turn timer counting down between patches that do not touch it.
 */
import assert from "node:assert/strict";
import {
  boardModel,
  type Connect4Player,
  type Connect4Snapshot,
  columnForKey,
  formatSeconds,
  outcomeFor,
  TurnClock,
} from "../../client/src/games/connect4/model.ts";
import { createGame, play, type Seat } from "../../src/games/connect4/rules.ts";

const ME = { sessionId: "s-me", playerId: "p-me" };
const PLAYERS: Connect4Player[] = [
  { sessionId: "s-me", playerId: "p-me", username: "me", seat: 1, bot: false, connected: true },
  { sessionId: "s-bot", playerId: "p-bot", username: "bot_1", seat: 2, bot: true, connected: true },
];

/** The state after `columns` are played in turn from an empty board, as the room would show it. */
function played(columns: number[], players = PLAYERS): Connect4Snapshot {
  let game = createGame();
  for (const column of columns) {
    const result = play(game, game.turn, column);
    assert.ok(result.ok, `column ${column} is playable`);
    game = result.state;
  }
  return {
    phase: game.winner === 0 ? "active" : "ended",
    board: game.board,
    turn: game.turn,
    turnTimeLeftMs: 20_000,
    winner: game.winner,
    players,
  };
}

describe("Connect Four view model", () => {
  it("previews the bottom cell of an empty column and the cell above the top piece of a filled one", () => {
    const empty = boardModel(played([]), ME, 3);
    assert.equal(empty.previewCell, 5 * 7 + 3, "row 5 (the bottom), column 3");
    assert.equal(empty.cells.filter((cell) => cell.preview).length, 1);
    assert.ok(empty.cells[38]!.preview);

    // Seat 1 and seat 2 both played column 3: the next piece there lands on row 3.
    const stacked = boardModel(played([3, 3]), ME, 3);
    assert.equal(stacked.previewCell, 3 * 7 + 3);
    assert.equal(stacked.pieces, 2);
    assert.equal(stacked.cells[38]!.seat, 1);
    assert.equal(stacked.cells[31]!.seat, 2);
  });

  it("shows no preview over a full column, when it is not the own turn, or without a hovered column", () => {
    const full = played([0, 0, 0, 0, 0, 0]);
    assert.equal(boardModel(full, ME, 0).previewCell, -1, "column 0 is full");
    assert.equal(boardModel(full, ME, 1).previewCell, 5 * 7 + 1);
    assert.equal(boardModel(played([2]), ME, 2).previewCell, -1, "seat 2 (the bot) is to move");
    assert.equal(boardModel(played([]), ME, null).previewCell, -1);
    assert.equal(boardModel(played([]), ME, 7).previewCell, -1, "there is no column 7");
  });

  it("says whose turn it is from the own seat, and waits for an opponent while alone", () => {
    const mine = boardModel(played([]), ME, null);
    assert.equal(mine.ownSeat, 1);
    assert.equal(mine.myTurn, true);
    assert.equal(mine.status, "your turn");
    const theirs = boardModel(played([4]), ME, null);
    assert.equal(theirs.myTurn, false);
    assert.equal(theirs.status, "opponent's turn");
    const alone = boardModel({ ...played([]), phase: "waiting", players: [PLAYERS[0]!] }, ME, 0);
    assert.equal(alone.status, "waiting for an opponent");
    assert.equal(alone.myTurn, false);
    assert.equal(alone.previewCell, -1);
  });

  it("finds the own seat by the own account when the sessionId is not (yet) the one in the state", () => {
    // After a rejoin the page has a new sessionId; until the state has re-keyed the seat, the account finds it.
    const state = played(
      [1],
      [
        { ...PLAYERS[0]!, sessionId: "s-old", seat: 2 },
        { ...PLAYERS[1]!, seat: 1 },
      ],
    );
    const model = boardModel(state, { sessionId: "s-new", playerId: "p-me" }, null);
    assert.equal(model.ownSeat, 2);
    assert.equal(model.status, "your turn");
  });

  it("reads the outcome from the own side: a line of four, a loss, a draw", () => {
    // Seat 1 plays column 0 four times while seat 2 plays column 1: a vertical four for seat 1.
    const won = played([0, 1, 0, 1, 0, 1, 0]);
    assert.equal(won.winner, 1);
    assert.equal(boardModel(won, ME, 3).outcome, "win");
    assert.equal(boardModel(won, ME, 3).status, "you won");
    assert.equal(boardModel(won, ME, 3).myTurn, false, "nobody moves once the game is over");
    assert.equal(boardModel(won, ME, 3).previewCell, -1);
    assert.deepEqual(
      boardModel(won, ME, null).cells.flatMap((cell, index) => (cell.winning ? [index] : [])),
      [14, 21, 28, 35],
      "the line of four in column 0 is marked",
    );
    assert.equal(
      boardModel(played([0, 1, 0, 1]), ME, null).cells.some((cell) => cell.winning),
      false,
    );
    assert.equal(boardModel(won, { sessionId: "s-bot", playerId: "p-bot" }, null).outcome, "loss");
    assert.equal(outcomeFor(3, 1), "draw");
    assert.equal(outcomeFor(3, 2), "draw");
    assert.equal(outcomeFor(0, 1), null);
    assert.equal(outcomeFor(1, 0), null, "a viewer without a seat has no outcome");
    const seats: Seat[] = [1, 2];
    for (const seat of seats) assert.equal(outcomeFor(seat, seat), "win");
  });

  it("maps keys 1–7 (top row and keypad) to columns 0–6 and nothing else", () => {
    assert.equal(columnForKey("Digit1"), 0);
    assert.equal(columnForKey("Digit7"), 6);
    assert.equal(columnForKey("Numpad4"), 3);
    assert.equal(columnForKey("Digit8"), undefined);
    assert.equal(columnForKey("Digit0"), undefined);
    assert.equal(columnForKey("KeyA"), undefined);
  });

  it("counts the turn timer down between patches and takes a new reading when the turn changes", () => {
    const clock = new TurnClock();
    clock.observe(1, 20_000, 0, 1_000);
    assert.equal(clock.left(1_000), 20_000);
    assert.equal(clock.left(6_000), 15_000);
    // A patch that changes something else (same turn, timer, board) does not restart the count.
    clock.observe(1, 20_000, 0, 6_000);
    assert.equal(clock.left(7_000), 14_000);
    // The next turn starts from the state's value again, even if it is the same number as before.
    clock.observe(2, 20_000, 1, 8_000);
    assert.equal(clock.left(8_500), 19_500);
    // A server that writes the timer as it runs corrects the local count.
    clock.observe(2, 18_000, 1, 9_000);
    assert.equal(clock.left(9_000), 18_000);
    assert.equal(clock.left(60_000), 0, "never below 0");
    assert.equal(formatSeconds(19_500), "0:20");
    assert.equal(formatSeconds(0), "0:00");
    assert.equal(formatSeconds(61_000), "1:01");
  });
});
