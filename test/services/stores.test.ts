/** One contract suite per store, run against real PostgreSQL and against PGlite. */
import assert from "node:assert/strict";
import { SqlChatMessageStore } from "../../src/services/stores/ChatMessageStore.ts";
import { SqlGameSessionStore } from "../../src/services/stores/GameSessionStore.ts";
import { SqlPlayerStore, UsernameTakenError } from "../../src/services/stores/PlayerStore.ts";
import { SqlRatingStore, STARTING_RATING } from "../../src/services/stores/RatingStore.ts";
import { SqlRefreshTokenStore } from "../../src/services/stores/RefreshTokenStore.ts";
import { forEachDatabase } from "../helpers/databases.ts";

forEachDatabase("PlayerStore", (db) => {
  const store = () => new SqlPlayerStore(db());

  it("creates a player with default rating and finds it by id and by username in any case", async () => {
    const created = await store().create({ username: "Alice_1", region: "eu", passwordHash: "h" });
    assert.equal(created.username, "Alice_1");
    assert.equal(created.rating, 1500);
    assert.equal(created.ratingDeviation, 350);
    assert.equal(created.wins, 0);
    assert.equal(created.currentSessionId, null);
    assert.ok(created.createdAt instanceof Date);
    assert.deepEqual((await store().findById(created.id))?.username, "Alice_1");
    assert.equal((await store().findByUsername("aLiCe_1"))?.id, created.id);
    assert.equal(await store().findByUsername("nobody"), undefined);
  });

  it("refuses a username taken in another case", async () => {
    await store().create({ username: "Bobby", region: "eu" });
    await assert.rejects(store().create({ username: "BOBBY", region: "us" }), UsernameTakenError);
  });

  it("finds guests by device id, updates region, records logins and current sessions", async () => {
    const guest = await store().create({ username: "guest_x1", region: "eu", deviceId: "device-0123456789abcdef" });
    assert.equal((await store().findByDeviceId("device-0123456789abcdef"))?.id, guest.id);
    assert.equal((await store().updateRegion(guest.id, "us"))?.region, "us");
    assert.equal(await store().updateRegion("missing", "us"), undefined);
    const at = new Date("2026-01-02T03:04:05.000Z");
    await store().recordLogin(guest.id, at);
    assert.equal((await store().findById(guest.id))?.lastLoginAt?.toISOString(), at.toISOString());
    const other = await store().create({ username: "carol", region: "eu" });
    await store().setCurrentSession([guest.id, other.id], "room1");
    assert.equal((await store().findById(other.id))?.currentSessionId, "room1");
    await store().setCurrentSession([guest.id], null);
    assert.equal((await store().findById(guest.id))?.currentSessionId, null);
    assert.equal((await store().findById(other.id))?.currentSessionId, "room1");
  });
});

forEachDatabase("RatingStore", (db) => {
  // "home" plays the default game's part: its ratings are the players columns.
  const store = () => new SqlRatingStore(db(), "home");

  it("keeps the default key in the players columns and every other key in its own row, counting outcomes", async () => {
    const players = new SqlPlayerStore(db());
    const [a, b] = [
      await players.create({ username: "rater_a", region: "eu" }),
      await players.create({ username: "rater_b", region: "eu" }),
    ];
    const at = new Date();
    await db().transaction(async (tx) => {
      const before = await store().lockForUpdate(tx, [b.id, a.id, "missing"], "away");
      assert.deepEqual([...before.keys()].sort(), [a.id, b.id].sort(), "players that do not exist are left out");
      assert.deepEqual(before.get(a.id), STARTING_RATING);
      await store().update(
        tx,
        "away",
        [
          { playerId: a.id, rating: 1600, ratingDeviation: 300, volatility: 0.059, outcome: "win" },
          { playerId: b.id, rating: 1400, ratingDeviation: 300, volatility: 0.059, outcome: "draw" },
        ],
        at,
      );
    });
    await db().transaction(async (tx) => {
      await store().lockForUpdate(tx, [a.id], "away");
      await store().update(
        tx,
        "away",
        [{ playerId: a.id, rating: 1550, ratingDeviation: 280, volatility: 0.06, outcome: "loss" }],
        at,
      );
      await store().lockForUpdate(tx, [a.id], "home");
      await store().update(
        tx,
        "home",
        [{ playerId: a.id, rating: 1510, ratingDeviation: 340, volatility: 0.06, outcome: "draw" }],
        at,
      );
    });
    assert.deepEqual(await store().ratingOf(a.id, "away"), {
      rating: 1550,
      ratingDeviation: 280,
      volatility: 0.06,
      wins: 1,
      losses: 1,
      draws: 0,
    });
    const account = await players.findById(a.id);
    assert.deepEqual([account?.rating, account?.ratingDeviation, account?.wins, account?.losses], [1510, 340, 0, 0]);
    const all = await store().ratingsOf(a.id);
    assert.deepEqual([...all.keys()].sort(), ["away", "home"]);
    assert.equal(all.get("home")?.draws, 1);
    assert.equal((await store().ratingsOf(b.id)).get("away")?.draws, 1);
    assert.deepEqual(await store().ratingOf(b.id, "elsewhere"), STARTING_RATING, "no row: the starting rating");
    assert.deepEqual((await store().ratingsOf("missing")).size, 0);
  });
});

