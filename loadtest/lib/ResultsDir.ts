/**
 * Where load tests and benchmarks write their figures. The committed figures in bench/results/ are the ones the docs
 * quote, so a run writes there only when asked (`--update`); every other run goes to bench/local/, which git
 * ignores, so trying a scenario or re-running the bench never leaves the working tree dirty or replaces the
 * documented figures by accident.
 */
import path from "node:path";

/** The committed figures (docs/PERFORMANCE.md, SUMMARY.md): written only with `--update`. */
export const COMMITTED_RESULTS_DIR = path.resolve(import.meta.dirname, "..", "..", "bench", "results");

/** This machine's runs: gitignored. */
export const LOCAL_RESULTS_DIR = path.resolve(import.meta.dirname, "..", "..", "bench", "local");

/** The flag that asks a run to replace the committed figures. */
export const UPDATE_FLAG = "--update";

/** The folder a run writes to: the committed one when `update` was asked for, else the gitignored one. */
export function resultsDir(update: boolean): string {
  return update ? COMMITTED_RESULTS_DIR : LOCAL_RESULTS_DIR;
}

/**
 * For the component benchmarks (`bench:auth`, `bench:chat`, `bench:matchmaking`), which take no other flags: the
 * folder from their command line. Anything but `--update` is refused, so a misspelt flag does not quietly write to
 * the wrong place.
 */
export function resultsDirFromArgv(argv: readonly string[]): string {
  const unknown = argv.filter((arg) => arg !== UPDATE_FLAG);
  if (unknown.length > 0) {
    throw new Error(`unknown argument ${unknown.join(" ")}: the only flag is ${UPDATE_FLAG} (write to bench/results/)`);
  }
  return resultsDir(argv.includes(UPDATE_FLAG));
}
