/**
 * Connect Four in the browser client, end to end in headless Chromium against the real server on PGlite: the
 * lobby's game picker (from GET /games) searches a `connect4` duel; two guests are matched, see whose turn it is,
 * get the server's refusals (not your turn, a full column) shown on the page, play by clicking and by keys 1–7 with
 * the landing cell previewed, chat, and see the win and the loss with their rating change and the per-game rating
 * in the lobby afterwards. One guest alone gets a bot, reloads mid-game and is back on the same board (rejoin), and
 * plays it to the end screen. Screenshots go to test-artifacts/ (gitignored).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { buildClient } from "../../scripts/buildClient.ts";
import { pageDebug, waitForPage } from "../helpers/page.ts";
import { bootTestServer, type TestServer } from "../helpers/server.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = path.resolve(import.meta.dirname, "../../test-artifacts");

/** The part of `window.__arena` (client/src/main.ts, client/src/games/connect4/Connect4View.ts) read here. */
interface PageState {
  screen: string;
  player: { id: string; username: string } | null;
  games: Array<{ id: string; modes: Array<{ id: string }> }>;
  gamesFromServer: boolean;
  game: string;
  mode: string;
  rating: string;
  match: {
    game: string;
    roomId: string;
    sessionId: string;
    phase: string;
    board: number[];
    turn: number;
    ownSeat: number;
    myTurn: boolean;
    status: string;
    turnTimeLeftMs: number;
    winner: number;
    players: Array<{ username: string; seat: number; bot: boolean; connected: boolean }>;
    refusal: { code: string; message: string } | null;
    refusals: string[];
  } | null;
  matchChat: Array<{ username: string; text: string }>;
  results: Array<{
    playerId: string;
    outcome?: string;
    ratingBefore: number | null;
    ratingAfter: number | null;
  }> | null;
  notice: string;
}

type Match = NonNullable<PageState["match"]>;

