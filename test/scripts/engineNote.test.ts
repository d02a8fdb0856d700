/**
 * The one line `npm install` prints when npm runs on another Node than the pinned 22 (instead of leaving its
 * EBADENGINE warnings unexplained).
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import path from "node:path";
// @ts-expect-error: a plain JavaScript module (it runs before anything is compiled); its one export is typed here.
import { engineNote as untyped } from "../../scripts/engineNote.mjs";

const engineNote = untyped as (version: string) => string | undefined;

describe("npm install's engine note", () => {
  it("explains the EBADENGINE warnings when npm runs on another Node, and says nothing on Node 22", () => {
    assert.match(engineNote("v20.20.2") ?? "", /npm ran on Node v20\.20\.2.*EBADENGINE.*harmless.*Node 22/);
    assert.equal(engineNote("v22.23.3"), undefined);
  });

  it("as the postinstall script, reads npm's own Node from its user agent and prints at most one line", () => {
    const script = path.resolve(import.meta.dirname, "../../scripts/engineNote.mjs");
    const run = (agent: string) =>
      execFileSync(process.execPath, [script], {
        encoding: "utf8",
        env: { PATH: process.env.PATH, npm_config_user_agent: agent },
      })
        .split("\n")
        .filter((line) => line.length > 0);
    assert.deepEqual(run("npm/11.19.1 node/v20.20.2 linux x64 workspaces/false"), [engineNote("v20.20.2")]);
    assert.deepEqual(run("npm/10.9.0 node/v22.23.3 linux x64 workspaces/false"), []);
  });
});
