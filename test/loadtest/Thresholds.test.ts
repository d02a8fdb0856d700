import assert from "node:assert/strict";
import { parseMetrics } from "../../loadtest/lib/Servers.ts";
import { allPassed, describe as describeResult, evaluate, parseThreshold } from "../../loadtest/lib/Thresholds.ts";

describe("load-test thresholds", () => {
  it("parses metric=value for --max and --min", () => {
    assert.deepEqual(parseThreshold("latency.p99=45", "<="), { metric: "latency.p99", op: "<=", limit: 45 });
    assert.deepEqual(parseThreshold(" playersPerCore=3000.5 ", ">="), {
      metric: "playersPerCore",
      op: ">=",
      limit: 3000.5,
    });
    assert.throws(() => parseThreshold("latency.p99<45", "<="), /metric=number/);
    assert.throws(() => parseThreshold("=45", "<="), /metric=number/);
  });

  it("passes, fails and skips unmeasured figures", () => {
    const results = evaluate(
      [
        { metric: "latency.p99", op: "<=", limit: 45 },
        { metric: "playersPerCore", op: ">=", limit: 3000 },
        { metric: "eventLoop.p99", op: "<=", limit: 10 },
        { metric: "errors", op: "<=", limit: 0 },
      ],
      { "latency.p99": 38, playersPerCore: 1200, "eventLoop.p99": undefined, errors: 0 },
    );
    assert.deepEqual(
      results.map((r) => r.passed),
      [true, false, undefined, true],
    );
    assert.equal(results[0]!.ratio, 38 / 45);
    assert.equal(results[1]!.ratio, 0.4);
    assert.equal(results[3]!.ratio, undefined);
    assert.equal(allPassed(results), false);
    assert.equal(allPassed([results[0]!, results[2]!, results[3]!]), true);
    assert.equal(describeResult(results[1]!), "playersPerCore 1200 ≥ 3000 MISSED (0.40× the limit)");
    assert.equal(describeResult(results[2]!), "eventLoop.p99 n/a ≤ 10 (not measured)");
  });
});

describe("load-test /metrics reader", () => {
  it("reads prom-client's default metrics and takes the sampling interval off the event-loop p99", () => {
    const text = [
      "# HELP process_cpu_seconds_total Total user and system CPU time spent in seconds.",
      "# TYPE process_cpu_seconds_total counter",
      "process_cpu_seconds_total 12.5",
      "process_resident_memory_bytes 104857600",
      "nodejs_eventloop_lag_min_seconds 0.009241",
      "nodejs_eventloop_lag_p99_seconds 0.0215",
      'nodejs_heap_size_used_bytes{space="a"} 1000',
      'nodejs_heap_size_used_bytes{space="b"} 24',
      "arena_rooms 3",
    ].join("\n");
    const metrics = parseMetrics(text);
    assert.equal(metrics.cpuSec, 12.5);
    assert.equal(metrics.rssBytes, 104857600);
    assert.equal(metrics.heapUsedBytes, 1024);
    assert.ok(Math.abs(metrics.eventLoopLagP99RawMs! - 21.5) < 1e-9);
    assert.ok(Math.abs(metrics.eventLoopLagP99Ms! - 12.5) < 1e-9);
    assert.deepEqual(parseMetrics("no metrics here"), {
      cpuSec: undefined,
      rssBytes: undefined,
      eventLoopLagP99Ms: undefined,
      eventLoopLagP99RawMs: undefined,
      heapUsedBytes: undefined,
    });
  });
});
