/** A second server process (the real entry point) sharing the test server's PostgreSQL, Redis and secrets. */
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import type { Room as ClientRoom } from "@colyseus/sdk";
import { listening, processPort, type Running, start, stop } from "./childServer.ts";
import { ADMIN_PASSWORD, TEST_REDIS_URL, type TestServer } from "./server.ts";

export interface Peer {
  running: Running;
  /** The port it listens on. */
  port: number;
  url: string;
  stop(): Promise<void>;
}

/**
 * Starts a peer on `port` (default: a free one). A peer that must announce PUBLIC_ADDRESS, or come back at the same
 * address after a restart, gets its port from processPort() first and passes it here.
 */
export async function startPeer(server: TestServer, env: Record<string, string> = {}, port?: number): Promise<Peer> {
  port ??= await processPort();
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), "arena-peer-"));
  const running = start({
    PORT: String(port),
    DATA_DIR: dataDir,
    DATABASE_URL: server.config.databaseUrl!,
    REDIS_URL: TEST_REDIS_URL,
    JWT_SECRET: server.config.jwtSecret,
    ADMIN_PASSWORD,
    LOG_LEVEL: "info",
    ...env,
  });
  await listening(running);
  return {
    running,
    port,
    url: `http://127.0.0.1:${port}`,
    async stop() {
      await stop(running);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}

/** The close code of the room's next leave. */
export function nextLeave(room: ClientRoom): Promise<number> {
  return new Promise((resolve) => room.onLeave((code) => resolve(code)));
}
