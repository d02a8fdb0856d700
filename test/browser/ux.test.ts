/**
 * The browser client's fit and finish, in headless Chromium against the real server on PGlite (one server, one
 * browser, pages reused: about 50 s): the favicon, turning a guest into an account from the lobby, a phone-sized
 * layout (menus, leaderboard, end screen), no text selection while firing, and opponents off the view shown as
 * markers on its edge. The last three cases share one duel between a desktop page and a phone page, in order.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync } from "node:fs";
import path from "node:path";
import { type Browser, type BrowserContext, chromium, type Page } from "playwright-core";
import { buildClient } from "../../scripts/buildClient.ts";
import { walkTo } from "../helpers/arenaPage.ts";
import { pageDebug, waitForPage } from "../helpers/page.ts";
import { bootTestServer, type TestServer } from "../helpers/server.ts";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const ARTIFACTS = path.resolve(import.meta.dirname, "../../test-artifacts");
/** An iPhone-sized screen: 390 × 844 CSS pixels at 3 device pixels each, touch, mobile viewport rules. */
const PHONE = { viewport: { width: 390, height: 844 }, deviceScaleFactor: 3, isMobile: true, hasTouch: true };
/** The arena view's margin for edge markers (client/src/games/arena/render.ts EDGE_INSET). */
const EDGE_INSET = 10;

interface Drawn {
  id: string;
  username: string;
  x: number;
  y: number;
}

/** The part of `window.__arena` (client/src/main.ts) these tests read. */
interface ArenaDebug {
  screen: string;
  player: { id: string; username: string; guest: boolean } | null;
  match: {
    sessionId: string;
    phase: string;
    self: { x: number; y: number } | null;
    others: Array<{ id: string; username: string; x: number; y: number }>;
    view: { width: number; height: number };
    labels: Array<Drawn & { clamped: boolean }>;
    indicators: Array<Drawn & { angle: number; labelX: number; labelY: number }>;
  } | null;
  results: unknown[] | null;
  notice: string;
  lobbyChatConnected: boolean;
}

interface Open {
  context: BrowserContext;
  page: Page;
  errors: string[];
}

function arena(page: Page): Promise<ArenaDebug> {
  return pageDebug<ArenaDebug>(page);
}

function waitForArena(page: Page, predicate: (state: ArenaDebug) => boolean, what: string, timeoutMs?: number) {
  return waitForPage<ArenaDebug>(page, predicate, what, timeoutMs);
}

interface Layout {
  innerWidth: number;
  scrollWidth: number;
  /** Visible buttons, inputs and selects under 40 px tall, or reaching past the viewport's sides. */
  small: string[];
  outside: string[];
  /** Visible text under 12 px. */
  tiny: string[];
  buttons: number;
}

/** Measures what a phone user would hit: horizontal overflow, tap targets, text size. */
function layout(page: Page): Promise<Layout> {
  return page.evaluate(`(() => {
    const visible = (el) => { const r = el.getBoundingClientRect(); return r.width > 0 && r.height > 0; };
    const name = (el) => el.id || (el.textContent || "").trim().slice(0, 20) || el.tagName;
    const small = [], outside = [], tiny = [];
    let buttons = 0;
    for (const el of document.querySelectorAll("button, select, input")) {
      if (!visible(el)) continue;
      if (el.tagName === "BUTTON") buttons++;
      const r = el.getBoundingClientRect();
      if (r.height < 40) small.push(name(el) + " " + Math.round(r.height) + "px");
      if (r.left < -0.5 || r.right > innerWidth + 0.5) outside.push(name(el) + " " + Math.round(r.left) + ".." + Math.round(r.right));
    }
    for (const el of document.querySelectorAll("h2, h3, label, p, td, th, li, button, span, strong")) {
      if (!visible(el) || (el.textContent || "").trim() === "") continue;
      const px = parseFloat(getComputedStyle(el).fontSize);
      if (px < 12) tiny.push(name(el) + " " + px + "px");
    }
    return { innerWidth, scrollWidth: document.documentElement.scrollWidth, small, outside, tiny, buttons };
  })()`) as Promise<Layout>;
}

/** Asserts the page fits the phone; `screenshot` saves test-artifacts/phone-<screen>.png (not during play: a
 * full-page capture at 3× stalls the page's frames, and the inputs it then catches up on). */
