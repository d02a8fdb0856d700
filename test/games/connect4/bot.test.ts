import assert from "node:assert/strict";
import { botMove } from "../../../src/games/connect4/bot.ts";
import {
  type Cell,
  type Connect4State,
  createGame,
  legalColumns,
  play,
  type Seat,
} from "../../../src/games/connect4/rules.ts";
import { nextUint32, type RngState, seedRng } from "../../../src/logic/rng.ts";

/** A board drawn top row first: "." empty, "1" / "2" a seat's piece. */
function position(turn: Seat, ...rows: string[]): Connect4State {
  const board = rows
    .join("")
    .split("")
    .map((c) => (c === "." ? 0 : (Number(c) as Cell)));
  return { ...createGame(), board, turn };
}

function apply(state: Connect4State, column: number): Connect4State {
  const result = play(state, state.turn, column);
  assert.ok(result.ok, `column ${column} refused: ${result.ok ? "" : result.code}`);
  return result.state;
}

type Player = (state: Connect4State) => number;

function randomPlayer(rng: RngState): Player {
  return (state) => {
    const legal = legalColumns(state.board);
    return legal[nextUint32(rng) % legal.length]!;
  };
}

/** Plays a whole game; returns the final state. Every move the players choose must be legal. */
function playOut(one: Player, two: Player, onMove?: (state: Connect4State, column: number) => void) {
  let state = createGame();
  while (state.winner === 0) {
    const column = (state.turn === 1 ? one : two)(state);
    assert.ok(legalColumns(state.board).includes(column), `illegal column ${column}`);
    onMove?.(state, column);
    state = apply(state, column);
  }
  return state;
}

