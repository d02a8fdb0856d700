/**
 * Printed once after `npm install` / `npm ci` (postinstall): npm itself may run on another Node than the one this
 * project pins (the machine's Node 20, say), and then warns "EBADENGINE" for every package that wants Node 22. Those
 * warnings are harmless here: every npm script runs on the Node 22 of the `node` package in node_modules/.bin.
 * Plain JavaScript: it runs under whatever Node npm runs on, before anything is compiled.
 */
import { pathToFileURL } from "node:url";

/** The note for npm running on `version` (`v20.20.2`), or undefined when it runs on the pinned Node 22. */
export function engineNote(version) {
  const major = Number(version.replace(/^v/, "").split(".")[0]);
  if (major === 22) return undefined;
  return `note: npm ran on Node ${version}, so it printed EBADENGINE warnings above; they are harmless: npm start, npm test and every other script run on the Node 22 this project pins (the "node" package).`;
}

/** The Node npm itself runs on: its user agent says (`npm/11.19.1 node/v20.20.2 linux x64`); a script's own `node`
 * is the pinned one from node_modules/.bin. */
export function npmNodeVersion(env, fallback) {
  return env.npm_config_user_agent?.match(/\bnode\/(v[\d.]+)/)?.[1] ?? fallback;
}

if (import.meta.url === pathToFileURL(process.argv[1] ?? "").href) {
  const note = engineNote(npmNodeVersion(process.env, process.version));
  if (note !== undefined) console.log(note);
}
