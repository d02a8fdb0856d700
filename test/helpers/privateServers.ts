/**
 * Private database servers for fault tests: a `redis-server` and a PostgreSQL cluster (`initdb` into a temporary
 * directory) that the test starts, stops and restarts on a port of its own. Outages are made by stopping these —
 * never the machine's shared PostgreSQL or Redis.
 */
import { type ChildProcess, execFileSync, spawn } from "node:child_process";
import { chmodSync, existsSync, mkdtempSync, readdirSync, rmSync } from "node:fs";
import net from "node:net";
import { tmpdir } from "node:os";
import path from "node:path";
import { freePort } from "./ports.ts";

async function waitFor(check: () => boolean | Promise<boolean>, what: string, withinMs = 20_000): Promise<void> {
  const deadline = Date.now() + withinMs;
  while (Date.now() < deadline) {
    try {
      if (await check()) return;
    } catch {
      // not up yet
    }
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  throw new Error(`${what} did not come up within ${withinMs} ms`);
}

function answers(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

/** A `redis-server` of the test's own (no persistence). `stop()` makes an outage; `start()` ends it, empty. */
export class PrivateRedis {
  private child: ChildProcess | undefined;
  private constructor(readonly port: number) {}

  static async start(): Promise<PrivateRedis> {
    const redis = new PrivateRedis(await freePort());
    await redis.start();
    return redis;
  }

  get url(): string {
    return `redis://127.0.0.1:${this.port}/0`;
  }

  async start(): Promise<void> {
    if (this.child !== undefined) return;
    const child = spawn(
      "redis-server",
      ["--port", String(this.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"],
      { stdio: "ignore" },
    );
    this.child = child;
    const reap = () => child.kill("SIGKILL");
    process.once("exit", reap);
    child.once("exit", () => process.removeListener("exit", reap));
    await waitFor(() => answers(this.port), `redis-server on ${this.port}`);
  }

  /** Kills the server at once (SIGKILL): connections drop, as in a crash or a network cut. */
  async stop(): Promise<void> {
    const child = this.child;
    if (child === undefined) return;
    this.child = undefined;
    const exited = new Promise((resolve) => child.once("exit", resolve));
    child.kill("SIGKILL");
    await exited;
  }
}

function pgBin(name: string): string {
  const root = "/usr/lib/postgresql";
  const version = readdirSync(root).sort().at(-1);
  if (version === undefined) throw new Error("PostgreSQL server binaries not found under /usr/lib/postgresql");
  return path.join(root, version, "bin", name);
}

/** Runs a PostgreSQL binary; as root, as the `postgres` user (initdb and postgres refuse to run as root). */
function asPostgres(binary: string, args: string[]): { command: string; args: string[] } {
  if (process.getuid?.() === 0) return { command: "runuser", args: ["-u", "postgres", "--", binary, ...args] };
  return { command: binary, args };
}

/**
 * A PostgreSQL cluster of the test's own: `initdb` into a temporary directory, trust auth on 127.0.0.1, its own
 * port. `stop()` makes an outage (immediate shutdown: connections drop), `start()` ends it with the data intact.
 */
export class PrivatePostgres {
  private constructor(
    readonly port: number,
    readonly dataDir: string,
  ) {}

  static async start(): Promise<PrivatePostgres> {
    const dir = mkdtempSync(path.join(tmpdir(), "arena-pg-"));
    chmodSync(dir, 0o777);
    const dataDir = path.join(dir, "data");
    const init = asPostgres(pgBin("initdb"), ["-D", dataDir, "-U", "postgres", "--auth=trust", "-E", "UTF8"]);
    execFileSync(init.command, init.args, { stdio: "ignore" });
    const pg = new PrivatePostgres(await freePort(), dataDir);
    await pg.start();
    return pg;
  }

  get url(): string {
    return `postgres://postgres@127.0.0.1:${this.port}/postgres`;
  }

  private ctl(args: string[]): void {
    const run = asPostgres(pgBin("pg_ctl"), ["-D", this.dataDir, ...args]);
    execFileSync(run.command, run.args, { stdio: "ignore" });
  }

  async start(): Promise<void> {
    this.ctl([
      "-o",
      `-p ${this.port} -k ${path.dirname(this.dataDir)} -c listen_addresses=127.0.0.1 -c fsync=off`,
      "-w",
      "start",
    ]);
    await waitFor(() => answers(this.port), `PostgreSQL on ${this.port}`);
  }

  /** Immediate shutdown: every connection drops at once, as in a crash or a failover. */
  async stop(): Promise<void> {
    if (!existsSync(path.join(this.dataDir, "postmaster.pid"))) return;
    this.ctl(["-m", "immediate", "-w", "stop"]);
  }

  /** Stops the cluster and deletes its directory. */
  async destroy(): Promise<void> {
    await this.stop().catch(() => undefined);
    rmSync(path.dirname(this.dataDir), { recursive: true, force: true });
  }
}