forEachDatabase("GameSessionStore", (db) => {
  const store = () => new SqlGameSessionStore(db());
  const players = [
    { playerId: "p1", username: "one", team: 0, bot: false },
    { playerId: "p2", username: "two", team: 1, bot: true },
  ];

  it("creates a session with its players and moves it waiting → active → ended once", async () => {
    const created = await store().create({
      id: "s1",
      gameType: "arena",
      mode: "duel",
      region: "eu",
      serverId: "a",
      players,
    });
    assert.equal(created.status, "waiting");
    assert.deepEqual(created.players, players);
    const start = new Date("2026-01-01T00:00:00Z");
    assert.equal(await store().markActive("s1", start), true);
    assert.equal(await store().markActive("s1", start), false);
    assert.equal((await store().get("s1"))?.startedAt?.toISOString(), start.toISOString());
    assert.equal(await store().markEnded("s1", new Date()), true);
    assert.equal(await store().markEnded("s1", new Date()), false);
    assert.equal((await store().get("s1"))?.status, "ended");
    assert.equal(await store().get("nope"), undefined);
  });

  it("refuses a duplicate id without leaving partial rows", async () => {
    await assert.rejects(
      store().create({ id: "s1", gameType: "arena", mode: "ffa", region: "us", serverId: "b", players: [] }),
    );
    assert.equal((await store().get("s1"))?.mode, "duel");
  });

  it("lists by status and region, newest first, within the limit", async () => {
    for (const [id, region] of [
      ["s2", "eu"],
      ["s3", "us"],
      ["s4", "eu"],
    ] as const) {
      await store().create({ id, gameType: "arena", mode: "ffa", region, serverId: "a", players: [] });
    }
    const waitingEu = await store().list({ status: "waiting", region: "eu", limit: 10 });
    assert.deepEqual(waitingEu.map((s) => s.id).sort(), ["s2", "s4"]);
    assert.equal((await store().list({ limit: 2 })).length, 2);
    assert.deepEqual(
      (await store().list({ status: "ended", limit: 10 })).map((s) => s.id),
      ["s1"],
    );
  });

  it("stores versioned snapshots, refuses a duplicate version and returns the newest or a given one", async () => {
    assert.equal(await store().saveSnapshot({ sessionId: "s2", version: 1, tick: 30, state: Buffer.from([1]) }), true);
    assert.equal(
      await store().saveSnapshot({ sessionId: "s2", version: 2, tick: 60, state: Buffer.from([2, 2]) }),
      true,
    );
    assert.equal(await store().saveSnapshot({ sessionId: "s2", version: 2, tick: 61, state: Buffer.from([9]) }), false);
    const newest = await store().getSnapshot("s2");
    assert.equal(newest?.version, 2);
    assert.equal(newest?.tick, 60);
    assert.deepEqual([...(newest?.state ?? [])], [2, 2]);
    assert.equal((await store().getSnapshot("s2", 1))?.tick, 30);
    assert.equal(await store().getSnapshot("s3"), undefined);
  });
});

forEachDatabase("ChatMessageStore", (db) => {
  const store = () => new SqlChatMessageStore(db());

  it("returns the newest N of a channel in the order they were sent", async () => {
    for (let i = 0; i < 60; i++) {
      await store().append({ channel: "global", playerId: "p", username: "u", text: `m${i}` });
    }
    await store().append({ channel: "region:eu", playerId: "p", username: "u", text: "other" });
    const recent = await store().recent("global", 50);
    assert.equal(recent.length, 50);
    assert.equal(recent[0]!.text, "m10");
    assert.equal(recent[49]!.text, "m59");
    assert.deepEqual(
      (await store().recent("region:eu", 50)).map((m) => m.text),
      ["other"],
    );
    assert.equal(new Set(recent.map((m) => m.id)).size, 50);
  });
});