async function assertFitsPhone(page: Page, screen: string, screenshot = true): Promise<void> {
  const fit = await layout(page);
  if (screenshot) await page.screenshot({ path: path.join(ARTIFACTS, `phone-${screen}.png`), fullPage: true });
  // The viewport meta makes the layout as wide as the screen (without it a phone lays out 980 px and zooms out).
  assert.equal(fit.innerWidth, PHONE.viewport.width, `${screen}: layout viewport`);
  assert.ok(fit.scrollWidth <= fit.innerWidth, `${screen}: ${fit.scrollWidth} px wide in ${fit.innerWidth}`);
  assert.ok(fit.buttons > 0, `${screen}: no visible button`);
  assert.deepEqual(fit.small, [], `${screen}: controls under 40 px tall`);
  assert.deepEqual(fit.outside, [], `${screen}: controls past the screen's sides`);
  assert.deepEqual(fit.tiny, [], `${screen}: text under 12 px`);
}

/** Polls the text of `selector` until it matches `pattern` (the page's CSP forbids eval: no waitForFunction). */
async function waitForText(page: Page, selector: string, pattern: RegExp, timeoutMs = 5_000): Promise<string> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const text = (await page.textContent(selector)) ?? "";
    if (pattern.test(text)) return text;
    if (Date.now() > deadline) throw new Error(`${selector} reads ${JSON.stringify(text)}, not ${pattern}`);
    await page.waitForTimeout(50);
  }
}

/** What is selected in the page (`window.getSelection()`), as text. */
function selection(page: Page): Promise<string> {
  return page.evaluate("window.getSelection().toString()") as Promise<string>;
}

