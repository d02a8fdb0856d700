/** Waits before retry `attempt` (0-based): 0.5 s doubling to at most 5 s, with ±20 % jitter. */
export function backoffMs(attempt: number): number {
  return Math.min(5_000, 500 * 2 ** attempt) * (0.8 + Math.random() * 0.4);
}