forEachDatabase("RefreshTokenStore", (db, kind) => {
  const store = () => new SqlRefreshTokenStore(db());
  const players = () => new SqlPlayerStore(db());
  const later = new Date(Date.now() + 3600_000);
  const now = () => new Date();
  const hash = (n: number) => Buffer.alloc(32, n);
  let playerId: string;

  before(async () => {
    playerId = (await players().create({ username: "token_owner", region: "eu" })).id;
  });

  it("rotates a live token once; presenting it again revokes the family", async () => {
    await store().issue({ hash: hash(1), familyId: "fam1", playerId, expiresAt: later });
    assert.deepEqual(await store().rotate(hash(1), { hash: hash(2), expiresAt: later }, now()), {
      kind: "rotated",
      playerId,
      familyId: "fam1",
    });
    assert.equal(await store().isFamilyRevoked("fam1"), false);
    assert.deepEqual(await store().rotate(hash(1), { hash: hash(3), expiresAt: later }, now()), {
      kind: "reused",
      familyId: "fam1",
    });
    assert.equal(await store().isFamilyRevoked("fam1"), true);
    assert.deepEqual(await store().rotate(hash(2), { hash: hash(4), expiresAt: later }, now()), { kind: "revoked" });
    assert.deepEqual(await store().rotate(hash(99), { hash: hash(5), expiresAt: later }, now()), { kind: "unknown" });
  });

  it("refuses an expired token without issuing", async () => {
    await store().issue({ hash: hash(10), familyId: "fam2", playerId, expiresAt: new Date(Date.now() - 1000) });
    assert.deepEqual(await store().rotate(hash(10), { hash: hash(11), expiresAt: later }, now()), { kind: "expired" });
    assert.deepEqual(await store().rotate(hash(11), { hash: hash(12), expiresAt: later }, now()), { kind: "unknown" });
  });

  it("revokes the family of a token, and every family of a player", async () => {
    await store().issue({ hash: hash(20), familyId: "fam3", playerId, expiresAt: later });
    await store().issue({ hash: hash(21), familyId: "fam4", playerId, expiresAt: later });
    assert.deepEqual(await store().revokeFamilyOf(hash(20), "someone-else", now()), { familyId: "fam3", playerId });
    assert.equal(await store().isFamilyRevoked("fam3"), false, "another player's token revokes nothing");
    assert.deepEqual(await store().revokeFamilyOf(hash(20), playerId, now()), { familyId: "fam3", playerId });
    assert.equal(await store().isFamilyRevoked("fam3"), true);
    assert.equal(await store().isFamilyRevoked("fam4"), false);
    assert.equal(await store().revokeFamilyOf(hash(98), playerId, now()), undefined);
    await store().revokeAllOfPlayer(playerId, now());
    assert.equal(await store().isFamilyRevoked("fam4"), true);
  });

  it(`two concurrent presentations of one token: exactly one rotates [${kind}]`, async () => {
    await store().issue({ hash: hash(30), familyId: "fam5", playerId, expiresAt: later });
    const outcomes = await Promise.all([
      store().rotate(hash(30), { hash: hash(31), expiresAt: later }, now()),
      store().rotate(hash(30), { hash: hash(32), expiresAt: later }, now()),
    ]);
    assert.deepEqual(outcomes.map((o) => o.kind).sort(), ["reused", "rotated"]);
    assert.equal(await store().isFamilyRevoked("fam5"), true);
  });
});

forEachDatabase("PlayerStore credentials and bans", (db) => {
  const store = () => new SqlPlayerStore(db());

  it("links credentials to a guest once, refusing a taken name; sets and lifts bans", async () => {
    await store().create({ username: "Taken_Name", region: "eu", passwordHash: "h" });
    const guest = await store().create({ username: "guest_abc", region: "eu", deviceId: "dev-0123456789abcdef" });
    await assert.rejects(store().linkCredentials(guest.id, "taken_name", "h2"), UsernameTakenError);
    const linked = await store().linkCredentials(guest.id, "Real_Name", "h2");
    assert.equal(linked?.id, guest.id);
    assert.equal(linked?.username, "Real_Name");
    assert.equal(await store().linkCredentials(guest.id, "Other_Name", "h3"), undefined, "only once");
    const until = new Date("2030-01-01T00:00:00Z");
    assert.equal((await store().setBan(guest.id, until, "spam"))?.bannedUntil?.toISOString(), until.toISOString());
    assert.equal((await store().setBan(guest.id, null, null))?.bannedUntil, null);
    assert.equal(await store().setBan("missing", until, "x"), undefined);
  });
});
