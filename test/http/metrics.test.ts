/**
 * GET /metrics, scraped as Prometheus would, after real traffic: logins, a lobby client, a match searched, formed and
 * played for a moment. The names the operations docs promise are present, and the values follow the traffic.
 */
import assert from "node:assert/strict";
import type { Room as ClientRoom } from "@colyseus/sdk";
import { RoomName } from "../../src/protocol.ts";
import { bootTestServer, postJson, registerPlayer, sdkFor, type TestServer } from "../helpers/server.ts";

/** The value of one sample (`name{labels} value`) in the exposition text; undefined when absent. */
function sample(text: string, name: string, labels: Record<string, string> = {}): number | undefined {
  for (const line of text.split("\n")) {
    if (!line.startsWith(`${name}{`) && !line.startsWith(`${name} `)) continue;
    if (!Object.entries(labels).every(([key, value]) => line.includes(`${key}="${value}"`))) continue;
    return Number(line.slice(line.lastIndexOf(" ") + 1));
  }
  return undefined;
}

describe("metrics [postgres, redis]", function () {
  this.timeout(60_000);
  let server: TestServer;

  before(async () => {
    server = await bootTestServer({
      database: "postgres",
      redis: true,
      env: { BOT_FILL_SEC: "1", SNAPSHOT_INTERVAL_MS: "200", REGION: "eu", REGIONS: "eu" },
    });
  });
  after(() => server.close());

  it("exposes CCU, rooms, ticks, bytes, event loop, queue, time-to-match, logins, snapshots and errors", async () => {
    const guest = await postJson(server, "/auth/guest", { deviceId: "metrics-device-0001" });
    assert.equal(guest.status, 200);
    const failed = await postJson(server, "/auth/login", { username: "nobody_here", password: "wrong password!" });
    assert.equal(failed.status, 401);
    const player = await registerPlayer(server);

    const lobby = await sdkFor(server, player.accessToken).joinOrCreate(RoomName.Chat, { channel: "global" });
    lobby.onMessage("*", () => {});
    const search = await sdkFor(server, player.accessToken).joinOrCreate(RoomName.Matchmaking, { mode: "duel" });
    search.onMessage("*", () => {});
    const queued = await (await fetch(`${server.baseUrl}/metrics`)).text();
    assert.equal(
      sample(queued, "arena_matchmaking_queue_depth", { game: "arena", mode: "duel", pool_region: "eu" }),
      1,
      "a search without game is counted in the default game's pool",
    );

    // BOT_FILL_SEC=1: a bot joins the duel after a second.
    const seat = await search.waitForMessage("seat", 15_000);
    await search.leave();
    const arena: ClientRoom = await sdkFor(server).consumeSeatReservation(seat);
    arena.onMessage("*", () => {});
    await new Promise((resolve) => setTimeout(resolve, 1500));

    const res = await fetch(`${server.baseUrl}/metrics`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^text\/plain; version=0\.0\.4/);
    const text = await res.text();
    for (const name of [
      "arena_ccu",
      "arena_rooms",
      "arena_tick_duration_seconds",
      "arena_ws_bytes_sent_total",
      "arena_client_bytes_per_second",
      "nodejs_eventloop_lag_p99_seconds",
      "arena_matchmaking_queue_depth",
      "arena_matchmaking_time_to_match_seconds",
      "arena_matchmaking_refused_total",
      "arena_logins_total",
      "arena_snapshot_duration_seconds",
      "arena_inputs_stale_total",
      "arena_database_errors_total",
      "arena_redis_errors_total",
      "process_cpu_seconds_total",
      "process_resident_memory_bytes",
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${name} `, "m"), `${name} is exposed`);
    }
    assert.equal(sample(text, "arena_ccu", { room: "chat" }), 1);
    assert.equal(sample(text, "arena_ccu", { room: "arena" }), 1);
    assert.equal(sample(text, "arena_rooms", { type: "arena" }), 1);
    assert.ok((sample(text, "arena_tick_duration_seconds_count", { room: "arena" }) ?? 0) >= 20, "ticks observed");
    assert.ok(
      (sample(text, "arena_snapshot_duration_seconds_count", { room: "arena" }) ?? 0) >= 3,
      "snapshots observed, labelled with the room (the game)",
    );
    assert.ok((sample(text, "arena_ws_bytes_sent_total", { room: "arena" }) ?? 0) > 500, "patches were sent");
    assert.equal(
      sample(text, "arena_matchmaking_time_to_match_seconds_count", { game: "arena", mode: "duel", region: "eu" }),
      1,
    );
    assert.ok((sample(text, "arena_matchmaking_time_to_match_seconds_sum", { mode: "duel" }) ?? 0) >= 1);
    assert.equal(sample(text, "arena_logins_total", { method: "guest", outcome: "success" }), 1);
    assert.equal(sample(text, "arena_logins_total", { method: "login", outcome: "failure" }), 1);
    assert.equal(sample(text, "arena_logins_total", { method: "register", outcome: "success" }), 1);
    assert.ok((sample(text, "nodejs_eventloop_lag_p99_seconds") ?? -1) >= 0);
    assert.match(text, /region="eu"/, "every sample carries the process' region");

    // A client's average send rate is observed when its socket closes.
    await arena.leave();
    await lobby.leave();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await (await fetch(`${server.baseUrl}/metrics`)).text();
    assert.equal(sample(after, "arena_client_bytes_per_second_count", { room: "arena" }), 1);
    assert.equal(sample(after, "arena_ccu", { room: "chat" }) ?? 0, 0, "the lobby client is gone");
  });

  it("counts database errors by kind", async () => {
    const before = sample(await (await fetch(`${server.baseUrl}/metrics`)).text(), "arena_database_errors_total", {
      kind: "statement",
    });
    await assert.rejects(server.services.db.query("SELECT * FROM no_such_table"));
    const text = await (await fetch(`${server.baseUrl}/metrics`)).text();
    assert.equal(sample(text, "arena_database_errors_total", { kind: "statement" }), (before ?? 0) + 1);
  });

  it("/colyseus (the monitor) refuses requests without admin credentials", async () => {
    const anonymous = await fetch(`${server.baseUrl}/colyseus/`);
    assert.equal(anonymous.status, 401);
    const wrong = await fetch(`${server.baseUrl}/colyseus/`, {
      headers: { authorization: `Basic ${Buffer.from("admin:not-the-password").toString("base64")}` },
    });
    assert.equal(wrong.status, 401);
  });
});
