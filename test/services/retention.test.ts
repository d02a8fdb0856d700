/**
 * Retention: what each pruning rule deletes and what it must keep, on real PostgreSQL and PGlite; then the
 * RetentionService's pass (process(now)) over all three, also run by several services at once.
 */
import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Database } from "../../src/services/db/Database.ts";
import { RetentionService } from "../../src/services/RetentionService.ts";
import { SqlChatMessageStore } from "../../src/services/stores/ChatMessageStore.ts";
import { SqlGameSessionStore } from "../../src/services/stores/GameSessionStore.ts";
import { SqlPlayerStore } from "../../src/services/stores/PlayerStore.ts";
import { SqlRefreshTokenStore } from "../../src/services/stores/RefreshTokenStore.ts";
import { forEachDatabase } from "../helpers/databases.ts";
import { captureLogger, LOG_LEVEL } from "../helpers/logger.ts";

const DAY_MS = 86_400_000;
const NOW = new Date("2026-06-01T00:00:00Z");
const daysAgo = (days: number) => new Date(NOW.getTime() - days * DAY_MS);
const hash = (n: number | string) => createHash("sha256").update(String(n)).digest();

async function count(db: Database, sql: string, params: unknown[] = []): Promise<number> {
  const [row] = await db.query<{ n: string | number }>(`SELECT count(*) AS n FROM ${sql}`, params);
  return Number(row?.n ?? 0);
}

forEachDatabase("retention: refresh tokens", (db) => {
  const store = () => new SqlRefreshTokenStore(db());
  let playerId: string;

  before(async () => {
    playerId = (await new SqlPlayerStore(db()).create({ username: "keeper", region: "eu" })).id;
  });

  it("deletes tokens expired or revoked before the cutoff; keeps live families, their recent spent tokens and recent revocations", async () => {
    const later = new Date(NOW.getTime() + 20 * DAY_MS);
    // A live family that rotated: an old spent token (expired 10 days ago), a recent spent one, the live one.
    await store().issue({ hash: hash("live-old"), familyId: "live", playerId, expiresAt: daysAgo(10) });
    await db().execute("UPDATE refresh_tokens SET spent_at = $2 WHERE token_hash = $1", [
      hash("live-old"),
      daysAgo(40),
    ]);
    await store().issue({ hash: hash("live-spent"), familyId: "live", playerId, expiresAt: later });
    await db().execute("UPDATE refresh_tokens SET spent_at = $2 WHERE token_hash = $1", [
      hash("live-spent"),
      daysAgo(1),
    ]);
    await store().issue({ hash: hash("live-new"), familyId: "live", playerId, expiresAt: later });
    // A family that expired 8 days ago, one that expired 2 days ago.
    await store().issue({ hash: hash("dead"), familyId: "dead", playerId, expiresAt: daysAgo(8) });
    await store().issue({ hash: hash("fresh-dead"), familyId: "fresh-dead", playerId, expiresAt: daysAgo(2) });
    // A family revoked 8 days ago (logout), and one revoked an hour ago: its access tokens may still be alive.
    await store().issue({ hash: hash("revoked-old"), familyId: "revoked-old", playerId, expiresAt: later });
    await store().revokeFamilyOf(hash("revoked-old"), playerId, daysAgo(8));
    await store().issue({ hash: hash("revoked-new"), familyId: "revoked-new", playerId, expiresAt: later });
    await store().revokeFamilyOf(hash("revoked-new"), playerId, new Date(NOW.getTime() - 3_600_000));

    const deleted = await store().prune(daysAgo(7), 1000);
    assert.equal(deleted, 3, "live-old, dead, revoked-old");
    const left = await db().query<{ token_hash: Buffer }>("SELECT token_hash FROM refresh_tokens");
    const names = ["live-old", "live-spent", "live-new", "dead", "fresh-dead", "revoked-old", "revoked-new"].filter(
      (name) => left.some((row) => Buffer.compare(row.token_hash, hash(name)) === 0),
    );
    assert.deepEqual(names, ["live-spent", "live-new", "fresh-dead", "revoked-new"]);
    assert.equal(await store().isFamilyRevoked("revoked-new"), true, "a recent logout still revokes");
    // Reuse detection still works for the kept spent token.
    const reuse = await store().rotate(hash("live-spent"), { hash: hash("x"), expiresAt: later }, NOW);
    assert.equal(reuse.kind, "reused");
    assert.equal(await store().prune(daysAgo(7), 1000), 0, "nothing more to delete");
  });

  it("deletes in batches of at most `limit`", async () => {
    for (let i = 0; i < 5; i++) {
      await store().issue({ hash: hash(`batch${i}`), familyId: `b${i}`, playerId, expiresAt: daysAgo(30) });
    }
    assert.equal(await store().prune(daysAgo(7), 2), 2);
    assert.equal(await store().prune(daysAgo(7), 2), 2);
    assert.equal(await store().prune(daysAgo(7), 2), 1);
  });
});

