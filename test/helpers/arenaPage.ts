/**
 * Moving the own player of the arena's browser view (client/src/games/arena) from Playwright: the keys a player
 * would hold, steered by the page's debug state (`window.__arena.match.self`).
 */
import type { Page } from "playwright-core";
import { pageDebug } from "./page.ts";

interface ArenaSelf {
  match: { self: { x: number; y: number } | null } | null;
}

export interface WalkOptions {
  /** How near (in world units) counts as there; default 20. */
  within?: number;
  /** How often the keys are re-chosen, in ms; default 40. */
  stepMs?: number;
  /** Throw when time runs out short of the goal (default); false returns `false` instead. */
  required?: boolean;
}

/**
 * Holds W/A/S/D to move `page`'s own player toward (x, y) until it is within `within` u, releasing every key on
 * the way out. Resolves `true` on arrival; at the deadline throws with the last position, or resolves `false` when
 * `required` is false.
 */
export async function walkTo(
  page: Page,
  x: number,
  y: number,
  timeoutMs: number,
  { within = 20, stepMs = 40, required = true }: WalkOptions = {},
): Promise<boolean> {
  const held = new Set<string>();
  const deadline = Date.now() + timeoutMs;
  let self: { x: number; y: number } | null | undefined;
  try {
    while (Date.now() < deadline) {
      self = (await pageDebug<ArenaSelf>(page)).match?.self;
      if (self === null || self === undefined) throw new Error("no own player");
      if (Math.hypot(self.x - x, self.y - y) < within) return true;
      const want = new Set<string>();
      if (x - self.x > within / 2) want.add("KeyD");
      if (self.x - x > within / 2) want.add("KeyA");
      if (y - self.y > within / 2) want.add("KeyS");
      if (self.y - y > within / 2) want.add("KeyW");
      for (const key of held) if (!want.has(key)) await page.keyboard.up(key);
      for (const key of want) if (!held.has(key)) await page.keyboard.down(key);
      held.clear();
      for (const key of want) held.add(key);
      await page.waitForTimeout(stepMs);
    }
  } finally {
    for (const key of held) await page.keyboard.up(key);
  }
  if (required) throw new Error(`did not reach (${x}, ${y}) in ${timeoutMs} ms: at ${JSON.stringify(self)}`);
  return false;
}