describe("connect4 bot", () => {
  it("takes an immediate win rather than blocking", () => {
    // Seat 1 wins with column 3 (bottom row); seat 2 threatens column 6 (vertical).
    const state = position(1, ".......", ".......", ".......", "......2", "......2", "111...2");
    for (let seed = 0; seed < 20; seed++) assert.equal(botMove(state, 1, seedRng(seed)), 3);
  });

  it("takes a diagonal win into the bottom-left corner", () => {
    const state = position(2, ".......", ".......", "...2...", "..21...", ".212...", ".112...");
    for (let seed = 0; seed < 20; seed++) assert.equal(botMove(state, 2, seedRng(seed)), 0);
  });

  it("blocks an immediate loss", () => {
    // Seat 1 threatens column 0 (vertical), then column 4 (bottom row); seat 2 has no win of its own.
    const vertical = position(2, ".......", ".......", ".......", "1......", "1.....2", "1.....2");
    const horizontal = position(2, ".......", ".......", ".......", ".......", "...2.2.", "2111.2.");
    for (let seed = 0; seed < 20; seed++) {
      assert.equal(botMove(vertical, 2, seedRng(seed)), 0);
      assert.equal(botMove(horizontal, 2, seedRng(seed)), 4);
    }
  });

  it("does not play under the opponent's winning cell when it has a choice", () => {
    // Seat 1 would win at (4,3) once anything fills (5,3); seat 2 must keep column 3 empty.
    const state = position(2, ".......", ".......", ".......", ".......", "111.2..", "121.21.");
    for (let seed = 0; seed < 10; seed++) assert.notEqual(botMove(state, 2, seedRng(seed)), 3);
  });

  it("makes an open three on the bottom row (two threats at once) when it can", () => {
    // Column 3 gives _111_ with both ends playable: seat 2 can block only one. Column 0 or 4 gives one threat.
    const state = position(1, ".......", ".......", ".......", ".......", ".22....", ".11....");
    for (let seed = 0; seed < 10; seed++) assert.equal(botMove(state, 1, seedRng(seed)), 3);
  });

  it("a node budget cuts the search back to the last complete depth; depth 1 always completes", () => {
    let state = createGame();
    for (const column of [3, 3, 2, 4]) state = apply(state, column);
    for (let seed = 0; seed < 10; seed++) {
      const starved = botMove(state, state.turn, seedRng(seed), { maxNodes: 0 });
      assert.equal(starved, botMove(state, state.turn, seedRng(seed), { depth: 1 }));
      // In this position the full search disagrees with one ply, so the budget did cut something.
      assert.notEqual(starved, botMove(state, state.turn, seedRng(seed)));
    }
  });

  it("options out of range or NaN still give a legal move", () => {
    const state = apply(createGame(), 3);
    for (const options of [{ depth: 0 }, { depth: 99 }, { depth: Number.NaN }, { skill: -1 }, { skill: Number.NaN }]) {
      assert.ok(legalColumns(state.board).includes(botMove(state, 2, seedRng(1), options)), JSON.stringify(options));
    }
    // A NaN depth means the default depth, not "no search".
    assert.equal(botMove(state, 2, seedRng(1), { depth: Number.NaN }), botMove(state, 2, seedRng(1)));
  });

  it("never plays a full column, at any skill", () => {
    const onlyOne = position(1, "112211.", "221122.", "112211.", "221122.", "112211.", "221122.");
    assert.equal(botMove(onlyOne, 1, seedRng(3)), 6);
    const rng = seedRng(11);
    for (let game = 0; game < 20; game++) {
      const skill = game / 19;
      // playOut asserts every chosen column is legal.
      playOut(
        (s) => botMove(s, 1, rng, { depth: 3, skill }),
        (s) => botMove(s, 2, rng, { depth: 2, skill: 1 - skill }),
      );
    }
  });

  it("refuses to move when the game is over or it is not its turn", () => {
    assert.throws(() => botMove(createGame(), 2, seedRng(1)), /turn/);
    const over = { ...createGame(), winner: 1 as const };
    assert.throws(() => botMove(over, 1, seedRng(1)), /over/);
  });

  it("beats a random player in at least 95 of 100 seeded games, moving first or second", () => {
    let wins = 0;
    let draws = 0;
    let botMoves = 0;
    let botMs = 0;
    let slowestMs = 0;
    for (let game = 0; game < 100; game++) {
      const botSeat: Seat = game % 2 === 0 ? 1 : 2;
      const rng = seedRng(1000 + game);
      const bot: Player = (state) => {
        const started = performance.now();
        const column = botMove(state, botSeat, rng);
        const ms = performance.now() - started;
        botMoves++;
        botMs += ms;
        slowestMs = Math.max(slowestMs, ms);
        return column;
      };
      const random = randomPlayer(seedRng(5000 + game));
      const end = botSeat === 1 ? playOut(bot, random) : playOut(random, bot);
      if (end.winner === botSeat) wins++;
      else if (end.winner === 3) draws++;
    }
    // A figure for the record, not an assertion: the machine is shared.
    console.log(
      `      connect4 bot (depth 6) vs random: ${wins}/100 won, ${draws} drawn; ` +
        `${(botMs / botMoves).toFixed(2)} ms a move on average, slowest ${slowestMs.toFixed(1)} ms (${botMoves} moves)`,
    );
    assert.ok(wins >= 95, `won only ${wins} of 100`);
  });

  it("measures a full-depth move on an opening position (printed, not asserted)", () => {
    const rng = seedRng(7);
    const openings = [[], [3], [3, 3], [3, 2, 4], [0, 6, 1, 5]];
    const times: number[] = [];
    for (const opening of openings) {
      let state = createGame();
      for (const column of opening) state = apply(state, column);
      const started = performance.now();
      for (let i = 0; i < 10; i++) botMove(state, state.turn, rng);
      times.push((performance.now() - started) / 10);
    }
    console.log(`      connect4 bot opening moves: ${times.map((t) => t.toFixed(2)).join(", ")} ms`);
    assert.equal(times.length, openings.length);
  });

  it("the same seed gives the same game; another seed a different one", () => {
    const record = (seed: number) => {
      const rng = seedRng(seed);
      const moves: number[] = [];
      const bot = (seat: Seat) => (state: Connect4State) => botMove(state, seat, rng, { depth: 4, skill: 0.6 });
      const end = playOut(bot(1), bot(2), (_, column) => moves.push(column));
      return { moves, winner: end.winner };
    };
    assert.deepEqual(record(42), record(42));
    const games = new Set([42, 43, 44, 45].map((seed) => JSON.stringify(record(seed).moves)));
    assert.ok(games.size > 1, "the seed changes nothing");
  });
});