forEachDatabase("retention: chat messages", (db) => {
  const store = () => new SqlChatMessageStore(db());

  it("deletes messages older than the window unless they are among the newest `keep` of their channel", async () => {
    for (let i = 0; i < 60; i++)
      await store().append({ channel: "global", playerId: "p", username: "u", text: `g${i}` });
    for (let i = 0; i < 3; i++)
      await store().append({ channel: "region:eu", playerId: "p", username: "u", text: `e${i}` });
    // Everything is old except the last 5 global messages.
    await db().execute("UPDATE chat_messages SET created_at = $1", [daysAgo(40)]);
    await db().execute(
      "UPDATE chat_messages SET created_at = $1 WHERE seq IN (SELECT seq FROM chat_messages WHERE channel = 'global' ORDER BY seq DESC LIMIT 5)",
      [daysAgo(1)],
    );
    const deleted = await store().prune(daysAgo(30), 50, 1000);
    assert.equal(deleted, 10, "g0..g9: old and beyond the 50 of history");
    assert.deepEqual(
      (await store().recent("global", 100)).map((m) => m.text),
      Array.from({ length: 50 }, (_, i) => `g${i + 10}`),
    );
    assert.deepEqual(
      (await store().recent("region:eu", 100)).map((m) => m.text),
      ["e0", "e1", "e2"],
      "a quiet channel keeps its history however old",
    );
  });

  it("keeps recent messages beyond the history for moderation", async () => {
    for (let i = 0; i < 55; i++)
      await store().append({ channel: "region:us", playerId: "p", username: "u", text: `u${i}` });
    assert.equal(await store().prune(daysAgo(30), 50, 1000), 0);
    assert.equal(await count(db(), "chat_messages WHERE channel = 'region:us'"), 55);
  });
});

forEachDatabase("retention: snapshots", (db) => {
  const store = () => new SqlGameSessionStore(db());
  const session = (id: string) =>
    store().create({ id, gameType: "arena", mode: "duel", region: "eu", serverId: "a", players: [] });
  async function snapshots(id: string, n: number): Promise<void> {
    for (let v = 1; v <= n; v++)
      await store().saveSnapshot({ sessionId: id, version: v, tick: v * 30, state: Buffer.from([v]) });
  }
  const versions = async (id: string) =>
    (
      await db().query<{ version: number }>(
        "SELECT version FROM state_snapshots WHERE session_id = $1 ORDER BY version",
        [id],
      )
    ).map((row) => row.version);

  it("keeps only the last snapshot of a match ended before the cutoff; never touches live or recently ended ones", async () => {
    await session("old-ended");
    await snapshots("old-ended", 40);
    await store().markEnded("old-ended", daysAgo(2));
    await session("new-ended");
    await snapshots("new-ended", 5);
    await store().markEnded("new-ended", new Date(NOW.getTime() - 3_600_000));
    await session("live");
    await snapshots("live", 40);
    await store().markActive("live", daysAgo(3));
    const deleted = await store().pruneSnapshots(daysAgo(1), 1000);
    assert.equal(deleted, 39);
    assert.deepEqual(await versions("old-ended"), [40], "the last snapshot of an ended match is kept");
    assert.deepEqual(await versions("new-ended"), [1, 2, 3, 4, 5], "recently ended: all kept (rollback, audits)");
    assert.equal((await versions("live")).length, 40, "a live session's snapshots are never touched");
    assert.equal((await store().getSnapshot("old-ended"))?.version, 40);
    assert.equal(await store().pruneSnapshots(daysAgo(1), 1000), 0);
  });

  it("deletes in batches of at most `limit`", async () => {
    await session("batched");
    await snapshots("batched", 6);
    await store().markEnded("batched", daysAgo(5));
    assert.equal(await store().pruneSnapshots(daysAgo(1), 3), 3);
    assert.equal(await store().pruneSnapshots(daysAgo(1), 3), 2);
    assert.deepEqual(await versions("batched"), [6]);
  });
});

