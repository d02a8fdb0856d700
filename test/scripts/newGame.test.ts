/**
 * The game scaffold (`npm run new-game -- <id>`, scripts/newGame.ts), run into a temporary copy of the project
 * (`--root`), never into the repository: it refuses bad ids and existing games without writing anything, and the game
 * it writes type-checks, passes Biome, is registered by one line, and its own tests pass — the room test plays a
 * match through matchmaking on the framework.
 */
import assert from "node:assert/strict";
import { type SpawnSyncReturns, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";

const REPO = path.resolve(import.meta.dirname, "../..");
/** What the copy needs: the framework and the SDK's wire module it imports, the test helpers, and the configuration of tsc, Biome and the server. */
const COPIED = [
  "src",
  "sdk/src",
  "sdk/package.json",
  "test/helpers",
  "arena.config.ts",
  "package.json",
  "tsconfig.json",
  "biome.json",
  ".gitignore",
];

/** Deadlines for the child processes are generous: on a loaded 2-core machine tsc over the framework takes minutes. */
function run(command: string, args: string[], cwd: string, timeoutMs = 150_000): SpawnSyncReturns<string> {
  return spawnSync(command, args, { cwd, encoding: "utf8", timeout: timeoutMs, env: process.env });
}

/** How a child process ended, with its output, for an assertion message. */
function outcome(result: SpawnSyncReturns<string>): string {
  const how =
    result.error !== undefined
      ? `failed: ${result.error.message}`
      : result.signal !== null
        ? `killed by ${result.signal}`
        : `exit ${result.status}`;
  return `${how}\n${result.stdout}${result.stderr}`;
}

/** `npm run new-game -- <args> --root <root>`, as npm runs it. */
function newGame(root: string, ...args: string[]): SpawnSyncReturns<string> {
  return run(process.execPath, ["--import", "tsx", "scripts/newGame.ts", ...args, "--root", root], REPO);
}

describe("npm run new-game", function () {
  this.timeout(600_000);
  let root: string;
  let registry: () => string;

  before(() => {
    root = mkdtempSync(path.join(tmpdir(), "new-game-"));
    for (const entry of COPIED) cpSync(path.join(REPO, entry), path.join(root, entry), { recursive: true });
    symlinkSync(path.join(REPO, "node_modules"), path.join(root, "node_modules"), "dir");
    registry = () => readFileSync(path.join(root, "src/games/index.ts"), "utf8");
  });
  after(() => rmSync(root, { recursive: true, force: true }));

  it("refuses an id that is not a game id, with exit code 1 and nothing written", () => {
    const before = registry();
    for (const id of ["x", "Dice", "9lives", "my game", "a:b", "dots.game", "a".repeat(33)]) {
      const result = newGame(root, id);
      assert.equal(result.status, 1, `${id}: ${outcome(result)}`);
      assert.match(result.stderr, /is not a game id: it must match/, id);
      assert.equal(existsSync(path.join(root, "src/games", id)), false, id);
    }
    const usage = newGame(root);
    assert.equal(usage.status, 1);
    assert.match(usage.stderr, /usage: npm run new-game -- <id>/);
    assert.equal(registry(), before, "the registry is untouched");
  });

  it("refuses a game that exists, by folder or by id, with exit code 1 and nothing written", () => {
    const before = registry();
    const existing = newGame(root, "connect4");
    assert.equal(existing.status, 1);
    assert.match(existing.stderr, /src\/games\/connect4 already exists/);
    // A definition in a folder of another name that already uses the id.
    mkdirSync(path.join(root, "src/games/elsewhere"));
    writeFileSync(path.join(root, "src/games/elsewhere/index.ts"), 'export const ghost = { id: "ghost" };\n');
    const taken = newGame(root, "ghost");
    rmSync(path.join(root, "src/games/elsewhere"), { recursive: true });
    assert.equal(taken.status, 1);
    assert.match(taken.stderr, /src\/games\/elsewhere already defines a game with the id "ghost"/);
    assert.equal(existsSync(path.join(root, "src/games/ghost")), false);
    assert.equal(registry(), before, "the registry is untouched");
  });

  it("writes a registered game that type-checks, passes Biome, and plays a match", () => {
    const created = newGame(root, "my-game");
    assert.equal(created.status, 0, outcome(created));
    const files = [
      "src/games/my-game/index.ts",
      "src/games/my-game/MyGameRoom.ts",
      "src/games/my-game/MyGameState.ts",
      "src/games/my-game/protocol.ts",
      "src/games/my-game/rules.ts",
      "test/games/my-game/rules.test.ts",
      "test/games/my-game/MyGameRoom.test.ts",
    ];
    for (const file of files) assert.ok(existsSync(path.join(root, file)), file);
    assert.match(registry(), /^import \{ myGame \} from "\.\/my-game\/index\.ts";$/m);
    assert.match(registry(), /new GameRegistry\(\[arena, connect4, myGame\]\)/);

    const again = newGame(root, "my-game");
    assert.equal(again.status, 1, "a second run refuses: the folder exists");

    // The generated files with everything they import, under the project's compiler options.
    writeFileSync(
      path.join(root, "tsconfig.scaffold.json"),
      JSON.stringify({ extends: "./tsconfig.json", include: [], files: ["src/games/index.ts", ...files] }),
    );
    const tsc = run(process.execPath, ["node_modules/typescript/bin/tsc", "-p", "tsconfig.scaffold.json"], root);
    assert.equal(tsc.status, 0, `tsc: ${outcome(tsc)}`);
    const biome = run(
      process.execPath,
      ["node_modules/@biomejs/biome/bin/biome", "check", "src/games", "test/games/my-game"],
      root,
    );
    assert.equal(biome.status, 0, `biome: ${outcome(biome)}`);

    // Its own tests: the pure rules, and a match played through matchmaking on the framework (PGlite, no Redis).
    const mocha = run(
      process.execPath,
      [
        "node_modules/mocha/bin/mocha.js",
        "--no-config",
        "--node-option",
        "conditions=arena-source",
        "--node-option",
        "import=tsx",
        "--extension",
        "ts",
        "--timeout",
        "60000",
        "--exit",
        "test/games/my-game/rules.test.ts",
        "test/games/my-game/MyGameRoom.test.ts",
      ],
      root,
      240_000,
    );
    assert.equal(mocha.status, 0, `mocha: ${outcome(mocha)}`);
    assert.match(mocha.stdout, /6 passing/);
  });
});