describe("browser client UX (headless Chromium)", function () {
  this.timeout(60_000);
  let server: TestServer;
  let browser: Browser;
  const open: Open[] = [];
  /** The duel's two sides, kept across the cases that share the match. */
  let desk: Open;
  let phone: Open;

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
    await buildClient();
    mkdirSync(ARTIFACTS, { recursive: true });
    server = await bootTestServer({
      database: "pglite",
      redis: false,
      // Two searching guests are matched at once; no bots join. The duel lasts long enough to walk into position.
      env: { BOT_FILL_SEC: "60", MATCH_DURATION_SEC: "18" },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--mute-audio"] });
  });

  after(async () => {
    for (const p of open.splice(0)) await p.context.close();
    await browser?.close();
    await server?.close();
  });

  async function openPage(options: Parameters<Browser["newContext"]>[0]): Promise<Open> {
    const context = await browser.newContext(options);
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    const p = { context, page, errors };
    open.push(p);
    return p;
  }

  async function asGuest(p: Open): Promise<void> {
    await p.page.goto(server.baseUrl);
    await p.page.click("#guest");
    await waitForArena(p.page, (state) => state.screen === "lobby", "the lobby");
  }

  /** The duel's pages in the lobby, whatever the cases before left them at (or when run alone with --grep). */
  async function duelists(): Promise<void> {
    phone ??= await openPage(PHONE);
    desk ??= await openPage({ viewport: { width: 1320, height: 820 } });
    for (const p of [phone, desk])
      if ((await arena(p.page).catch(() => undefined))?.screen !== "lobby") await asGuest(p);
  }

  it("links an SVG favicon that the server serves, and /favicon.ico leads to it", async () => {
    const html = await (await fetch(`${server.baseUrl}/`)).text();
    const href = /<link rel="icon" href="([^"]+)" type="image\/svg\+xml"/.exec(html)?.[1];
    assert.ok(href, "index.html links an SVG icon");
    const icon = await fetch(new URL(href, server.baseUrl));
    assert.equal(icon.status, 200);
    assert.equal(icon.headers.get("content-type"), "image/svg+xml");
    assert.match(await icon.text(), /^<svg /);

    const ico = await fetch(`${server.baseUrl}/favicon.ico`, { redirect: "manual" });
    assert.equal(ico.status, 301);
    assert.equal(ico.headers.get("location"), href);
    const followed = await fetch(`${server.baseUrl}/favicon.ico`);
    assert.equal(followed.status, 200);
    assert.equal(followed.headers.get("content-type"), "image/svg+xml");
  });

  it("a guest creates an account from the lobby (weak and taken refused inline), then logs in with it", async () => {
    const taken = `taken_${Date.now().toString(36)}`;
    const register = await fetch(`${server.baseUrl}/auth/register`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ username: taken, password: "a-long-enough-password-1" }),
    });
    assert.equal(register.status, 201);

    const p = await openPage({ viewport: { width: 1320, height: 820 } });
    await asGuest(p);
    const guest = (await arena(p.page)).player!;
    assert.equal(guest.guest, true);
    assert.ok(await p.page.isVisible("#link-form"), "the lobby offers a guest to create an account");
    assert.match((await p.page.textContent("#link-form")) ?? "", /Save your progress: create an account/);

    // 400: a password the server refuses, shown next to the form; the player is still a guest.
    const name = `linked_${Date.now().toString(36)}`;
    await p.page.fill("#link-username", name);
    await p.page.fill("#link-password", "short");
    await p.page.click("#link-submit");
    await waitForText(p.page, "#link-error", /at least 8 characters/);
    assert.ok(await p.page.isVisible("#link-error"));
    // 409: the name is someone else's.
    await p.page.fill("#link-username", taken);
    await p.page.fill("#link-password", "correct-horse-battery-staple-7");
    await p.page.click("#link-submit");
    await waitForText(p.page, "#link-error", /taken/);
    assert.equal((await arena(p.page)).player!.guest, true);

    await p.page.fill("#link-username", name);
    await p.page.click("#link-submit");
    const linked = await waitForArena(p.page, (state) => state.player?.guest === false, "the linked account");
    assert.equal(linked.player!.id, guest.id, "the guest keeps its id");
    assert.equal(linked.player!.username, name);
    assert.match((await p.page.textContent("#whoami")) ?? "", new RegExp(`^${name} · rating`));
    assert.equal(await p.page.isVisible("#link-form"), false, "no more offer once linked");
    assert.equal(await p.page.textContent("#link-error"), "");

    await p.page.click("#nav-logout");
    await waitForArena(p.page, (state) => state.screen === "login", "the login screen");
    await p.page.fill("#username", name);
    await p.page.fill("#password", "correct-horse-battery-staple-7");
    await p.page.click("#login");
    const again = await waitForArena(p.page, (state) => state.screen === "lobby", "the lobby after logging in");
    assert.equal(again.player!.id, guest.id, "the password logs into the same player");
    assert.equal(again.player!.guest, false);
    assert.equal(await p.page.isVisible("#link-form"), false);
    assert.deepEqual(p.errors, []);
  });

  it("on a phone-sized screen the login, lobby and leaderboard fit the width with tappable buttons", async () => {
    phone ??= await openPage(PHONE);
    const failed: string[] = [];
    phone.page.on("response", (res) => {
      if (res.status() >= 400) failed.push(`${res.status()} ${res.url()}`);
    });
    await phone.page.goto(server.baseUrl);
    await waitForArena(phone.page, (state) => state.screen === "login", "the login screen");
    await assertFitsPhone(phone.page, "login");
    await phone.page.tap("#guest");
    await waitForArena(phone.page, (state) => state.screen === "lobby", "the lobby");
    assert.ok(await phone.page.isVisible("#link-form"));
    await assertFitsPhone(phone.page, "lobby");
    // The phone player saves its progress under the widest name there is (20 characters, mostly W): the end screen
    // and the leaderboard below show it.
    const longName = `${"W".repeat(14)}${Date.now().toString(36).slice(-6).toUpperCase()}`;
    await phone.page.fill("#link-username", longName);
    await phone.page.fill("#link-password", "correct-horse-battery-staple-8");
    await phone.page.tap("#link-submit");
    await waitForArena(phone.page, (state) => state.player?.username === longName, "the phone's account");
    await assertFitsPhone(phone.page, "lobby-account");
    await phone.page.tap("#nav-leaderboard");
    await waitForArena(phone.page, (state) => state.screen === "leaderboard", "the leaderboard");
    await assertFitsPhone(phone.page, "leaderboard");
    await phone.page.tap("#nav-lobby");
    await waitForArena(phone.page, (state) => state.screen === "lobby", "back in the lobby");
    assert.deepEqual(failed, [], "no failed request while loading the page (icon included)");
  });

  it("holding the mouse to fire and dragging over the canvas and the HUD selects no text; the chat input still does", async () => {
    await duelists();
    await Promise.all([desk.page.click("#find"), phone.page.tap("#find")]);
    for (const p of [desk, phone]) {
      await waitForArena(p.page, (state) => state.match?.phase === "active", "the duel's active phase", 15_000);
    }
    const box = (await desk.page.locator("#canvas").boundingBox())!;
    // Aim up and left (toward the map's corner: the opponent spawns in the other one) and fire while dragging over
    // the canvas, out of it across the help text below and the chat beside it. (Chromium starts no selection from a
    // press on a canvas by itself; the client turns the press's default off anyway, for browsers that do.)
    await desk.page.mouse.move(box.x + box.width * 0.4, box.y + box.height * 0.3);
    await desk.page.mouse.down();
    await desk.page.mouse.move(box.x + 10, box.y + box.height + 30, { steps: 8 });
    await desk.page.mouse.move(box.x + box.width + 150, box.y + box.height + 30, { steps: 8 });
    await desk.page.mouse.move(box.x + box.width + 150, box.y + 40, { steps: 8 });
    assert.equal(await selection(desk.page), "", "while the button is held");
    await desk.page.mouse.up();
    assert.equal(await selection(desk.page), "", "after the drag");
    await desk.page.mouse.dblclick(box.x + box.width * 0.4, box.y + box.height * 0.3);
    assert.equal(await selection(desk.page), "", "after a double click on the canvas");

    // Rapid clicks that land just off the canvas, on the help line below it (aiming down), select nothing.
    const help = (await desk.page.locator("#view-arena .help").boundingBox())!;
    await desk.page.mouse.click(help.x + 20, help.y + help.height / 2, { clickCount: 3 });
    assert.equal(await selection(desk.page), "", "after a triple click on the help line");
    // Nor does a press on the HUD's text (aiming up) dragged across the canvas.
    const hud = (await desk.page.locator("#hud-phase").boundingBox())!;
    await desk.page.mouse.move(hud.x + 1, hud.y + hud.height / 2);
    await desk.page.mouse.down();
    await desk.page.mouse.move(box.x + box.width / 2, box.y + box.height / 2, { steps: 8 });
    await desk.page.mouse.up();
    assert.equal(await selection(desk.page), "", "after a drag from the HUD");

    // Text fields are untouched: the match chat's input selects its text.
    await desk.page.fill("#match-chat input", "select these words");
    await desk.page.dblclick("#match-chat input");
    const selected = (await desk.page.evaluate(
      "(() => { const i = document.querySelector('#match-chat input'); return i.selectionEnd - i.selectionStart; })()",
    )) as number;
    assert.ok(selected > 0, "a double click selects a word of the chat input");
    await desk.page.fill("#match-chat input", "");
    await desk.page.focus("#canvas");
  });

  it("an opponent in the state but off the view is an arrow on the view's edge pointing at it, with its name", async () => {
    // Duel spawns are opposite corners (120, 120) and (2280, 1680), either way round. Walk along open lanes to
    // (1000, 400) and (1400, 1100): 806 u apart, inside the server's 900 u view radius, but 700 u apart vertically where the view
    // shows 500 u either way at its zoom.
    await Promise.all(
      [desk, phone].map(async (p) => {
        const self = (await arena(p.page)).match!.self!;
        // About 3 s and 2 s of walking; more time for a loaded machine.
        if (self.x < 1200) {
          await walkTo(p.page, 1000, 120, 10_000);
          await walkTo(p.page, 1000, 400, 6_000);
        } else {
          await walkTo(p.page, 1400, 1680, 10_000);
          await walkTo(p.page, 1400, 1100, 8_000);
        }
      }),
    );
    // Standing still, the interpolated pictures settle.
    await desk.page.waitForTimeout(300);
    for (const [p, other] of [
      [desk, phone],
      [phone, desk],
    ] as const) {
      const otherSession = (await arena(other.page)).match!.sessionId;
      const state = await waitForArena(
        p.page,
        (s) => s.match?.indicators?.some((i) => i.id === otherSession) === true,
        "an edge marker for the opponent",
        5_000,
      );
      const m = state.match!;
      const opponent = m.others.find((o) => o.id === otherSession)!;
      assert.ok(opponent, "the opponent is in the state");
      const self = m.self!;
      const { width, height } = m.view;
      const marker = m.indicators.find((i) => i.id === otherSession)!;
      // Off the view: the opponent's centre, on the canvas, is outside it (the camera is centred on the own player).
      const screenY = height / 2 + (opponent.y - self.y) * 0.6;
      assert.ok(screenY < 0 || screenY > height, `the opponent is drawn off the view (y ${screenY})`);
      // Inside the canvas, on its edge.
      assert.ok(marker.x >= 0 && marker.x <= width && marker.y >= 0 && marker.y <= height, JSON.stringify(marker));
      const fromEdge = Math.min(marker.x, width - marker.x, marker.y, height - marker.y);
      assert.ok(fromEdge <= EDGE_INSET + 0.5, `${fromEdge} px from the edge`);
      // Pointing at the opponent: the same direction from the centre as the opponent from the own player.
      const toward = Math.atan2(opponent.y - self.y, opponent.x - self.x);
      const fromCentre = Math.atan2(marker.y - height / 2, marker.x - width / 2);
      assert.ok(Math.abs(toward - fromCentre) < 0.02, `marker at ${fromCentre} rad, opponent at ${toward} rad`);
      assert.ok(Math.abs(marker.angle - toward) < 0.02);
      assert.equal(marker.username, opponent.username);
      assert.ok(marker.labelX > 0 && marker.labelX < width && marker.labelY > 0 && marker.labelY < height);
      // Its name is not drawn (cut off) where the opponent is; every drawn name is inside the view.
      assert.ok(!m.labels.some((label) => label.id === otherSession));
      for (const label of m.labels) {
        assert.ok(label.x > 0 && label.x < width && label.y > 0 && label.y <= height, JSON.stringify(label));
      }
    }
    // Seen from the top-left player, the other is below and to the right: its marker is on the bottom edge, right of
    // the centre.
    const views = [(await arena(desk.page)).match!, (await arena(phone.page)).match!];
    const upper = views.find((view) => view.self!.y < 900)!;
    const marker = upper.indicators[0]!;
    assert.ok(marker.y > upper.view.height / 2 && marker.x > upper.view.width / 2, JSON.stringify(marker));
    await desk.page.locator("#canvas").screenshot({ path: path.join(ARTIFACTS, "edge-marker.png") });
    // On the phone the game view fits the screen too: the canvas scaled down to its width.
    const canvasWidth = (await phone.page.evaluate(
      "document.querySelector('#canvas').getBoundingClientRect().width",
    )) as number;
    assert.ok(canvasWidth > 300 && canvasWidth <= PHONE.viewport.width, `canvas ${canvasWidth} px wide`);
    await assertFitsPhone(phone.page, "match", false);
  });

  it("on a phone-sized screen the end screen and the filled leaderboard fit the width", async () => {
    await waitForArena(phone.page, (state) => state.screen === "end", "the end screen", 30_000);
    assert.ok(((await arena(phone.page)).results ?? []).length === 2);
    await assertFitsPhone(phone.page, "end");
    await phone.page.tap("#nav-leaderboard");
    await waitForArena(phone.page, (state) => state.screen === "leaderboard", "the leaderboard");
    await phone.page.waitForSelector("#board-entries tbody tr");
    await assertFitsPhone(phone.page, "leaderboard-filled");
    assert.deepEqual([...desk.errors, ...phone.errors], []);
  });
});

