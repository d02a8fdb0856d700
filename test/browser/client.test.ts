/**
 * The browser client end to end, in headless Chromium (Debian `chromium` driven by playwright-core) against the
 * real server on PGlite: guests log in, are matched, see each other move, chat, play a bot match to its end screen
 * (rejoining after a reload on the way), predict their own movement under 150 ms of simulated latency, come back
 * after a dropped socket (SDK reconnection) and after a 4010 close (POST /sessions/:id/rejoin), and step at the
 * server's tick rate when TICK_RATE_HZ is not the default. Screenshots go to test-artifacts/ (gitignored).
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, mkdtempSync, rmSync, statSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { type Client, matchMaker } from "@colyseus/core";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import type { WebSocket } from "ws";
import { buildClient } from "../../scripts/buildClient.ts";
import { CloseCode } from "../../src/protocol.ts";
import { listening, type Running, start, stop } from "../helpers/childServer.ts";
import { walkTo } from "../helpers/arenaPage.ts";
import { pageDebug, waitForPage } from "../helpers/page.ts";
import { freePort } from "../helpers/ports.ts";
import { ADMIN_PASSWORD, bootTestServer, type TestServer } from "../helpers/server.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = path.resolve(import.meta.dirname, "../../test-artifacts");

/** The part of `window.__arena` (client/src/main.ts) these tests read. */
interface ArenaDebug {
  screen: string;
  player: { id: string; username: string } | null;
  search: { waitedMs: number; ratingWindow: number; queued: number } | null;
  match: {
    roomId: string;
    sessionId: string;
    tickRateHz: number;
    connection: "ok" | "reconnecting";
    phase: string;
    timeLeftMs: number;
    frame: number;
    self: { x: number; y: number; serverX: number; serverY: number; hp: number; alive: boolean } | null;
    lastSentSeq: number;
    lastAck: number;
    others: Array<{ id: string; username: string; bot: boolean; x: number; y: number }>;
  } | null;
  matchChat: Array<{ username: string; text: string }>;
  lobbyChatConnected: boolean;
  results: Array<{
    playerId: string;
    username: string;
    placement: number;
    ratingBefore: number | null;
    ratingAfter: number | null;
  }> | null;
  notice: string;
}

