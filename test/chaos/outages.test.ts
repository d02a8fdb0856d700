/**
 * PostgreSQL outages with live players: three processes (this test process and two peers) on a private PostgreSQL
 * and a private Redis, a duel with a real player on each peer. PostgreSQL is stopped mid-match for 30 s and for
 * 120 s; one match ends during the outage, the other after it. Required: no player is closed before `matchEnd`,
 * no client ever sees its tick go back (no restore from an old snapshot), the stored result is the one the players
 * saw (kills and placements), exactly once, and both sessions end. Run by `npm run test:chaos` (about 1.5 min for
 * the 30 s case and 3 min for the 120 s one).
 */
import assert from "node:assert/strict";
import { matchMaker } from "@colyseus/core";
import { ColyseusSDK, type Room as ClientRoom } from "@colyseus/sdk";
import { type Peer, startPeer } from "../helpers/peer.ts";
import { freePort } from "../helpers/ports.ts";
import { PrivatePostgres, PrivateRedis } from "../helpers/privateServers.ts";
import { bootTestServer, type Registered, registerPlayer, type TestServer } from "../helpers/server.ts";

const ENV = { REGION: "us", REGIONS: "us", BOT_FILL_SEC: "0", SNAPSHOT_INTERVAL_MS: "500" };
/** The match that ends during the outage. */
const SHORT_MATCH_SEC = 12;
/** The match that outlives the outage ends this long after PostgreSQL is back. */
const AFTER_OUTAGE_SEC = 15;

interface EndEntry {
  playerId: string;
  placement: number;
  kills: number;
  deaths: number;
}

/** What one player saw: every tick, how the connection ended, and the result it was shown. */
class Watched {
  lastTick = 0;
  rollbacks: Array<{ from: number; to: number }> = [];
  active: Promise<void>;
  end: Promise<{ sessionId: string; results: EndEntry[] }>;
  endedAt: number | undefined;
  closes: Array<{ code: number; afterEnd: boolean }> = [];

  constructor(readonly room: ClientRoom) {
    room.reconnection.enabled = false;
    let activated: () => void = () => {};
    this.active = new Promise((resolve) => {
      activated = resolve;
    });
    room.onStateChange((state) => {
      const { tick, phase } = state as { tick: number; phase: string };
      if (tick < this.lastTick) this.rollbacks.push({ from: this.lastTick, to: tick });
      this.lastTick = tick;
      if (phase === "active") activated();
    });
    let closedEarly: (error: Error) => void = () => {};
    this.end = new Promise((resolve, reject) => {
      closedEarly = reject;
      room.onMessage("matchEnd", (message) => {
        this.endedAt = Date.now();
        resolve(message);
      });
    });
    // Awaited later; a close before the end must not count as an unhandled rejection meanwhile.
    this.end.catch(() => undefined);
    room.onMessage("*", () => {});
    room.onLeave((code) => {
      this.closes.push({ code, afterEnd: this.endedAt !== undefined });
      if (this.endedAt === undefined) {
        closedEarly(
          new Error(`closed with ${code} before matchEnd (ticks rolled back: ${JSON.stringify(this.rollbacks)})`),
        );
      }
    });
  }
}

async function until<T>(what: string, withinMs: number, check: () => Promise<T | undefined>): Promise<T> {
  const deadline = Date.now() + withinMs;
  for (;;) {
    const value = await check().catch(() => undefined);
    if (value !== undefined) return value;
    if (Date.now() > deadline) assert.fail(`${what} within ${withinMs} ms`);
    await new Promise((resolve) => setTimeout(resolve, 250));
  }
}