forEachDatabase("RetentionService", (db) => {
  const policy = { refreshTokenRetentionDays: 7, chatRetentionDays: 30, snapshotRetentionHours: 24, batchSize: 4 };
  const capture = captureLogger();
  const service = () =>
    new RetentionService(
      {
        refreshTokens: new SqlRefreshTokenStore(db()),
        chat: new SqlChatMessageStore(db()),
        sessions: new SqlGameSessionStore(db()),
      },
      policy,
      capture.logger,
    );

  it("after a drained pass, a service looks only at matches that ended since its last cutoff; a new one scans all", async () => {
    const sessions = new SqlGameSessionStore(db());
    const once = service();
    await once.process(NOW);
    // A match that ended long before the last cutoff, and one ending after it; both with several snapshots.
    for (const [id, endedAt] of [
      ["wm-old", daysAgo(10)],
      ["wm-new", new Date(NOW.getTime() + 3_600_000)],
    ] as const) {
      await sessions.create({ id, gameType: "arena", mode: "duel", region: "eu", serverId: "a", players: [] });
      for (let v = 1; v <= 3; v++)
        await sessions.saveSnapshot({ sessionId: id, version: v, tick: v, state: Buffer.from([v]) });
      await sessions.markEnded(id, endedAt);
    }
    const later = new Date(NOW.getTime() + 2 * DAY_MS);
    assert.equal((await once.process(later)).snapshots, 2, "only wm-new: wm-old ended before the last cutoff");
    assert.equal((await service().process(later)).snapshots, 2, "a fresh service (a restart) finds wm-old too");
  });

  it("one pass prunes all three to the policy (in batches until done); several services at once delete each row once", async () => {
    const playerId = (await new SqlPlayerStore(db()).create({ username: "svc_keeper", region: "eu" })).id;
    const tokens = new SqlRefreshTokenStore(db());
    for (let i = 0; i < 10; i++)
      await tokens.issue({ hash: hash(`svc${i}`), familyId: `f${i}`, playerId, expiresAt: daysAgo(8) });
    await tokens.issue({
      hash: hash("svc-live"),
      familyId: "live",
      playerId,
      expiresAt: new Date(NOW.getTime() + DAY_MS),
    });
    const chat = new SqlChatMessageStore(db());
    for (let i = 0; i < 57; i++) await chat.append({ channel: "global", playerId, username: "u", text: `c${i}` });
    await db().execute("UPDATE chat_messages SET created_at = $1", [daysAgo(31)]);
    const sessions = new SqlGameSessionStore(db());
    await sessions.create({ id: "svc-s", gameType: "arena", mode: "duel", region: "eu", serverId: "a", players: [] });
    for (let v = 1; v <= 9; v++)
      await sessions.saveSnapshot({ sessionId: "svc-s", version: v, tick: v, state: Buffer.from([v]) });
    await sessions.markEnded("svc-s", daysAgo(2));

    capture.clear();
    const reports = await Promise.all([service().process(NOW), service().process(NOW), service().process(NOW)]);
    // A batch that lost rows to another process ends that process' pass early; the next pass finishes the job.
    reports.push(await service().process(NOW));
    const total = (key: "refreshTokens" | "chatMessages" | "snapshots") =>
      reports.reduce((sum, report) => sum + report[key], 0);
    assert.equal(total("refreshTokens"), 10, "every expired token deleted, once");
    assert.equal(total("chatMessages"), 7);
    assert.equal(total("snapshots"), 8);
    assert.equal(await count(db(), "refresh_tokens"), 1);
    assert.equal(await count(db(), "chat_messages"), 50);
    assert.equal(await count(db(), "state_snapshots WHERE session_id = 'svc-s'"), 1);
    const passes = capture.lines.filter((line) => line.msg === "retention pass");
    assert.ok(passes.length >= 1 && passes.every((line) => line.level === LOG_LEVEL.info), "a pass that deleted logs");
    assert.equal(
      passes.reduce((sum, line) => sum + Number(line.snapshots), 0),
      8,
      "the lines carry the counts",
    );
    capture.clear();
    assert.deepEqual(await service().process(NOW), { refreshTokens: 0, chatMessages: 0, snapshots: 0 });
    assert.equal(capture.lines.length, 0, "a pass that deleted nothing is silent");
  });
});
