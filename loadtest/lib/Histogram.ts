/**
 * A fixed-memory latency histogram: log-linear buckets (16 sub-buckets per power of two) from 1 µs to ~1 h, so
 * percentiles carry at most ~6 % relative error whatever the number of samples, and recording is O(1) without
 * allocation. Values are milliseconds.
 */
const SUB_BUCKETS = 16;
const MIN_MS = 0.001;
const OCTAVES = 32;

export class Histogram {
  private readonly counts = new Float64Array(OCTAVES * SUB_BUCKETS + 1);
  count = 0;
  sum = 0;
  min = Number.POSITIVE_INFINITY;
  max = 0;

  /** Records one value (ms). Negative and NaN values are ignored. */
  record(valueMs: number): void {
    if (!(valueMs >= 0)) return;
    this.counts[bucketOf(valueMs)]! += 1;
    this.count += 1;
    this.sum += valueMs;
    if (valueMs < this.min) this.min = valueMs;
    if (valueMs > this.max) this.max = valueMs;
  }

  /** Adds every sample of another histogram. */
  merge(other: Histogram): void {
    for (let i = 0; i < this.counts.length; i++) this.counts[i]! += other.counts[i]!;
    this.count += other.count;
    this.sum += other.sum;
    this.min = Math.min(this.min, other.min);
    this.max = Math.max(this.max, other.max);
  }

  reset(): void {
    this.counts.fill(0);
    this.count = 0;
    this.sum = 0;
    this.min = Number.POSITIVE_INFINITY;
    this.max = 0;
  }

  get mean(): number {
    return this.count === 0 ? Number.NaN : this.sum / this.count;
  }

  /**
   * The value at percentile p (0–100): the upper edge of the bucket holding the nearest-rank sample, clamped to
   * the observed min and max. NaN when empty.
   */
  percentile(p: number): number {
    if (this.count === 0) return Number.NaN;
    const rank = Math.max(1, Math.ceil((p / 100) * this.count));
    let seen = 0;
    for (let i = 0; i < this.counts.length; i++) {
      seen += this.counts[i]!;
      if (seen >= rank) return Math.min(this.max, Math.max(this.min, upperEdge(i)));
    }
    return this.max;
  }

  /** p50/p90/p99/max/mean/count, rounded to 0.01 ms. */
  summary(): HistogramSummary {
    const r = (n: number) => (Number.isFinite(n) ? Math.round(n * 100) / 100 : null);
    return {
      count: this.count,
      mean: r(this.mean),
      p50: r(this.percentile(50)),
      p90: r(this.percentile(90)),
      p99: r(this.percentile(99)),
      max: r(this.count === 0 ? Number.NaN : this.max),
    };
  }
}

export interface HistogramSummary {
  count: number;
  mean: number | null;
  p50: number | null;
  p90: number | null;
  p99: number | null;
  max: number | null;
}

function bucketOf(valueMs: number): number {
  if (valueMs < MIN_MS) return 0;
  const scaled = valueMs / MIN_MS;
  const octave = Math.floor(Math.log2(scaled));
  if (octave >= OCTAVES) return OCTAVES * SUB_BUCKETS;
  const base = 2 ** octave;
  const sub = Math.floor(((scaled - base) / base) * SUB_BUCKETS);
  return 1 + octave * SUB_BUCKETS + Math.min(SUB_BUCKETS - 1, sub);
}

function upperEdge(bucket: number): number {
  if (bucket === 0) return MIN_MS;
  const octave = Math.floor((bucket - 1) / SUB_BUCKETS);
  const sub = (bucket - 1) % SUB_BUCKETS;
  return MIN_MS * 2 ** octave * (1 + (sub + 1) / SUB_BUCKETS);
}