for (const outageSec of [30, 120]) {
  describe(`PostgreSQL down ${outageSec} s with live matches [private postgres, redis]`, function () {
    this.timeout((outageSec + 150) * 1000);
    let pg: PrivatePostgres;
    let redis: PrivateRedis;
    let a: TestServer;
    const peers: Peer[] = [];
    const longMatchSec = outageSec + AFTER_OUTAGE_SEC + 5;

    before(async () => {
      pg = await PrivatePostgres.start();
      redis = await PrivateRedis.start();
      a = await bootTestServer({
        database: "postgres",
        redis: true,
        databaseUrl: () => pg.url,
        publicAddress: true,
        env: { ...ENV, REDIS_URL: redis.url, MATCH_DURATION_SEC: "30" },
      });
      for (const seconds of [SHORT_MATCH_SEC, longMatchSec]) {
        const port = await freePort();
        const env = {
          ...ENV,
          REDIS_URL: redis.url,
          MATCH_DURATION_SEC: String(seconds),
          PUBLIC_ADDRESS: `127.0.0.1:${port}`,
        };
        peers.push(await startPeer(a, env, port));
      }
    });
    afterEach(function () {
      if (this.currentTest?.state !== "failed") return;
      const notable = /recover|taken over|refused|parked|orphan|ended/i;
      for (const [index, peer] of peers.entries()) {
        for (const line of peer.running.logs.filter((log) => notable.test(String(log.msg)))) {
          process.stdout.write(`      peer ${index}: ${line.level} ${line.msg} ${String(line.sessionId ?? "")}\n`);
        }
      }
    });
    after(async () => {
      for (const peer of peers) {
        // A peer that does not finish its graceful shutdown within 15 s is killed: the next suite needs the machine.
        const killer = setTimeout(() => peer.running.child.kill("SIGKILL"), 15_000);
        await peer.stop();
        clearTimeout(killer);
      }
      await a?.close();
      await pg?.destroy();
      await redis?.stop();
    });

    it("mid-match and across the match end: nobody closed, no tick rolled back, the result seen is stored once, sessions ended", async () => {
      const ids = await until("both peers announced", 20_000, async () => {
        const regions = await a.services.redis!.hgetall("arena:process:region");
        const stats = await matchMaker.stats.fetchAll();
        const peerIds = Object.keys(regions).filter(
          (id) => id !== matchMaker.processId && stats.some((entry) => entry.processId === id),
        );
        return peerIds.length >= 2 ? peerIds : undefined;
      });
      const byPort = new Map<string, { watched: Watched; player: Registered; sessionId: string }>();
      for (const processId of ids) {
        const player = await registerPlayer(a);
        const launched = await a.services.launcher.launch({
          mode: "duel",
          region: "us",
          placeOn: processId,
          roster: [
            { playerId: player.player.id, username: player.player.username, team: 0, bot: false },
            { playerId: "bot:1", username: "bot 1", team: 1, bot: true },
          ],
        });
        const seat = launched.seats.get(player.player.id)!;
        const room = await new ColyseusSDK(`ws://${a.address}`).consumeSeatReservation(seat);
        const address = (seat as { publicAddress?: string }).publicAddress ?? "";
        byPort.set(address.split(":")[1] ?? "", { watched: new Watched(room), player, sessionId: launched.sessionId });
      }
      // In peer order: the short match first, then the long one.
      const placed = peers.map((peer) => byPort.get(new URL(peer.url).port));
      assert.ok(
        placed.every((entry) => entry !== undefined),
        `one match on each peer: ${[...byPort.keys()].join(", ")}`,
      );
      const watched = placed.map((entry) => entry!.watched);
      const players = placed.map((entry) => entry!.player);
      const sessions = placed.map((entry) => entry!.sessionId);
      await Promise.all(watched.map((w) => w.active));
      // Some snapshots and lease renewals before the outage (the match is a few seconds in).
      await until("snapshots", 10_000, async () =>
        (await a.services.sessions.snapshot(sessions[0]!, 4)) === undefined ? undefined : true,
      );

      const downAt = Date.now();
      await pg.stop();
      const [short, long] = watched as [Watched, Watched];
      const shortEnd = await short.end;
      assert.ok(Date.now() - downAt < outageSec * 1000, "the short match ended during the outage");
      await new Promise((resolve) => setTimeout(resolve, downAt + outageSec * 1000 - Date.now()));
      await pg.start();
      process.stdout.write(`      (PostgreSQL was down ${((Date.now() - downAt) / 1000).toFixed(1)} s)\n`);
      const longEnd = await long.end;
      assert.ok(long.endedAt! > downAt + outageSec * 1000, "the long match ended after the outage");

      for (const [index, end] of [shortEnd, longEnd].entries()) {
        const w = watched[index]!;
        const sessionId = sessions[index]!;
        assert.deepEqual(w.rollbacks, [], `match ${index}: the client's tick never went back`);
        assert.deepEqual(
          w.closes.filter((close) => !close.afterEnd),
          [],
          `match ${index}: the player was not closed before matchEnd`,
        );
        assert.equal(end.sessionId, sessionId);
        const stored = await until(`match ${index}: the result stored and the session ended`, 20_000, async () => {
          const [session] = await a.services.db.query<{ status: string; epoch: number }>(
            "SELECT status, epoch FROM game_sessions WHERE id = $1",
            [sessionId],
          );
          const rows = await a.services.db.query<{ result: { result: { players: EndEntry[] } } }>(
            "SELECT result FROM match_results WHERE session_id = $1",
            [sessionId],
          );
          return session?.status === "ended" && rows.length > 0 ? { session, rows } : undefined;
        });
        assert.equal(stored.rows.length, 1, `match ${index}: exactly one result`);
        assert.equal(stored.session.epoch, 0, `match ${index}: never taken over`);
        const summary = (entries: EndEntry[]) =>
          entries
            .map((p) => ({ playerId: p.playerId, placement: p.placement, kills: p.kills, deaths: p.deaths }))
            .sort((x, y) => x.playerId.localeCompare(y.playerId));
        assert.deepEqual(
          summary(stored.rows[0]!.result.result.players),
          summary(end.results),
          `match ${index}: the stored result is the one the players saw`,
        );
        // Cleared by the session-end write, which lands on its own (not with the result): a moment later at most.
        await until(`match ${index}: the player's current session cleared`, 10_000, async () => {
          const player = await a.services.stores.players.findById(players[index]!.player.id);
          return (player?.currentSessionId ?? null) === null ? true : undefined;
        });
      }
      const pending = await a.services.redis!.xlen("arena:results:pending");
      assert.equal(pending, 0, "the journal drained");
    });
  });
}