interface Guest {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

function pageState(page: Page): Promise<PageState> {
  return pageDebug<PageState>(page);
}

function waitFor(
  page: Page,
  predicate: (state: PageState) => boolean,
  what: string,
  timeoutMs?: number,
): Promise<PageState> {
  return waitForPage(page, predicate, what, timeoutMs);
}

/** The own Connect Four match once both seats are taken and the game runs. */
async function activeMatch(page: Page, timeoutMs = 20_000): Promise<Match> {
  const state = await waitFor(
    page,
    (s) =>
      s.screen === "match" &&
      s.match?.game === "connect4" &&
      s.match.phase === "active" &&
      s.match.ownSeat !== 0 &&
      s.match.players.length === 2,
    "an active connect4 match",
    timeoutMs,
  );
  return state.match!;
}

/** Cells (indices) of `seat`'s pieces as the page draws them (on the live board, or `where`). */
async function drawnCells(page: Page, seat: 1 | 2, where = "#c4-board"): Promise<number[]> {
  const cells = (await page.evaluate(
    `[...document.querySelectorAll("${where} .c4-cell.seat-${seat}")].map((cell) => Number(cell.dataset.cell))`,
  )) as number[];
  return cells.sort((a, b) => a - b);
}

/** The values of a select's options. */
async function optionValues(page: Page, select: string): Promise<string[]> {
  return (await page.evaluate(
    `[...document.querySelectorAll("${select} option")].map((option) => option.value)`,
  )) as string[];
}

/** Waits for the own turn, then plays `column` by clicking its top cell (`via: "click"`) or pressing its key. */
async function playColumn(page: Page, column: number, via: "click" | "key"): Promise<void> {
  const before = await waitFor(page, (s) => s.match?.myTurn === true, `the own turn to play column ${column}`);
  const pieces = before.match!.board.filter((cell) => cell !== 0).length;
  if (via === "click") await page.click(`#c4-board .c4-cell[data-cell="${column}"]`);
  else await page.keyboard.press(`Digit${column + 1}`);
  await waitFor(
    page,
    (s) => (s.match?.board.filter((cell) => cell !== 0).length ?? 0) > pieces || s.results !== null,
    `the piece in column ${column}`,
  );
}

describe("browser client: Connect Four (headless Chromium)", function () {
  this.timeout(90_000);
  let server: TestServer;
  let browser: Browser;
  const open: Guest[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
    await buildClient();
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await bootTestServer({
      database: "pglite",
      redis: false,
      env: { BOT_FILL_SEC: "3", RECONNECT_WINDOW_SEC: "20" },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--mute-audio"] });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(async () => {
    for (const guest of open.splice(0)) {
      assert.deepEqual(guest.errors, [], "no uncaught errors in the page");
      await guest.context.close();
    }
  });

  /** A fresh browser profile logged in as a new guest, in the lobby with Connect Four picked. */
  async function connect4Guest(): Promise<Guest> {
    const context = await browser.newContext({ viewport: { width: 1320, height: 820 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    const guest = { context, page, errors };
    open.push(guest);
    await page.goto(server.baseUrl);
    await page.click("#guest");
    await waitFor(
      page,
      (s) => s.screen === "lobby" && s.gamesFromServer && s.games.some((game) => game.id === "connect4"),
      "the lobby with the server's games",
    );
    await page.selectOption("#game", "connect4");
    await page.selectOption("#mode", "duel");
    const state = await waitFor(page, (s) => s.game === "connect4" && s.mode === "duel", "connect4 duel picked");
    assert.match(state.rating, /no rated games yet|rating \d+/);
    return guest;
  }

  it("the picker lists the server's games and their modes", async () => {
    const games = (await (await fetch(`${server.baseUrl}/games`)).json()) as { games: Array<{ id: string }> };
    const { page } = await connect4Guest();
    const options = await optionValues(page, "#game");
    assert.deepEqual(
      options,
      games.games.map((game) => game.id).filter((id) => id === "arena" || id === "connect4"),
    );
    assert.ok(options.includes("connect4"));
    assert.deepEqual(await optionValues(page, "#mode"), ["duel"]);
    await page.selectOption("#game", "arena");
    assert.deepEqual(await optionValues(page, "#mode"), ["duel", "ffa", "squad"]);
  });

  it("two guests are matched, take turns by click and by key, are refused, chat, and see the win and the loss", async () => {
    const [a, b] = [await connect4Guest(), await connect4Guest()];
    await Promise.all([a.page.click("#find"), b.page.click("#find")]);
    const [matchA, matchB] = await Promise.all([activeMatch(a.page), activeMatch(b.page)]);
    assert.equal(matchA.roomId, matchB.roomId, "both in the same connect4 room");
    assert.deepEqual(
      matchA.players.map((p) => p.bot),
      [false, false],
    );
    const [first, second] = matchA.ownSeat === 1 ? [a, b] : [b, a];
    assert.equal((await pageState(second.page)).match!.ownSeat, 2);

    // Whose turn it is, on both pages.
    await waitFor(first.page, (s) => s.match?.status === "your turn", "seat 1: your turn");
    await waitFor(second.page, (s) => s.match?.status === "opponent's turn", "seat 2: opponent's turn");
    assert.equal(await first.page.textContent("#c4-status"), "your turn");
    assert.match((await first.page.textContent("#c4-timer")) ?? "", /\d:\d\d left in this turn/);
    assert.match((await first.page.textContent("#c4-players")) ?? "", /\(you\)/);

    // Out of turn: the server refuses, the page says so for a moment.
    await second.page.keyboard.press("Digit4");
    await waitFor(second.page, (s) => s.match?.refusal?.code === "NOT_YOUR_TURN", "the NOT_YOUR_TURN refusal");
    assert.equal(await second.page.textContent("#c4-refusal"), "It is not your turn.");
    await waitFor(second.page, (s) => s.match?.refusal === null, "the refusal to go away", 5_000);
    assert.equal(await second.page.textContent("#c4-refusal"), "");

    // The landing cell is previewed under the pointer: the bottom of an empty column.
    await first.page.hover('#c4-board .c4-cell[data-cell="3"]');
    await first.page.waitForSelector('#c4-board .c4-cell.preview[data-cell="38"]', { timeout: 2_000 });

    // Column 3 filled by both (no line), then a full column is refused.
    for (let i = 0; i < 3; i++) {
      await playColumn(first.page, 3, "click");
      await playColumn(second.page, 3, "key");
    }
    await waitFor(first.page, (s) => s.match?.myTurn === true, "seat 1's turn");
    await first.page.keyboard.press("Digit4");
    await waitFor(first.page, (s) => s.match?.refusal?.code === "COLUMN_FULL", "the COLUMN_FULL refusal");
    assert.equal(await first.page.textContent("#c4-refusal"), "That column is full.");

    await first.page.fill("#match-chat input", "good luck");
    await first.page.press("#match-chat input", "Enter");
    await waitFor(second.page, (s) => s.matchChat.some((line) => line.text === "good luck"), "the chat line", 5_000);

    // Seat 1 stacks four in column 0 while seat 2 plays column 1: a vertical line for seat 1.
    for (let i = 0; i < 3; i++) {
      await playColumn(first.page, 0, i % 2 === 0 ? "key" : "click");
      await playColumn(second.page, 1, "click");
    }
    const beforeWin = await pageState(first.page);
    await playColumn(first.page, 0, "key");

    const [endFirst, endSecond] = await Promise.all([
      waitFor(first.page, (s) => s.screen === "end", "the winner's end screen"),
      waitFor(second.page, (s) => s.screen === "end", "the loser's end screen"),
    ]);
    // The board shows every piece where it fell, on both pages: column 3 from the bottom (row 5, cell 38) up, then
    // seat 1's column 0 and seat 2's column 1.
    assert.equal(beforeWin.match!.board.filter((cell) => cell !== 0).length, 12);
    for (const guest of [first, second]) {
      await waitFor(
        guest.page,
        (s) => s.match?.board.filter((cell) => cell !== 0).length === 13,
        "the winning piece on the board",
        5_000,
      );
      assert.deepEqual(await drawnCells(guest.page, 1), [10, 14, 21, 24, 28, 35, 38]);
      assert.deepEqual(await drawnCells(guest.page, 2), [3, 17, 22, 29, 31, 36]);
      // The end screen shows the final board with the winning line.
      assert.deepEqual(await drawnCells(guest.page, 1, "#end-picture"), [10, 14, 21, 24, 28, 35, 38]);
      assert.deepEqual(await drawnCells(guest.page, 2, "#end-picture"), [3, 17, 22, 29, 31, 36]);
      assert.equal(await guest.page.locator("#end-picture .c4-cell.winning").count(), 4);
    }
    const mineFirst = endFirst.results!.find((row) => row.playerId === endFirst.player!.id)!;
    const mineSecond = endSecond.results!.find((row) => row.playerId === endSecond.player!.id)!;
    assert.equal(mineFirst.outcome, "win");
    assert.equal(mineSecond.outcome, "loss");
    assert.match((await first.page.textContent("#end-summary")) ?? "", /^You won\. Rating \d+ → \d+ \(\+\d+\)\.$/);
    assert.match((await second.page.textContent("#end-summary")) ?? "", /^You lost\. Rating \d+ → \d+ \(-\d+\)\.$/);
    assert.match((await first.page.textContent("#end-results")) ?? "", /won/);
    assert.match((await first.page.textContent("#end-results")) ?? "", /lost/);
    await first.page.screenshot({ path: path.join(ARTIFACTS, "connect4-win.png") });

    // Back in the lobby the picker shows the new Connect Four standing.
    await first.page.click("#end-back");
    await waitFor(
      first.page,
      (s) => s.screen === "lobby" && /1 W 0 L 0 D/.test(s.rating),
      "the connect4 rating",
      5_000,
    );
    await second.page.click("#end-back");
    await waitFor(
      second.page,
      (s) => s.screen === "lobby" && /0 W 1 L 0 D/.test(s.rating),
      "the connect4 rating",
      5_000,
    );
  });

  it("one guest gets a bot, reloads mid-game onto the same board, and plays it to the end screen", async () => {
    const { page } = await connect4Guest();
    await page.click("#find");
    let match = await activeMatch(page);
    assert.ok(
      match.players.some((p) => p.bot),
      "the other seat is a bot",
    );
    assert.match((await page.textContent("#c4-players")) ?? "", /bot/);

    // Two own moves, then a reload: the page rejoins the same match and shows the same board.
    const preference = [3, 2, 4, 1, 5, 0, 6];
    const nextColumn = (board: number[]): number => preference.find((column) => board[column] === 0)!;
    for (let i = 0; i < 2; i++) {
      const state = await waitFor(page, (s) => s.match?.myTurn === true, "the own turn");
      await playColumn(page, nextColumn(state.match!.board), "key");
    }
    const beforeReload = await waitFor(page, (s) => s.match?.myTurn === true, "the own turn before the reload");
    await page.reload();
    match = await activeMatch(page);
    assert.equal(match.roomId, beforeReload.match!.roomId, "back in the same room");
    assert.deepEqual(match.board, beforeReload.match!.board, "the same board");
    const onScreen = (await drawnCells(page, 1)).length + (await drawnCells(page, 2)).length;
    assert.equal(onScreen, match.board.filter((cell) => cell !== 0).length);
    assert.ok(onScreen >= 4, `${onScreen} pieces drawn`);

    // Plays on (alternating click and key) until the game ends.
    for (let turn = 0; ; turn++) {
      const state = await waitFor(
        page,
        (s) => s.match?.myTurn === true || s.screen === "end",
        "the own turn or the end",
        30_000,
      );
      if (state.screen === "end") break;
      await playColumn(page, nextColumn(state.match!.board), turn % 2 === 0 ? "click" : "key");
    }
    const end = await waitFor(page, (s) => s.screen === "end", "the end screen");
    const final = end.match!;
    assert.notEqual(final.winner, 0, "the game has a result");
    const drawn = (await drawnCells(page, 1)).length + (await drawnCells(page, 2)).length;
    assert.equal(drawn, final.board.filter((cell) => cell !== 0).length, "the board shows every piece");
    const mine = end.results!.find((row) => row.playerId === end.player!.id)!;
    assert.ok(["win", "loss", "draw"].includes(mine.outcome ?? ""), `outcome ${mine.outcome}`);
    assert.match(
      (await page.textContent("#end-summary")) ?? "",
      /^(You won|You lost|A draw)\. Bot matches are unrated\.$/,
    );
    assert.equal(mine.ratingAfter, mine.ratingBefore, "a bot match leaves the rating as it was");
    await page.screenshot({ path: path.join(ARTIFACTS, "connect4-bot-end.png") });
    await page.click("#end-back");
    await waitFor(page, (s) => s.screen === "lobby", "the lobby");
  });
});
