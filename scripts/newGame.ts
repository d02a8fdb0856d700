/**
 * Scaffolds a game on the framework (docs/GAMES.md, "The scaffold"):
 *
 *   npm run new-game -- <id> [--root <dir>]
 *
 * writes src/games/<id>/{index.ts, <Name>Room.ts, <Name>State.ts, protocol.ts, rules.ts} and
 * test/games/<id>/{rules.test.ts, <Name>Room.test.ts} from scripts/game-template/ — a small turn-based game that
 * works as it is, to replace with yours — and registers it with one line in src/games/index.ts. The files are then
 * formatted with the project's Biome settings. An id that is not a game id (GAME_ID), or a game whose folder or id
 * exists already, is refused with exit code 1 and nothing written. `--root` writes into another checkout of the
 * project (the scaffold's own test uses a temporary copy).
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from "node:fs";
import path from "node:path";
import { GAME_ID } from "../src/services/games/GameDefinition.ts";

const REPO_ROOT = path.resolve(import.meta.dirname, "..");
const TEMPLATE_DIR = path.join(import.meta.dirname, "game-template");
const REGISTRY = "src/games/index.ts";
const USAGE = "usage: npm run new-game -- <id> [--root <dir>]";

/** Words that cannot name the definition's `export const`: such an id's constant gets a `Game` suffix. */
const RESERVED = new Set(
  (
    "arguments await break case catch class const continue debugger default delete do else enum eval export extends " +
    "false finally for function if implements import in instanceof interface let new null package private protected " +
    "public return static super switch this throw true try typeof var void while with yield"
  ).split(" "),
);

/** Why the scaffold refuses: printed as one line, exit code 1. */
class Refusal extends Error {}

/** The names a game's files and code use, from its id (`my-game` → `MyGame`, `myGame`, "My game"). */
interface GameNames {
  id: string;
  /** Prefix of its classes and file names. */
  name: string;
  /** The definition's exported constant (the registration line imports it). */
  constant: string;
  title: string;
}

function namesOf(id: string): GameNames {
  const words = id.split(/[-_]/).filter((word) => word !== "");
  const name = words.map((word) => word[0]!.toUpperCase() + word.slice(1)).join("");
  const camel = name[0]!.toLowerCase() + name.slice(1);
  const title = words.join(" ");
  return {
    id,
    name,
    constant: RESERVED.has(camel) ? `${camel}Game` : camel,
    title: title[0]!.toUpperCase() + title.slice(1),
  };
}

/** Template file → path in the project. */
function outputs(names: GameNames): Array<[template: string, target: string]> {
  const game = `src/games/${names.id}`;
  const test = `test/games/${names.id}`;
  return [
    ["index.ts.tmpl", `${game}/index.ts`],
    ["Room.ts.tmpl", `${game}/${names.name}Room.ts`],
    ["State.ts.tmpl", `${game}/${names.name}State.ts`],
    ["protocol.ts.tmpl", `${game}/protocol.ts`],
    ["rules.ts.tmpl", `${game}/rules.ts`],
    ["rules.test.ts.tmpl", `${test}/rules.test.ts`],
    ["Room.test.ts.tmpl", `${test}/${names.name}Room.test.ts`],
  ];
}

function render(template: string, names: GameNames): string {
  return template
    .replaceAll("__ID__", names.id)
    .replaceAll("__NAME__", names.name)
    .replaceAll("__CONST__", names.constant)
    .replaceAll("__TITLE__", names.title);
}

