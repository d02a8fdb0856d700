/**
 * Pass/fail thresholds of a load test, given as flags: `--max latency.p99=45 --max errors=0 --min ccu=2000`.
 * A run's figures are a flat record of named numbers; a threshold whose figure is missing (say the server has no
 * /metrics) is reported as "n/a" and does not fail the run.
 */
export interface Threshold {
  metric: string;
  op: "<=" | ">=";
  limit: number;
}

export interface ThresholdResult extends Threshold {
  value: number | undefined;
  /** undefined when the figure was not measured. */
  passed: boolean | undefined;
  /** value ÷ limit: how far from the target (≤ 1 is within a max, ≥ 1 within a min). */
  ratio: number | undefined;
}

/** Parses `metric=value` of a `--max` (≤) or `--min` (≥) flag. */
export function parseThreshold(spec: string, op: Threshold["op"]): Threshold {
  const match = /^([A-Za-z][\w.-]*)=(-?\d+(?:\.\d+)?)$/.exec(spec.trim());
  if (match === null) throw new Error(`threshold "${spec}" must read metric=number, e.g. latency.p99=45`);
  return { metric: match[1]!, op, limit: Number(match[2]) };
}

export function evaluate(
  thresholds: readonly Threshold[],
  figures: Readonly<Record<string, number | undefined>>,
): ThresholdResult[] {
  return thresholds.map((t) => {
    const value = figures[t.metric];
    if (value === undefined || !Number.isFinite(value)) {
      return { ...t, value: undefined, passed: undefined, ratio: undefined };
    }
    const passed = t.op === "<=" ? value <= t.limit : value >= t.limit;
    return { ...t, value, passed, ratio: t.limit === 0 ? undefined : value / t.limit };
  });
}

/** True when no measured threshold failed. */
export function allPassed(results: readonly ThresholdResult[]): boolean {
  return results.every((r) => r.passed !== false);
}

/** "latency.p99 38.2 ≤ 45 ok (0.85×)" */
export function describe(result: ThresholdResult): string {
  const op = result.op === "<=" ? "≤" : "≥";
  if (result.value === undefined) return `${result.metric} n/a ${op} ${result.limit} (not measured)`;
  const ratio = result.ratio === undefined ? "" : ` (${result.ratio.toFixed(2)}× the limit)`;
  return `${result.metric} ${round(result.value)} ${op} ${result.limit} ${result.passed ? "ok" : "MISSED"}${ratio}`;
}

function round(n: number): number {
  return Math.abs(n) >= 100 ? Math.round(n) : Math.round(n * 100) / 100;
}
