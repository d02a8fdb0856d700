/**
 * The logger's two outputs: JSON lines (production, pipes) and one readable line per event (development on a
 * terminal), both with secrets redacted.
 */
import assert from "node:assert/strict";
import { Writable } from "node:stream";
import { createLogger, prettyLogs } from "../src/logger.ts";

function capture(): { stream: Writable; lines(): string[] } {
  let text = "";
  const stream = new Writable({
    write(chunk, _encoding, done) {
      text += chunk.toString();
      done();
    },
  });
  return { stream, lines: () => text.split("\n").filter((line) => line.length > 0) };
}

describe("logger", () => {
  it("pretty: one readable line per event with its fields, no colours off a terminal, secrets redacted", () => {
    const out = capture();
    const log = createLogger("info", { region: "eu" }, { pretty: true, colorize: false, destination: out.stream });
    log.info({ playerId: "p1", password: "hunter22" }, "player joined");
    log.child({ component: "matchmaker" }).warn("pool rested");
    const lines = out.lines();
    assert.equal(lines.length, 2, lines.join("\n"));
    assert.match(lines[0]!, /INFO.*player joined/);
    assert.match(lines[0]!, /playerId.*p1/);
    assert.match(lines[0]!, /region.*eu/);
    assert.doesNotMatch(lines[0]!, /hunter22/);
    assert.match(lines[1]!, /WARN.*pool rested.*matchmaker/);
    for (const line of lines) {
      assert.throws(() => JSON.parse(line), "not JSON");
      // biome-ignore lint/suspicious/noControlCharactersInRegex: asserting the absence of ANSI colour codes.
      assert.doesNotMatch(line, /\u001b\[/);
    }
  });

  it("JSON: one parseable object per event, secrets redacted", () => {
    const out = capture();
    const log = createLogger("info", { region: "eu" }, { destination: out.stream });
    log.info({ token: "secret-token" }, "hello");
    const [line] = out.lines();
    const parsed = JSON.parse(line!);
    assert.equal(parsed.msg, "hello");
    assert.equal(parsed.region, "eu");
    assert.equal(parsed.token, "[redacted]");
  });

  it("pretty only in development on a terminal; production and pipes get JSON", () => {
    assert.equal(prettyLogs("development", { isTTY: true }), true);
    assert.equal(prettyLogs("development", { isTTY: false }), false);
    assert.equal(prettyLogs("development", {}), false);
    assert.equal(prettyLogs("production", { isTTY: true }), false);
  });
});
