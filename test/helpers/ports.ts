/**
 * Ports for the servers the tests start. The OS picks a free one each time, so two checkouts (or two helpers on one
 * machine) run their suites side by side; TEST_PORT, TEST_PROCESS_PORT and TEST_NGINX_PORT pin them when set.
 */
import net from "node:net";

/** Ports this process already handed out: a test asking for two ports before binding either gets two. */
const handedOut = new Set<number>();

/** A TCP port that was free a moment ago (the OS picks it), never one this process handed out before. */
export async function freePort(): Promise<number> {
  for (;;) {
    const port = await askTheOs();
    if (!handedOut.has(port)) {
      handedOut.add(port);
      return port;
    }
  }
}

function askTheOs(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.unref();
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const { port } = server.address() as net.AddressInfo;
      server.close(() => resolve(port));
    });
  });
}

/** Environment variables that pin a test port: the in-process server, child processes, the nginx load balancer. */
export type PortVariable = "TEST_PORT" | "TEST_PROCESS_PORT" | "TEST_NGINX_PORT";

/**
 * The port `variable` names plus `offset` when it is set (a run that pins its ports, the way CI used to), else a
 * free port from the OS. Callers needing several distinct ports pass distinct offsets.
 */
export async function testPort(variable: PortVariable, offset = 0): Promise<number> {
  const pinned = process.env[variable];
  return pinned === undefined || pinned === "" ? freePort() : Number(pinned) + offset;
}
