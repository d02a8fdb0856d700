/**
 * Builds the browser client into dist/client when it is missing or older than its sources (client/, the protocol
 * module with the SDK's wire module (sdk/src) and src/logic/ it imports, vite.config.ts, package-lock.json). `npm start` runs it first (prestart), so
 * `npm install && npm start` serves a current client; `--force` always builds.
 *
 * Vite is a development dependency: on an install without it (`npm ci --omit=dev`) an existing build is served
 * as it is, and without one the server still starts and `/` answers 503.
 */
import { existsSync, readdirSync, statSync } from "node:fs";
import path from "node:path";

const root = path.resolve(import.meta.dirname, "..");
const stamp = path.join(root, "dist/client/index.html");
const sources = [
  "client",
  "src/protocol.ts",
  "sdk/src",
  "src/logic",
  "src/games",
  "vite.config.ts",
  "package-lock.json",
];

function newestMtimeMs(entry: string): number {
  if (!existsSync(entry)) return 0;
  const stat = statSync(entry);
  if (!stat.isDirectory()) return stat.mtimeMs;
  let newest = stat.mtimeMs;
  for (const name of readdirSync(entry)) {
    if (name === "node_modules") continue;
    newest = Math.max(newest, newestMtimeMs(path.join(entry, name)));
  }
  return newest;
}

/** Whether dist/client is missing or older than any of its sources. */
export function clientIsStale(): boolean {
  if (!existsSync(stamp)) return true;
  const built = statSync(stamp).mtimeMs;
  return sources.some((source) => newestMtimeMs(path.join(root, source)) > built);
}

/** Builds the client with Vite (vite.config.ts) if it is stale or `force`; returns whether it built. */
export async function buildClient(force = false): Promise<boolean> {
  if (!force && !clientIsStale()) return false;
  let vite: typeof import("vite");
  try {
    vite = await import("vite");
  } catch {
    const note = existsSync(stamp) ? "serving the existing build" : "`/` will answer 503 until it is built";
    process.stderr.write(`browser client: vite is not installed (a production install?); ${note}\n`);
    return false;
  }
  await vite.build({ configFile: path.join(root, "vite.config.ts"), logLevel: "warn" });
  return true;
}

if (import.meta.main) {
  const started = performance.now();
  buildClient(process.argv.includes("--force")).then(
    (built) => {
      if (built) process.stderr.write(`browser client built in ${Math.round(performance.now() - started)} ms\n`);
    },
    (error: unknown) => {
      process.stderr.write(`browser client build failed: ${String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
