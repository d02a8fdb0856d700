/**
 * The load-test driver's choices made before anything starts: whole matches only (a player count that would leave
 * someone searching for ever is rounded down with a notice, or refused below one match), and where figures go (the
 * gitignored bench/local/ unless --update asks for the committed bench/results/).
 */
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import path from "node:path";
import { RUNS } from "../../loadtest/bench.ts";
import { parseOptions, UsageError } from "../../loadtest/loadtest.ts";
import {
  COMMITTED_RESULTS_DIR,
  LOCAL_RESULTS_DIR,
  resultsDir,
  resultsDirFromArgv,
} from "../../loadtest/lib/ResultsDir.ts";
import { floodSearches } from "../../loadtest/scenarios.ts";

const root = path.resolve(import.meta.dirname, "..", "..");

describe("load-test options", () => {
  describe("whole matches", () => {
    it("rounds a matchmade count down to whole matches and names the nearest valid counts", () => {
      for (const scenario of ["steady", "churn", "reconnect-storm"]) {
        const { options, notice } = parseOptions([scenario, "--players", "50", "--mode", "ffa"]);
        assert.equal(options.players, 48, scenario);
        assert.equal(
          notice,
          "note: --players 50 does not fill whole 4-player ffa matches: running 48 (the nearest whole counts are 48 and 52)",
        );
      }
      const duel = parseOptions(["steady", "--players", "51", "--mode", "duel"]);
      assert.equal(duel.options.players, 50);
      assert.match(duel.notice ?? "", /2-player duel matches: running 50 \(the nearest whole counts are 50 and 52\)/);
    });

    it("counts whole matches on each process when the processes share no Redis", () => {
      const apart = parseOptions(["steady", "--players", "50", "--processes", "2", "--redis", "none"]);
      assert.equal(apart.options.players, 48);
      assert.equal(
        apart.notice,
        "note: --players 50 does not fill whole 4-player ffa matches on each of 2 processes (no shared Redis): " +
          "running 48 (the nearest whole counts are 48 and 56)",
      );
      const shared = parseOptions(["steady", "--players", "52", "--processes", "2"]);
      assert.equal(shared.options.players, 52, "one queue over Redis: whole matches overall are enough");
      assert.equal(shared.notice, undefined);
    });

    it("says nothing when the count already fills whole matches", () => {
      const { options, notice } = parseOptions(["steady", "--players", "48", "--mode", "squad"]);
      assert.equal(options.players, 48);
      assert.equal(notice, undefined);
      assert.equal(parseOptions(["bots", "--players", "7"]).notice, undefined, "bots form no matches");
      assert.equal(parseOptions(["bots", "--players", "7"]).options.players, 7);
    });

    it("refuses a count below one match, naming the smallest valid one", () => {
      assert.throws(
        () => parseOptions(["steady", "--players", "3", "--mode", "ffa"]),
        (error: unknown) =>
          error instanceof UsageError &&
          error.message === "--players 3 is fewer than one of the 4-player ffa matches: use 4 or a multiple of 4",
      );
      assert.throws(() => parseOptions(["rooms", "--room-size", "100", "--players", "50"]), /use 100 or a multiple/);
      assert.throws(() => parseOptions(["ramp", "--ramp-step", "1", "--mode", "duel"]), /--ramp-step 1 is fewer/);
    });

    it("applies the room size in rooms, the step in ramp and the searches in matchmaking-flood", () => {
      const rooms = parseOptions(["rooms", "--room-size", "8", "--players", "500"]);
      assert.equal(rooms.options.players, 496);
      assert.match(rooms.notice ?? "", /--players 500 does not fill whole 8-player rooms: running 496/);
      const ramp = parseOptions(["ramp", "--ramp-step", "250", "--mode", "ffa"]);
      assert.equal(ramp.options.rampStep, 248);
      assert.match(ramp.notice ?? "", /--ramp-step 250 does not fill whole 4-player ffa matches: running 248/);
      const flood = parseOptions(["matchmaking-flood", "--tickets-per-sec", "30", "--duration", "5"]);
      assert.equal(floodSearches(flood.options), 148);
      assert.match(flood.notice ?? "", /--tickets-per-sec 30 × --duration 5 = 150 does not fill .*running 148/);
    });

    it("prints the notice as the run's first line, and refuses below one match at once", function () {
      this.timeout(30_000);
      const cli = (args: string[]) =>
        spawnSync(process.execPath, ["--import", "tsx", "loadtest/loadtest.ts", ...args], {
          cwd: root,
          encoding: "utf8",
          timeout: 25_000,
        });
      // An https:// target is refused as the scenario starts: the run ends at once, after its first lines.
      const rounded = cli(["steady", "--players", "50", "--url", "https://127.0.0.1:9", "--quiet"]);
      assert.equal(
        rounded.stdout.split("\n")[0],
        "note: --players 50 does not fill whole 4-player ffa matches: running 48 (the nearest whole counts are 48 and 52)",
      );
      assert.match(rounded.stderr, /http:\/\/ only/);
      const below = cli(["steady", "--players", "3", "--mode", "ffa"]);
      assert.equal(below.status, 2, below.stderr);
      assert.equal(below.stdout, "");
      assert.equal(
        below.stderr.split("\n")[0],
        "--players 3 is fewer than one of the 4-player ffa matches: use 4 or a multiple of 4",
      );
    });

    it("runs every planned bench run on whole matches", () => {
      for (const [name, argv] of RUNS) assert.equal(parseOptions(argv).notice, undefined, name);
    });
  });

  describe("results folder", () => {
    it("writes to the gitignored bench/local/ unless --update asks for the committed bench/results/", () => {
      assert.equal(LOCAL_RESULTS_DIR, path.join(root, "bench", "local"));
      assert.equal(COMMITTED_RESULTS_DIR, path.join(root, "bench", "results"));
      assert.equal(parseOptions(["steady"]).out, path.join(root, "bench", "local", "steady.json"));
      assert.equal(parseOptions(["steady", "--update"]).out, path.join(root, "bench", "results", "steady.json"));
      assert.equal(parseOptions(["steady", "--update", "--out", "/tmp/x.json"]).out, "/tmp/x.json");
      assert.equal(resultsDir(false), LOCAL_RESULTS_DIR);
      assert.equal(resultsDirFromArgv([]), LOCAL_RESULTS_DIR);
      assert.equal(resultsDirFromArgv(["--update"]), COMMITTED_RESULTS_DIR);
      assert.throws(() => resultsDirFromArgv(["--updat"]), /unknown argument --updat: the only flag is --update/);
    });

    it("is ignored by git, and the committed one is not", () => {
      const ignored = (file: string) => spawnSync("git", ["check-ignore", "-q", file], { cwd: root }).status === 0;
      assert.equal(ignored("bench/local/steady.json"), true);
      assert.equal(ignored("bench/local/SUMMARY.md"), true);
      assert.equal(ignored("bench/results/steady.json"), false);
    });
  });
});
