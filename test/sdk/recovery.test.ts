/**
 * The SDK's match handle across a process going away, with real server processes on the test's PostgreSQL and
 * Redis: a Connect Four match runs on a peer (a child process); the client talks HTTP to the test process. The peer
 * gets SIGTERM (the room hands the match off and closes its clients with 4001) or SIGKILL (the socket just dies);
 * the handle asks POST /sessions/:id/rejoin until the test process has recovered the match, takes the new seat,
 * and the game goes on through the same handle (handlers registered before still fire).
 */
import assert from "node:assert/strict";
import { ArenaClient, backoffMs, type MatchHandle } from "@arena/sdk";
import type { Connect4Protocol } from "../../src/games/connect4/protocol.ts";
import { processPort } from "../helpers/childServer.ts";
import { type Peer, startPeer } from "../helpers/peer.ts";
import { announcedPeers } from "../helpers/recovery.ts";
import { bootTestServer, type TestServer } from "../helpers/server.ts";

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

async function until(check: () => boolean, what: string, ms = 20_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) assert.fail(`timed out waiting for ${what}`);
    await sleep(50);
  }
}

describe("@arena/sdk rejoins a match whose process went away [postgres, redis, real processes]", function () {
  this.timeout(120_000);
  let a: TestServer;
  let b: Peer | undefined;
  let peerPort: number;
  let guests = 0;
  const env = { REGION: "us", REGIONS: "us", BOT_FILL_SEC: "0", TURN_TIME_SEC: "30", SNAPSHOT_INTERVAL_MS: "60000" };

  before(async () => {
    peerPort = await processPort();
    a = await bootTestServer({ database: "postgres", redis: true, publicAddress: true, env });
  });
  after(async () => {
    await b?.stop();
    await a.close();
  });

  /** The retries the clients' `backoff` was asked to wait for (0-based attempts). */
  const waits: number[] = [];

  /** A client from its own address (the test server trusts X-Forwarded-For from loopback). */
  function client(): ArenaClient {
    const address = `10.78.0.${++guests}`;
    return new ArenaClient({
      baseUrl: a.baseUrl,
      backoff: (attempt) => {
        waits.push(attempt);
        return backoffMs(attempt);
      },
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers as object), "x-forwarded-for": address } }),
    });
  }

  /** Two guests in a Connect Four duel placed on the (re)started peer, entered through `arena.rejoin(sessionId)`. */
  async function duelOnPeer(): Promise<{ clients: ArenaClient[]; handles: MatchHandle<Connect4Protocol>[] }> {
    await b?.stop();
    b = await startPeer(a, { ...env, PUBLIC_ADDRESS: `127.0.0.1:${peerPort}` }, peerPort);
    const peerId = (await announcedPeers(1))[0]!;
    const clients = [client(), client()];
    const players = await Promise.all(
      clients.map((arena, i) => arena.guest(`sdk-recovery-${process.pid}-${Date.now()}-${i}`)),
    );
    const launched = await a.services.launcher.launch({
      game: "connect4",
      mode: "duel",
      region: "us",
      placeOn: peerId,
      roster: players.map((p, team) => ({ playerId: p.id, username: p.username, team, bot: false })),
    });
    const handles = await Promise.all(clients.map((arena) => arena.rejoin<Connect4Protocol>(launched.sessionId)));
    for (const handle of handles) {
      await until(() => handle.state.phase === "active", "the duel to start");
    }
    return { clients, handles };
  }

  /** The seat to move plays `column`; both boards show it. */
  async function move(handles: MatchHandle<Connect4Protocol>[], column: number): Promise<void> {
    const pieces = (h: MatchHandle<Connect4Protocol>) => [...h.state.board].filter((c) => c !== 0).length;
    const before = pieces(handles[0]!);
    const mover = handles.find((h) => h.state.players.get(h.room.sessionId)?.seat === h.state.turn)!;
    mover.send("move", { column });
    await until(() => handles.every((h) => pieces(h) === before + 1), "the move on both boards");
    await sleep(120);
  }

  for (const [signal, expectedCode] of [
    ["SIGTERM", 4001],
    ["SIGKILL", undefined],
  ] as const) {
    it(`${signal} to the process hosting the match: the handles rejoin the recovered match through POST /sessions/:id/rejoin and play on`, async () => {
      const { clients, handles } = await duelOnPeer();
      await move(handles, 0);
      await move(handles, 1);
      // The turn-based game stores a snapshot after each move; give the second one a moment to land.
      await sleep(300);
      const board = [...handles[0]!.state.board];
      const drops: number[] = [];
      const vias: string[] = [];
      const chats: string[] = [];
      for (const handle of handles) {
        handle.on("dropped", ({ code }) => drops.push(code));
        handle.on("rejoining", ({ via }) => vias.push(via));
        handle.onMessage("chat", (line) => chats.push(line.text));
      }
      waits.length = 0;
      const rejoined = handles.map((handle) => new Promise((resolve) => handle.once("rejoined", resolve)));
      const lost = handles.map((handle) =>
        handle.done.then((outcome) => assert.fail(`the handle gave up: ${JSON.stringify(outcome)}`)),
      );
      b!.running.child.kill(signal);
      await Promise.race([Promise.all(rejoined), ...lost]);
      if (expectedCode !== undefined) assert.deepEqual(drops, [expectedCode, expectedCode], "closed with 4001");
      else assert.equal(drops.length, 2);
      assert.ok(vias.includes("rejoin"), `back through the rejoin route (${vias.join(", ")})`);
      // While the killed match was being recovered (503) the handles waited as the client's `backoff` option said.
      if (signal === "SIGKILL")
        assert.ok(waits.length >= 1 && waits[0] === 0, `the client's backoff was used (${waits.join(", ")})`);
      for (const handle of handles) {
        assert.equal(handle.room.roomId, handle.id, "the same match");
        assert.deepEqual([...handle.state.board], board, "the same board");
      }
      // The game goes on, and handlers registered before the crash hear the new rooms.
      await move(handles, 0);
      handles[0]!.say("still here");
      await until(() => chats.length === 2, "the chat line on both handles");
      for (const handle of handles) await handle.leave();
      for (const arena of clients) arena.close();
    });
  }
});
