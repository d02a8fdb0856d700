/**
 * Two processes sharing PostgreSQL and Redis: a player sits in a room on process A; its logout (and a ban) is
 * handled by process B; A closes the connection through presence pub/sub.
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import type { Room as ClientRoom } from "@colyseus/sdk";
import { CloseCode } from "../../src/protocol.ts";
import { type Peer, startPeer } from "../helpers/peer.ts";
import {
  ADMIN_PASSWORD,
  bootTestServer,
  postJson,
  registerPlayer,
  sdkFor,
  type TestServer,
} from "../helpers/server.ts";
import { FaultyRoom } from "../rooms/FaultyRoom.ts";

/** Resolves with the close code, or rejects when the connection is still open after `withinMs`. */
function leaveWithin(room: ClientRoom, withinMs: number): Promise<{ code: number; afterMs: number }> {
  const started = performance.now();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`still connected after ${withinMs} ms`)), withinMs);
    room.onLeave((code) => {
      clearTimeout(timer);
      resolve({ code, afterMs: Math.round(performance.now() - started) });
    });
  });
}

/**
 * B does not define the test-only room, so it is created on A explicitly rather than through joinOrCreate (which
 * may pick the least-loaded process, B).
 */
async function roomOnA(): Promise<string> {
  return (await matchMaker.handleCreateRoom("faulty", {})).roomId;
}

describe("revocation across processes [postgres, redis]", function () {
  this.timeout(60_000);
  let a: TestServer;
  let b: Peer;

  before(async () => {
    a = await bootTestServer({ database: "postgres", redis: true, extraRooms: { faulty: FaultyRoom } });
    b = await startPeer(a);
  });
  after(async () => {
    await b.stop();
    await a.close();
  });

  it("logout on process B closes the player's room connection on process A within 5 s", async () => {
    const me = await registerPlayer(a);
    const room = await sdkFor(a, me.accessToken).joinById(await roomOnA());
    const left = leaveWithin(room, 5000);
    const res = await fetch(`${b.url}/auth/logout`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: `Bearer ${me.accessToken}` },
      body: JSON.stringify({ refreshToken: me.refreshToken }),
    });
    assert.equal(res.status, 204);
    const { code, afterMs } = await left;
    assert.equal(code, CloseCode.TokenRevoked);
    process.stdout.write(`      (closed ${afterMs} ms after B answered the logout)\n`);
  });

  it("a ban on process B closes the connection on A with Banned", async () => {
    const me = await registerPlayer(a);
    const room = await sdkFor(a, me.accessToken).joinById(await roomOnA());
    const left = leaveWithin(room, 5000);
    const res = await fetch(`${b.url}/admin/players/${me.player.id}/ban`, {
      method: "POST",
      headers: {
        "content-type": "application/json",
        authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}`,
      },
      body: JSON.stringify({ reason: "cross-process test" }),
    });
    assert.equal(res.status, 204);
    assert.equal((await left).code, CloseCode.Banned);
    // And A refuses the banned player's next attempt to join.
    await assert.rejects(
      sdkFor(a, me.accessToken).joinById(await roomOnA()),
      (error: { code?: number }) => error.code === 403,
    );
    assert.equal((await postJson(a, "/auth/refresh", { refreshToken: me.refreshToken })).status, 401);
  });
});