interface Player {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

function arena(page: Page): Promise<ArenaDebug> {
  return pageDebug<ArenaDebug>(page);
}

async function waitForScreen(page: Page, screen: string, timeoutMs = 15_000): Promise<void> {
  await waitForArena(page, (state) => state.screen === screen, `screen ${screen}`, timeoutMs);
}

function waitForArena(
  page: Page,
  predicate: (state: ArenaDebug) => boolean,
  what: string,
  timeoutMs?: number,
): Promise<ArenaDebug> {
  return waitForPage(page, predicate, what, timeoutMs);
}

/** A fresh browser profile on the client page, logged in as a new guest, in the lobby. */
async function openGuest(browser: Browser, baseUrl: string, open: Player[]): Promise<Player> {
  const context = await browser.newContext({ viewport: { width: 1320, height: 820 } });
  const page = await context.newPage();
  const errors: string[] = [];
  page.on("pageerror", (error) => errors.push(error.message));
  const player = { context, page, errors };
  open.push(player);
  await page.goto(baseUrl);
  await page.click("#guest");
  await waitForScreen(page, "lobby");
  return player;
}

/** Searches alone and waits until the bot match (after BOT_FILL_SEC) shows the own player. */
async function startBotMatch(page: Page): Promise<NonNullable<ArenaDebug["match"]>> {
  await page.click("#find");
  await waitForScreen(page, "match", 20_000);
  return (await waitForArena(page, (state) => state.match?.self != null, "the own player")).match!;
}

/**
 * Where the own player stands once the match is under way: a run's direction is chosen from here, not from where
 * the player stood when the page first showed it (the spawn can change before the start, e.g. when the bots arrive).
 */
async function activeSelf(page: Page): Promise<NonNullable<NonNullable<ArenaDebug["match"]>["self"]>> {
  const state = await waitForArena(
    page,
    (state) => state.match?.phase === "active" && state.match.self?.alive === true,
    "the match under way",
    20_000,
  );
  return state.match!.self!;
}

/** The server side of a page's arena connection (the test server runs in this process). */
function serverClient(roomId: string, sessionId: string): Client {
  const room = matchMaker.getLocalRoomById(roomId);
  assert.ok(room, `room ${roomId} runs in this process`);
  const client = room.clients.find((c) => c.sessionId === sessionId);
  assert.ok(client, `session ${sessionId} is connected to room ${roomId}`);
  return client;
}

/** The SDK reconnects on its own only once a room has been joined this long (`room.reconnection.minUptime`). */
const SDK_MIN_UPTIME_MS = 5_000;

/** Walks for a moment and asserts the server moves the own player and acknowledges newer inputs. */
async function assertKeepsPlaying(page: Page, what: string): Promise<void> {
  const before = (await arena(page)).match!;
  const key = before.self!.serverX < 1200 ? "KeyD" : "KeyA";
  await page.keyboard.down(key);
  try {
    await waitForArena(
      page,
      (state) =>
        state.match !== null &&
        state.match.lastAck > before.lastAck + 5 &&
        Math.abs(state.match.self!.serverX - before.self!.serverX) > 30,
      `${what}: the server to move the own player from x ${before.self!.serverX} (ack ${before.lastAck})`,
      4_000,
    );
  } finally {
    await page.keyboard.up(key);
  }
}

interface FrameSample {
  t: number;
  /** Where the own player is drawn. */
  x: number;
  /** The client's prediction of it (the drawn position less the correction still fading out). */
  predictedX: number;
  serverX: number;
  ack: number;
  seq: number;
}

interface Run {
  samples: FrameSample[];
  /** The first sample after the key went down, and the page's time of that key event. */
  keyFrame: number;
  keyAt: number;
  /** The page's time of the key release, and the last input the client had sent by then. */
  upAt: number;
  upSeq: number;
}

/** Polls a boolean expression in the page until it holds (the page's CSP forbids eval: no function predicates). */
async function waitInPage(page: Page, expression: string, what: string, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  const framesBefore = (await page.evaluate("window.__arena.match.frame")) as number;
  while (!(await page.evaluate(expression))) {
    if (Date.now() > deadline) {
      const match = (await page.evaluate("window.__arena.match")) as { frame: number };
      throw new Error(
        `timed out waiting for ${what} (${match.frame - framesBefore} frames in ${timeoutMs} ms); the match shows ${JSON.stringify(match)}`,
      );
    }
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}

/**
 * Samples the own player on every frame in the page while a move key is held for `holdSteps` of the client's
 * inputs, then released until the server has acknowledged `coastSteps` inputs sent after the release. The run is
 * counted in the client's own steps and the server's acks, not in wall time: on a slow machine it takes longer,
 * but it is the same run.
 */
async function sampleRun(page: Page, key: string, holdSteps: number, coastSteps: number): Promise<Run> {
  await page.evaluate(`(() => {
    const samples = [];
    const run = {};
    window.__samples = samples;
    window.__run = run;
    window.addEventListener("keydown", () => {
      if (run.keyAt !== undefined) return;
      run.keyFrame = samples.length;
      run.keyAt = performance.now();
      run.keySeq = window.__arena.match.lastSentSeq;
    });
    window.addEventListener("keyup", () => {
      if (run.upAt !== undefined) return;
      run.upAt = performance.now();
      run.upSeq = window.__arena.match.lastSentSeq;
    });
    const sample = (t) => {
      const m = window.__arena.match;
      samples.push({ t, x: m.self.x, predictedX: m.self.predictedX, serverX: m.self.serverX, ack: m.lastAck, seq: m.lastSentSeq });
      if (!run.done && samples.length < 5000) requestAnimationFrame(sample);
    };
    requestAnimationFrame(sample);
  })()`);
  await waitInPage(page, "window.__samples.length >= 2", "frames sampled before the key press", 5_000);
  await page.keyboard.down(key);
  try {
    await waitInPage(
      page,
      `window.__arena.match.lastSentSeq >= window.__run.keySeq + ${holdSteps}`,
      `${holdSteps} inputs with ${key} held`,
      10_000,
    );
  } finally {
    await page.keyboard.up(key);
  }
  await waitInPage(
    page,
    `window.__arena.match.lastAck >= window.__run.upSeq + ${coastSteps}`,
    `the server to acknowledge ${coastSteps} inputs after the release`,
    10_000,
  );
  const run = (await page.evaluate(`(() => {
    window.__run.done = true;
    const { keyFrame, keyAt, upAt, upSeq } = window.__run;
    return { samples: window.__samples, keyFrame, keyAt, upAt, upSeq };
  })()`)) as Run;
  // Every frame of the run, to read when an assertion on it fails.
  mkdirSync(ARTIFACTS, { recursive: true });
  writeFileSync(path.join(ARTIFACTS, `run-${key}-${holdSteps}-steps.json`), JSON.stringify(run));
  return run;
}

/**
 * The median distance between where the client predicted its player for an input and where the server put it for
 * that input, over the inputs from `fromSeq` on that the server acknowledged (its position arrives ~RTT later, so
 * compare by seq, not by time). A frame records the prediction for the last input it sent: inputs sent earlier in
 * a frame that sent several (a slow page catching up) have none on record and are left out.
 */
function medianPredictionError(samples: FrameSample[], fromSeq: number): number {
  const serverAt = new Map<number, number>();
  for (const s of samples) if (s.ack >= fromSeq && !serverAt.has(s.ack)) serverAt.set(s.ack, s.serverX);
  const errors: number[] = [];
  for (const [seq, serverX] of serverAt) {
    const predicted = samples.findLast((other) => other.seq === seq);
    if (predicted !== undefined) errors.push(Math.abs(predicted.predictedX - serverX));
  }
  errors.sort((x, y) => x - y);
  assert.ok(errors.length >= 8, `only ${errors.length} acknowledged inputs from ${fromSeq} on have a prediction`);
  return errors[Math.floor(errors.length / 2)]!;
}

/** The most time one frame of the client steps inputs for (ArenaView's MAX_FRAME_MS). */
const MAX_FRAME_MS = 250;

/**
 * Inputs per second of the page's clock over `samples`: the new seqs between consecutive frames over the time
 * between them. A stall longer than the client catches up for (MAX_FRAME_MS: a starved or hidden page) is left
 * out, inputs and time alike.
 */
function inputsPerSecond(samples: FrameSample[]): number {
  let inputs = 0;
  let ms = 0;
  for (let i = 1; i < samples.length; i++) {
    const dt = samples[i]!.t - samples[i - 1]!.t;
    if (dt > MAX_FRAME_MS) continue;
    inputs += samples[i]!.seq - samples[i - 1]!.seq;
    ms += dt;
  }
  assert.ok(ms > 500, `only ${Math.round(ms)} ms of frames without a stall`);
  return (inputs * 1000) / ms;
}

describe("browser client (headless Chromium)", function () {
  this.timeout(90_000);
  let server: TestServer;
  let browser: Browser;
  const open: Player[] = [];

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
    await buildClient();
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await bootTestServer({
      database: "pglite",
      redis: false,
      env: { BOT_FILL_SEC: "3", MATCH_DURATION_SEC: "10", RECONNECT_WINDOW_SEC: "20" },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--mute-audio"] });
  });

  after(async () => {
    await browser?.close();
    await server?.close();
  });

  afterEach(async () => {
    for (const player of open.splice(0)) await player.context.close();
  });

  const guest = (): Promise<Player> => openGuest(browser, server.baseUrl, open);

  it("serves the client at / with its assets", async () => {
    const res = await fetch(`${server.baseUrl}/`);
    assert.equal(res.status, 200);
    const html = await res.text();
    const script = /src="(\/assets\/[^"]+\.js)"/.exec(html)?.[1];
    assert.ok(script, "index.html references a built script");
    const asset = await fetch(`${server.baseUrl}${script}`);
    assert.equal(asset.status, 200);
    assert.match(asset.headers.get("content-type") ?? "", /javascript/);
    assert.equal((await fetch(`${server.baseUrl}/no-such-page`)).status, 404);
  });

  it("two guests are matched in a duel, see each other move and chat", async () => {
    const [a, b] = [await guest(), await guest()];
    await Promise.all([a.page.click("#find"), b.page.click("#find")]);
    await Promise.all([waitForScreen(a.page, "match"), waitForScreen(b.page, "match")]);
    await Promise.all([a, b].map((p) => waitForArena(p.page, (state) => state.match?.self != null, "the own player")));
    const [stateA, stateB] = [await arena(a.page), await arena(b.page)];
    assert.equal(stateA.match!.roomId, stateB.match!.roomId);

    // Duel spawns are opposite corners, out of each other's 900 u view: both walk along obstacle-free lanes
    // towards the middle until they see each other.
    await Promise.all(
      [a, b].map(async (p) => {
        const self = (await arena(p.page)).match!.self!;
        const lane = self.x < 1200 ? 850 : 1550;
        await walkTo(p.page, lane, self.y, 6_000, { within: 25, stepMs: 50, required: false });
        await walkTo(p.page, lane, self.y < 900 ? 800 : 1000, 6_000, { within: 25, stepMs: 50, required: false });
      }),
    );
    await Promise.all(
      [a, b].map((p) =>
        waitForArena(p.page, (state) => state.match?.others.length === 1, "the opponent in view", 5_000),
      ),
    );

    // Each sees the other move: while one walks, the other's view of it follows its own (predicted) position.
    for (const [mover, watcher] of [
      [a, b],
      [b, a],
    ] as const) {
      const before = (await arena(watcher.page)).match!.others[0]!;
      const start = (await arena(mover.page)).match!.self!;
      await walkTo(mover.page, start.x, start.y < 900 ? start.y + 150 : start.y - 150, 3_000, {
        within: 10,
        stepMs: 50,
        required: false,
      });
      // Once the mover stands still, the watcher's picture of it (interpolated 100 ms behind) settles on it.
      await mover.page.waitForTimeout(300);
      const moverNow = (await arena(mover.page)).match!.self!;
      const seen = await waitForArena(
        watcher.page,
        (state) => {
          const other = state.match?.others[0];
          return other !== undefined && Math.hypot(other.x - moverNow.x, other.y - moverNow.y) < 3;
        },
        `the watcher to draw the mover at (${moverNow.x}, ${moverNow.y})`,
        3_000,
      );
      const after = seen.match!.others[0]!;
      assert.ok(Math.abs(after.y - before.y) > 100, `the watcher saw ${before.y} → ${after.y}`);
    }

    await a.page.fill("#match-chat input", "hello from the browser");
    await a.page.press("#match-chat input", "Enter");
    await waitForArena(
      b.page,
      (state) => state.matchChat.some((line) => line.text === "hello from the browser"),
      "the chat line",
      5_000,
    );
    assert.match((await b.page.textContent("#match-chat .chat-log")) ?? "", /hello from the browser/);

    // The canvas shows the own player at its centre (the camera follows it), a disc in the own-player colour.
    const ownPixels = (await a.page.evaluate(`(() => {
      const canvas = document.querySelector("#canvas");
      const data = canvas.getContext("2d").getImageData(canvas.width / 2 - 20, canvas.height / 2 - 20, 40, 40).data;
      let count = 0;
      for (let i = 0; i < data.length; i += 4) if (data[i] === 0x8b && data[i + 1] === 0xe9 && data[i + 2] === 0xfd) count++;
      return count;
    })()`)) as number;
    assert.ok(ownPixels > 250, `${ownPixels} own-colour pixels around the canvas centre`);
    const shot = path.join(ARTIFACTS, "duel.png");
    await a.page.screenshot({ path: shot });
    assert.ok(statSync(shot).size > 10_000);
    assert.deepEqual([...a.errors, ...b.errors], []);
  });

  it("a lone player gets a bot match, rejoins it after a reload and plays it to the end screen", async () => {
    const p = await guest();
    await p.page.click("#find");
    await waitForScreen(p.page, "search");
    await waitForArena(p.page, (state) => state.search !== null, "a search status", 5_000);
    const status = (await arena(p.page)).search!;
    assert.ok(status.ratingWindow > 0);
    assert.match((await p.page.textContent("#search-status")) ?? "", /rating window ±\d+/);
    await waitForScreen(p.page, "match");
    await waitForArena(p.page, (state) => state.match?.phase === "active", "the active phase", 10_000);
    const roomId = (await arena(p.page)).match!.roomId;

    await p.page.reload();
    await waitForScreen(p.page, "match");
    await waitForArena(p.page, (state) => state.match?.self != null, "the own player");
    const rejoined = await arena(p.page);
    assert.equal(rejoined.match!.roomId, roomId);
    assert.ok(rejoined.match!.others.some((other) => other.bot) || rejoined.match!.timeLeftMs > 0);
    assert.match((await p.page.textContent("#hud-time")) ?? "", /\d:\d\d left/);

    await waitForScreen(p.page, "end", 20_000);
    const end = await arena(p.page);
    const me = end.results!.find((row) => row.playerId === end.player!.id);
    assert.ok(me, "the results list the player");
    assert.ok(end.results!.length >= 2);
    // Bot matches are unrated: the player's rating is unchanged, bots have none.
    assert.equal(me.ratingAfter, me.ratingBefore);
    assert.ok(end.results!.some((row) => row.playerId !== me.playerId && row.ratingBefore === null));
    assert.match((await p.page.textContent("#end-summary")) ?? "", /You placed #\d/);
    assert.equal(await p.page.locator("#end-results tbody tr").count(), end.results!.length);
    await p.page.screenshot({ path: path.join(ARTIFACTS, "bot-match-end.png") });

    // After the result, the client sends no more inputs (even with a key held), and going to the leaderboards
    // while the server closes the match (MatchEnded, after its linger) keeps the player there.
    const sentAtEnd = end.match!.lastSentSeq;
    await p.page.keyboard.down("KeyD");
    await p.page.click("#nav-leaderboard");
    const deadline = Date.now() + 10_000;
    while (matchMaker.getLocalRoomById(roomId) !== undefined && Date.now() < deadline) {
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    await p.page.keyboard.up("KeyD");
    assert.equal(matchMaker.getLocalRoomById(roomId), undefined, "the match closed");
    const after = await arena(p.page);
    assert.equal(after.screen, "leaderboard", `still on the leaderboards (notice: ${after.notice})`);
    assert.doesNotMatch(after.notice, /4102/);
    assert.equal(after.match!.lastSentSeq, sentAtEnd, "no input sent after matchEnd");
    assert.deepEqual(p.errors, []);
  });

  it("with 150 ms of latency the own player moves on the first frame and never snaps back in a straight run", async () => {
    server.colyseus.server.simulateLatency(150);
    try {
      const p = await guest();
      await startBotMatch(p.page);
      const start = await activeSelf(p.page);
      const key = start.x < 1200 ? "KeyD" : "KeyA";
      const dir = start.x < 1200 ? 1 : -1;

      // Sample every frame in the page: 27 inputs with the key held (0.9 s at 30 Hz), then a coast of 20 more.
      const { samples, keyFrame, keyAt } = await sampleRun(p.page, key, 27, 20);
      const before = samples[keyFrame - 1]!;
      const first = samples[keyFrame]!;
      // The first frame after the key press already shows the move, long before the server acknowledges it.
      assert.ok((first.x - before.x) * dir > 1, `first frame moved ${first.x - before.x} u`);
      assert.ok(first.ack < first.seq, `ack ${first.ack} < seq ${first.seq} on the first frame`);
      const movingSeq = first.seq;
      const acked = samples.find((s) => s.ack >= movingSeq);
      assert.ok(acked, "the server acknowledged the first moving input");
      assert.ok(acked.t - keyAt > 120, `the ack came ${Math.round(acked.t - keyAt)} ms after the key press`);

      // No snap-back: the rendered position never moves backwards during the run and its coast, although the
      // prediction was reconciled against many acks meanwhile.
      const run = samples.slice(keyFrame);
      for (let i = 1; i < run.length; i++) {
        const dx = (run[i]!.x - run[i - 1]!.x) * dir;
        assert.ok(dx > -0.5, `frame ${i}: moved ${dx} u backwards`);
      }
      assert.ok(run[run.length - 1]!.ack - first.ack > 20, "acks kept arriving during the run");
      const last = run[run.length - 1]!;
      assert.ok((last.x - first.x) * dir > 200, `ran ${last.x - first.x} u`);
      // The prediction for each acknowledged input is where the server put the player for it: the client ran the
      // server's own movement step.
      const median = medianPredictionError(run, movingSeq);
      assert.ok(median < 0.5, `median prediction error ${median} u`);
      assert.deepEqual(p.errors, []);
    } finally {
      server.colyseus.server.simulateLatency(0);
    }
  });

  it("comes back to the same room and seat after its socket drops without a close handshake", async () => {
    const p = await guest();
    const joined = await startBotMatch(p.page);
    const joinedAt = Date.now();
    // Everything the HUD's connection line shows (the SDK is back within a few hundred ms: too short to poll for).
    await p.page.evaluate(`(() => {
      const net = document.querySelector("#hud-net");
      window.__net = [net.textContent];
      new MutationObserver(() => {
        if (net.textContent !== window.__net.at(-1)) window.__net.push(net.textContent);
      }).observe(net, { childList: true, characterData: true, subtree: true });
    })()`);
    await p.page.waitForTimeout(SDK_MIN_UPTIME_MS + 300 - (Date.now() - joinedAt));

    // A lost network: the server cuts the socket, no close frame either way.
    (serverClient(joined.roomId, joined.sessionId).ref as unknown as WebSocket).terminate();
    const shown = async () => (await p.page.evaluate("window.__net")) as string[];
    const deadline = Date.now() + 10_000;
    while (!((await shown()).some((text) => /reconnecting/.test(text)) && (await shown()).at(-1) === "")) {
      if (Date.now() > deadline) throw new Error(`no reconnection; the HUD showed ${JSON.stringify(await shown())}`);
      await p.page.waitForTimeout(50);
    }
    const back = await arena(p.page);
    assert.equal(back.screen, "match");
    assert.equal(back.match!.connection, "ok");
    assert.equal(back.match!.roomId, joined.roomId);
    assert.equal(back.match!.sessionId, joined.sessionId, "the SDK reconnected the same seat");
    assert.equal(serverClient(joined.roomId, joined.sessionId).sessionId, joined.sessionId);
    await assertKeepsPlaying(p.page, "after the reconnection");
    assert.deepEqual(p.errors, []);
  });

  it("a socket lost in the match's first seconds (before the SDK would reconnect) rejoins through /sessions/:id/rejoin", async () => {
    const p = await guest();
    const rejoins = rejoinAnswers(p.page);
    const joined = await startBotMatch(p.page);
    // Within the SDK's minimum uptime: it will not reconnect by itself and reports the close as 1006.
    (serverClient(joined.roomId, joined.sessionId).ref as unknown as WebSocket).terminate();
    const back = await waitForArena(
      p.page,
      (state) => hasNewSeat(state, joined.sessionId),
      "a new seat in the match after the early drop",
      15_000,
    );
    assert.equal(back.screen, "match");
    assert.equal(back.match!.roomId, joined.roomId, "the same match");
    assert.deepEqual(rejoins, [200]);
    await assertKeepsPlaying(p.page, "after the early rejoin");
    assert.deepEqual(p.errors, []);
  });

  it("after a 4010 close rejoins the same match with a fresh seat through POST /sessions/:id/rejoin", async () => {
    const p = await guest();
    const rejoins = rejoinAnswers(p.page);
    const joined = await startBotMatch(p.page);
    // Past the SDK's minimum uptime, so its own reconnection could take the close; 4010 (the match moved to another
    // process) must lead to a new seat instead.
    await p.page.waitForTimeout(SDK_MIN_UPTIME_MS + 300);
    const playerId = (await arena(p.page)).player!.id;
    assert.deepEqual(rejoins, []);

    serverClient(joined.roomId, joined.sessionId).leave(CloseCode.MayTryReconnect, "the match moved; rejoin it");
    const back = await waitForArena(
      p.page,
      (state) => hasNewSeat(state, joined.sessionId),
      "a new seat in the match",
      10_000,
    );
    assert.equal(back.screen, "match");
    assert.equal(back.match!.roomId, joined.roomId, "the same match");
    assert.deepEqual(rejoins, [200]);
    const room = matchMaker.getLocalRoomById(joined.roomId)!;
    const seat = (room.state as { players: Map<string, { playerId: string }> }).players.get(back.match!.sessionId);
    assert.equal(seat?.playerId, playerId, "the new connection holds the player's seat");
    await assertKeepsPlaying(p.page, "after the rejoin");
    assert.deepEqual(p.errors, []);
  });
});

/** Statuses of the page's POST /sessions/:id/rejoin answers, as they arrive. */
function rejoinAnswers(page: Page): number[] {
  const statuses: number[] = [];
  page.on("response", (res) => {
    if (res.request().method() === "POST" && /^\/sessions\/[^/]+\/rejoin$/.test(new URL(res.url()).pathname))
      statuses.push(res.status());
  });
  return statuses;
}

/** The page plays the match again on a seat other than `oldSessionId`. */
function hasNewSeat(state: ArenaDebug, oldSessionId: string): boolean {
  return state.match !== null && state.match.sessionId !== oldSessionId && state.match.self != null;
}

describe("browser client at a non-default TICK_RATE_HZ", function () {
  this.timeout(60_000);
  let server: TestServer;
  let browser: Browser;
  const open: Player[] = [];

  before(async () => {
    await buildClient();
    server = await bootTestServer({
      database: "pglite",
      redis: false,
      env: { TICK_RATE_HZ: "20", BOT_FILL_SEC: "1", MATCH_DURATION_SEC: "20" },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--mute-audio"] });
  });

  after(async () => {
    for (const player of open.splice(0)) await player.context.close();
    await browser?.close();
    await server?.close();
  });

  it("steps inputs and prediction at the server's 20 Hz, and its predictions match the server's acks", async () => {
    const p = await openGuest(browser, server.baseUrl, open);
    await startBotMatch(p.page);
    await waitForArena(p.page, (state) => state.match?.tickRateHz === 20, "the server's tick rate", 5_000);
    const start = await activeSelf(p.page);
    const key = start.x < 1200 ? "KeyD" : "KeyA";
    const dir = start.x < 1200 ? 1 : -1;

    // 30 inputs with the key held (1.5 s at 20 Hz), then a coast of 6.
    const { samples, keyFrame, keyAt, upAt } = await sampleRun(p.page, key, 30, 6);
    // Inputs go out at the server's rate while the key is held (one per step; the server refuses a sustained
    // stream faster than 1.25 × its rate), after the first one, which goes out at once on the key press.
    const perSec = inputsPerSecond(samples.filter((s) => s.t >= keyAt + 200 && s.t <= upAt));
    assert.ok(perSec > 17 && perSec < 23, `${perSec.toFixed(1)} inputs per second`);
    const run = samples.slice(keyFrame);
    assert.ok((run[run.length - 1]!.x - run[0]!.x) * dir > 200, "the player ran");
    // Predicted with the server's dt: where the client put its player for an input is where the server did.
    const median = medianPredictionError(run, run[0]!.seq);
    assert.ok(median < 0.5, `median prediction error ${median} u`);
    assert.deepEqual(p.errors, []);
  });
});

describe("browser client across a server restart (the real entry point, as `npm run dev` restarts it)", function () {
  this.timeout(120_000);
  let browser: Browser;
  let server: Running | undefined;
  let dataDir: string;
  let env: Record<string, string>;
  const open: Player[] = [];

  before(async () => {
    await buildClient();
    dataDir = mkdtempSync(path.join(os.tmpdir(), "arena-restart-"));
    env = {
      PORT: String(await freePort()),
      DATA_DIR: dataDir,
      JWT_SECRET: "test-jwt-secret-that-is-at-least-32-bytes-long",
      ADMIN_PASSWORD,
      LOG_LEVEL: "info",
      BOT_FILL_SEC: "1",
      MATCH_DURATION_SEC: "90",
      SNAPSHOT_INTERVAL_MS: "300",
    };
    server = start(env);
    await listening(server);
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--mute-audio"] });
  });

  after(async () => {
    for (const player of open.splice(0)) await player.context.close();
    await browser?.close();
    if (server !== undefined) await stop(server);
    rmSync(dataDir, { recursive: true, force: true });
  });

  it("gets back into its match and its lobby chat after the server stops for a few seconds and starts again", async () => {
    const p = await openGuest(browser, `http://127.0.0.1:${env.PORT}`, open);
    await waitForArena(p.page, (state) => state.lobbyChatConnected, "the lobby chat");
    const rejoins = rejoinAnswers(p.page);
    const joined = await startBotMatch(p.page);
    await waitForArena(p.page, (state) => state.match?.phase === "active", "the active phase", 10_000);

    assert.equal(await stop(server!), 0);
    server = undefined;
    await waitForArena(p.page, (state) => !state.lobbyChatConnected, "the lobby chat to notice", 5_000);
    // Down for a few seconds: every request of the page meets a refused connection meanwhile.
    await p.page.waitForTimeout(4_000);
    server = start(env);
    await listening(server);

    const back = await waitForArena(
      p.page,
      (state) => hasNewSeat(state, joined.sessionId),
      "a new seat in the match after the restart",
      45_000,
    );
    assert.equal(back.screen, "match");
    assert.equal(back.match!.roomId, joined.roomId, "the same match");
    assert.equal(rejoins.at(-1), 200);
    await waitForArena(p.page, (state) => state.lobbyChatConnected, "the lobby chat to reconnect", 15_000);
    await assertKeepsPlaying(p.page, "after the restart");
    assert.deepEqual(p.errors, []);
  });
});