describe("browser client when the server ends its login (headless Chromium)", function () {
  this.timeout(60_000);
  let server: TestServer;
  let browser: Browser;
  let context: BrowserContext | undefined;

  before(async () => {
    if (!existsSync(CHROMIUM)) throw new Error(`no Chromium at ${CHROMIUM} (apt-get install chromium)`);
    await buildClient();
    // Access tokens of 3 s: the page's SDK renews its login every 1.5 s, so a refused renewal comes at once.
    // No bots: a lone searcher keeps searching.
    server = await bootTestServer({
      database: "pglite",
      redis: false,
      env: { ACCESS_TOKEN_TTL_SEC: "3", BOT_FILL_SEC: "60" },
    });
    browser = await chromium.launch({ executablePath: CHROMIUM, args: ["--no-sandbox", "--mute-audio"] });
  });

  after(async () => {
    await context?.close();
    await browser?.close();
    await server?.close();
  });

  it("its login revoked, the searching page goes back to the login screen, leaves the chat, and says why", async () => {
    context = await browser.newContext({ viewport: { width: 1320, height: 820 } });
    const page = await context.newPage();
    const errors: string[] = [];
    page.on("pageerror", (error) => errors.push(error.message));
    await page.goto(server.baseUrl);
    await page.click("#guest");
    await waitForArena(page, (state) => state.screen === "lobby" && state.lobbyChatConnected, "the lobby and its chat");
    // A few renewals go by while signed in.
    await page.waitForTimeout(4_000);
    assert.equal((await arena(page)).screen, "lobby");
    await page.click("#find");
    await waitForArena(page, (state) => state.screen === "search", "the search screen");

    // Someone else presents the page's refresh token (a copy of it, as from another device): the server's reuse
    // detection revokes the login, whichever of the two presented it first.
    const stored = (await page.evaluate("localStorage.getItem('arena.refreshToken')")) as string | null;
    assert.ok(stored, "the page keeps its refresh token in localStorage");
    await fetch(`${server.baseUrl}/auth/refresh`, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify({ refreshToken: stored }),
    });
    // The page's next renewal is refused: it shows the login screen, not a search whose every call would fail.
    const out = await waitForArena(page, (state) => state.screen === "login", "the login screen");
    assert.equal(out.player, null);
    assert.equal(out.lobbyChatConnected, false, "the lobby chat is left");
    assert.match(out.notice, /you were signed out/);
    assert.equal(await page.textContent("#whoami"), "");
    assert.equal(await page.isVisible("#nav-logout"), false);
    assert.deepEqual(errors, []);
  });
});
