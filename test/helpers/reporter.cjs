// Mocha's spec reporter plus the plain closing line "N passed, N failed, N skipped" that CI tooling reads, and the
// slowest test files (wall time from a file's first suite to its last), to keep the CI budget in view.
const Mocha = require("mocha");
const path = require("node:path");

const { EVENT_RUN_END, EVENT_SUITE_BEGIN, EVENT_SUITE_END } = Mocha.Runner.constants;

class SpecWithSummary extends Mocha.reporters.Spec {
  constructor(runner, options) {
    super(runner, options);
    /** file → [first start, last end] in ms */
    const files = new Map();
    runner.on(EVENT_SUITE_BEGIN, (suite) => {
      if (suite.file === undefined) return;
      const span = files.get(suite.file);
      if (span === undefined) files.set(suite.file, [Date.now(), Date.now()]);
    });
    runner.on(EVENT_SUITE_END, (suite) => {
      const span = suite.file === undefined ? undefined : files.get(suite.file);
      if (span !== undefined) span[1] = Date.now();
    });
    runner.once(EVENT_RUN_END, () => {
      const { passes, failures, pending } = runner.stats;
      const slowest = [...files.entries()]
        .map(([file, [start, end]]) => [path.relative(process.cwd(), file), end - start])
        .sort((a, b) => b[1] - a[1])
        .slice(0, 12);
      if (slowest.length > 1) {
        process.stdout.write("\nslowest files:\n");
        for (const [file, ms] of slowest) process.stdout.write(`  ${(ms / 1000).toFixed(1).padStart(6)} s  ${file}\n`);
      }
      process.stdout.write(`\n${passes} passed, ${failures} failed, ${pending} skipped\n`);
    });
  }
}

module.exports = SpecWithSummary;
