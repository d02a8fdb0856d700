/** The real entry point (`src/index.ts`) as a child process, configured only through its environment. */
import assert from "node:assert/strict";
import { type ChildProcess, spawn } from "node:child_process";
import path from "node:path";

import { testPort } from "./ports.ts";

const ROOT = path.resolve(import.meta.dirname, "../..");

/** A port for a child server: free from the OS, or TEST_PROCESS_PORT + `offset` when that is set. */
export function processPort(offset = 0): Promise<number> {
  return testPort("TEST_PROCESS_PORT", offset);
}

export interface Running {
  child: ChildProcess;
  logs: Array<Record<string, unknown>>;
  exited: Promise<{ code: number | null; stderr: string }>;
}

/** Environment of the child: the test runner's PATH and nothing of ours, plus `env`. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH, HOME: process.env.HOME, ...env };
}

export function start(env: Record<string, string>): Running {
  const child = spawn(process.execPath, ["--import", "tsx", "src/index.ts"], { cwd: ROOT, env: childEnv(env) });
  // A test run that ends early (a timeout, mocha --exit) must not leave a server holding a port and burning CPU.
  const reap = () => child.kill("SIGKILL");
  process.once("exit", reap);
  child.once("exit", () => process.removeListener("exit", reap));
  const logs: Array<Record<string, unknown>> = [];
  let stderr = "";
  let buffered = "";
  child.stdout!.on("data", (chunk: Buffer) => {
    buffered += chunk.toString();
    const lines = buffered.split("\n");
    buffered = lines.pop() ?? "";
    for (const line of lines) {
      try {
        logs.push(JSON.parse(line));
      } catch {
        logs.push({ msg: line });
      }
    }
  });
  child.stderr!.on("data", (chunk: Buffer) => {
    stderr += chunk.toString();
  });
  const exited = new Promise<{ code: number | null; stderr: string }>((resolve) =>
    child.on("exit", (code) => resolve({ code, stderr })),
  );
  return { child, logs, exited };
}

export async function listening(running: Running, withinMs = 30_000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    const line = running.logs.find((log) => typeof log.msg === "string" && log.msg.startsWith("listening on"));
    if (line !== undefined) return line;
    if (running.child.exitCode !== null)
      assert.fail(`exited with ${running.child.exitCode}: ${(await running.exited).stderr}`);
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`not listening within ${withinMs} ms`);
}

export async function stop(running: Running): Promise<number | null> {
  running.child.kill("SIGTERM");
  return (await running.exited).code;
}
