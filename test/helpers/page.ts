/**
 * Reading the browser client's debug state (`window.__arena`, client/src/main.ts) from Playwright, for the browser
 * tests of every game.
 */
import type { Page } from "playwright-core";

/** The page's `window.__arena`, as the test's own view of it. */
export async function pageDebug<T>(page: Page): Promise<T> {
  return (await page.evaluate("window.__arena")) as T;
}

/** Polls `window.__arena` until `predicate` holds (the page's CSP forbids eval, so no function predicates). */
export async function waitForPage<T>(
  page: Page,
  predicate: (state: T) => boolean,
  what: string,
  timeoutMs = 15_000,
): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  let state = await pageDebug<T>(page);
  while (!predicate(state)) {
    if (Date.now() > deadline)
      throw new Error(`timed out waiting for ${what}; the page shows ${JSON.stringify(state)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
    state = await pageDebug<T>(page);
  }
  return state;
}
