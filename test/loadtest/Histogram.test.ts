import assert from "node:assert/strict";
import { Histogram } from "../../loadtest/lib/Histogram.ts";

describe("load-test Histogram", () => {
  it("gives percentiles within the bucket error of the exact ones", () => {
    const h = new Histogram();
    for (let i = 1; i <= 1000; i++) h.record(i); // 1..1000 ms
    assert.equal(h.count, 1000);
    assert.equal(h.min, 1);
    assert.equal(h.max, 1000);
    assert.equal(h.mean, 500.5);
    for (const [p, exact] of [
      [50, 500],
      [90, 900],
      [99, 990],
    ] as const) {
      const value = h.percentile(p);
      assert.ok(value >= exact && value <= exact * 1.07, `p${p} = ${value}, exact ${exact}`);
    }
    assert.equal(h.percentile(100), 1000);
  });

  it("clamps to the observed range and ignores invalid values", () => {
    const h = new Histogram();
    h.record(42);
    h.record(Number.NaN);
    h.record(-1);
    assert.equal(h.count, 1);
    assert.equal(h.percentile(1), 42);
    assert.equal(h.percentile(99), 42);
    assert.deepEqual(new Histogram().summary(), { count: 0, mean: null, p50: null, p90: null, p99: null, max: null });
  });

  it("keeps sub-millisecond and multi-second values apart", () => {
    const h = new Histogram();
    for (let i = 0; i < 98; i++) h.record(0.25);
    h.record(3000);
    h.record(3000);
    assert.ok(h.percentile(50) >= 0.25 && h.percentile(50) < 0.27);
    assert.ok(h.percentile(99) >= 3000 * 0.94 && h.percentile(99) <= 3000);
  });

  it("merges and resets", () => {
    const a = new Histogram();
    const b = new Histogram();
    a.record(10);
    b.record(20);
    b.record(30);
    a.merge(b);
    assert.equal(a.count, 3);
    assert.equal(a.max, 30);
    assert.equal(a.min, 10);
    a.reset();
    assert.equal(a.count, 0);
    assert.ok(Number.isNaN(a.percentile(50)));
  });
});