/** src/games/index.ts with the game's import after the last game import and the game last in the registry. */
function register(registry: string, names: GameNames): string {
  const list = /new GameRegistry\(\[([^\]]*)\]\)/.exec(registry);
  const imports = [...registry.matchAll(/^import .* from "\.\/[^"]+\/index\.ts";$/gm)];
  if (list === null || imports.length === 0) {
    throw new Refusal(`${REGISTRY} has no "new GameRegistry([...])" list or no game import to add the game next to`);
  }
  if (new RegExp(`\\b${names.constant}\\b`).test(registry)) {
    throw new Refusal(`${REGISTRY} already uses the name ${names.constant}`);
  }
  const games = list[1]!.trim().replace(/,\s*$/, "");
  const listed = registry.replace(list[0], `new GameRegistry([${games}, ${names.constant}])`);
  const last = imports.at(-1)!;
  const at = last.index + last[0].length;
  const line = `\nimport { ${names.constant} } from "./${names.id}/index.ts";`;
  // The list comes after the imports, so inserting the import does not move it.
  return listed.slice(0, at) + line + listed.slice(at);
}

/** A game whose definition already declares this id, in a folder of another name. */
function definedElsewhere(root: string, id: string): string | undefined {
  const gamesDir = path.join(root, "src/games");
  for (const entry of readdirSync(gamesDir, { withFileTypes: true })) {
    const definition = path.join(gamesDir, entry.name, "index.ts");
    if (!entry.isDirectory() || !existsSync(definition)) continue;
    if (readFileSync(definition, "utf8").includes(`id: "${id}"`)) return `src/games/${entry.name}`;
  }
  return undefined;
}

/** Formats the written files with the project's Biome; false (and a warning) when Biome could not. */
function format(root: string, files: string[]): boolean {
  const biome = path.join(REPO_ROOT, "node_modules/@biomejs/biome/bin/biome");
  const run = spawnSync(process.execPath, [biome, "format", "--write", ...files], { cwd: root, encoding: "utf8" });
  if (run.status === 0) return true;
  process.stderr.write(`new-game: the files are written but Biome could not format them:\n${run.stderr}${run.stdout}`);
  return false;
}

function main(args: string[]): number {
  let root = REPO_ROOT;
  const positional: string[] = [];
  for (let i = 0; i < args.length; i++) {
    if (args[i] === "--root" && args[i + 1] !== undefined) root = path.resolve(args[++i]!);
    else positional.push(args[i]!);
  }
  try {
    const [id, ...rest] = positional;
    if (id === undefined || rest.length > 0) throw new Refusal(USAGE);
    if (!GAME_ID.test(id)) {
      throw new Refusal(
        `"${id}" is not a game id: it must match ${GAME_ID} (a lowercase letter, then 1 to 31 lowercase letters, ` +
          `digits, "-" or "_"); it becomes the room name, the rating key and part of board and pool keys`,
      );
    }
    const names = namesOf(id);
    const files = outputs(names);
    for (const folder of [`src/games/${id}`, `test/games/${id}`]) {
      if (existsSync(path.join(root, folder))) throw new Refusal(`${folder} already exists; choose another id`);
    }
    const elsewhere = definedElsewhere(root, id);
    if (elsewhere !== undefined) throw new Refusal(`${elsewhere} already defines a game with the id "${id}"`);
    const registryPath = path.join(root, REGISTRY);
    const registry = register(readFileSync(registryPath, "utf8"), names);

    for (const [template, target] of files) {
      const to = path.join(root, target);
      mkdirSync(path.dirname(to), { recursive: true });
      writeFileSync(to, render(readFileSync(path.join(TEMPLATE_DIR, template), "utf8"), names), { flag: "wx" });
    }
    writeFileSync(registryPath, registry);
    const written = [...files.map(([, target]) => target), REGISTRY];
    format(root, written);
    process.stdout.write(
      [
        `new-game: ${names.title} (${id}) created:`,
        ...written.map((file) => `  ${file}`),
        "",
        `It is a working placeholder (take turns adding 1 to 3; whoever reaches 21 wins). Replace its rules, state and`,
        `messages with your game's, then: npx tsc --noEmit -p . && npx mocha test/games/${id}/*.test.ts`,
        "docs/GAMES.md walks through each file.",
        "",
      ].join("\n"),
    );
    return 0;
  } catch (error) {
    if (!(error instanceof Refusal)) throw error;
    process.stderr.write(`new-game: ${error.message}\n`);
    return 1;
  }
}

process.exitCode = main(process.argv.slice(2));
