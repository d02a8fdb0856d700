/**
 * GET /metrics, scraped as Prometheus would, after real traffic: logins, a lobby client, a match searched, formed and
 * played for a moment. The names the operations docs promise are present, and the values follow the traffic.
 */
import assert from "node:assert/strict";
import { readFile } from "node:fs/promises";
import path from "node:path";
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

/** One sample line of the exposition text: `name{label="value",…} value`. */
interface Sample {
  name: string;
  labels: Map<string, string>;
  line: string;
}

/** Every sample line (comments skipped), with its labels parsed (escaped quotes inside values kept as written). */
function samples(text: string): Sample[] {
  const parsed: Sample[] = [];
  for (const line of text.split("\n")) {
    if (line.startsWith("#") || line.trim() === "") continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? \S+$/.exec(line);
    assert.ok(match, `a sample line: ${line}`);
    const labels = new Map<string, string>();
    const body = match[2] ?? "";
    const pair = /([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)",?/gy;
    let parsedUpTo = 0;
    for (let found = pair.exec(body); found !== null; found = pair.exec(body)) {
      assert.ok(!labels.has(found[1]!), `${found[1]} appears once in ${line}`);
      labels.set(found[1]!, found[2]!);
      parsedUpTo = pair.lastIndex;
    }
    assert.equal(parsedUpTo, body.length, `every label of ${line} parsed`);
    parsed.push({ name: match[1]!, labels, line });
  }
  return parsed;
}

/**
 * Every sample of the framework's metrics (`arena_*`) and of the process (`process_*`, `nodejs_*`) carries
 * `region="<region>"` (API.md: "Every `arena_*` metric carries the `region` label"); returns the metric names seen.
 * The two matchmaking metrics that label the pool's region instead agree here: the server serves only its own.
 */
function assertEverySampleInRegion(text: string, region: string): Set<string> {
  const names = new Set<string>();
  for (const { name, labels, line } of samples(text)) {
    if (!/^(arena|process|nodejs)_/.test(name)) continue;
    assert.equal(labels.get("region"), region, `region="${region}" on ${line}`);
    names.add(name);
  }
  return names;
}

/**
 * Each query of the sample Grafana dashboard groups its metrics only by labels their scraped samples have: a
 * `sum by (region)` over samples without `region` draws one unlabelled line. `le` (histogram buckets) and
 * `instance` (added by Prometheus) are not in a scrape; metrics without samples in `text` are not checked.
 */
async function assertDashboardGroupsByScrapedLabels(text: string): Promise<number> {
  const file = path.resolve(import.meta.dirname, "../../deploy/grafana-dashboard.json");
  const dashboard = JSON.parse(await readFile(file, "utf8")) as {
    panels: Array<{ targets?: Array<{ expr: string }> }>;
  };
  const scraped = samples(text);
  let checked = 0;
  for (const { expr } of dashboard.panels.flatMap((panel) => panel.targets ?? [])) {
    const groups = [...expr.matchAll(/\bby \(([^)]*)\)/g)]
      .flatMap((by) => by[1]!.split(",").map((label) => label.trim()))
      .filter((label) => label !== "le" && label !== "instance");
    for (const [name] of expr.matchAll(/\b(?:arena|process|nodejs)_[a-z0-9_]+/g)) {
      const present = scraped.filter((sample) => sample.name === name);
      for (const label of present.length === 0 ? [] : groups) {
        assert.ok(
          present.every((sample) => sample.labels.has(label)),
          `the dashboard's "${expr}" groups ${name} by ${label}`,
        );
        checked += 1;
      }
    }
  }
  return checked;
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
    const labelled = assertEverySampleInRegion(text, "eu");
    for (const name of [
      "arena_ccu",
      "arena_rooms",
      "arena_tick_duration_seconds_bucket",
      "arena_tick_duration_seconds_count",
      "arena_ws_bytes_sent_total",
      "arena_matchmaking_queue_depth",
      "arena_matchmaking_time_to_match_seconds_sum",
      "arena_logins_total",
      "arena_snapshot_duration_seconds_bucket",
      "arena_inputs_stale_total",
      "arena_process_info",
      "process_cpu_seconds_total",
      "nodejs_eventloop_lag_p99_seconds",
    ]) {
      assert.ok(labelled.has(name), `${name} was among the samples checked`);
    }
    assert.ok((await assertDashboardGroupsByScrapedLabels(text)) >= 5, "the dashboard's groupings were checked");

    // A client's average send rate is observed when its socket closes.
    await arena.leave();
    await lobby.leave();
    await new Promise((resolve) => setTimeout(resolve, 100));
    const after = await (await fetch(`${server.baseUrl}/metrics`)).text();
    assert.equal(sample(after, "arena_client_bytes_per_second_count", { room: "arena" }), 1);
    assert.equal(sample(after, "arena_ccu", { room: "chat" }) ?? 0, 0, "the lobby client is gone");
    assert.ok(assertEverySampleInRegion(after, "eu").has("arena_client_bytes_per_second_bucket"));
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
