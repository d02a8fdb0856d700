/**
 * Hostile input never becomes a 500: every mounted route (read from the app itself, so a new route cannot escape
 * this walk) is sent NUL characters in its body fields, query fields and path parameters, malformed percent-escapes
 * in its path parameters, and a body that claims `Content-Encoding: gzip`, `deflate` or `br` but is not. Each answers 400 naming the
 * field, logs nothing at error level, and costs the database nothing (arena_database_errors_total unchanged).
 */
import assert from "node:assert/strict";
import { gzipSync } from "node:zlib";
import type { Application } from "express";
import { type MountedRoute, mountedRoutes } from "../../src/http/routeTable.ts";
import { captureLogger } from "../helpers/logger.ts";
import {
  ADMIN_PASSWORD,
  bootTestServer,
  jsonBody,
  type Registered,
  registerPlayer,
  type TestServer,
} from "../helpers/server.ts";

/**
 * A body every route would accept (each takes the fields it knows): every body field of the API (shared/API.md),
 * plus one it does not know. Each case replaces one field, so the request would reach the handler and the database.
 */
function validBody(region: string): Record<string, unknown> {
  return {
    username: "valid_name_1",
    password: "correct horse battery",
    region,
    deviceId: "device-0123456789abcdef",
    refreshToken: "not-a-known-refresh-token",
    playerId: "00000000-0000-4000-8000-000000000001",
    minutes: 5,
    reason: "spam",
    version: 1,
    unknown: "x",
  };
}
/** Every query field of the API, plus one it does not know. */
const QUERY_FIELDS = ["limit", "offset", "status", "region", "unknown"];
const MALFORMED_ESCAPES = ["%E0%A4%A", "abc%zz", "%"];
const HAS_BODY = new Set(["POST", "PATCH", "PUT", "DELETE"]);

for (const setup of [
  { database: "postgres", redis: true },
  { database: "pglite", redis: false },
] as const) {
  describe(`hostile input on every route [${setup.database}, ${setup.redis ? "redis" : "in-process"}]`, function () {
    this.timeout(120_000);
    const capture = captureLogger();
    let server: TestServer;
    let routes: MountedRoute[];
    let player: Registered;
    let board: string;

    before(async () => {
      server = await bootTestServer({ ...setup, logger: capture.logger });
      const app = (await server.colyseus.server.transport.getExpressApp?.()) as Application;
      routes = mountedRoutes(app);
      player = await registerPlayer(server);
      board = server.services.leaderboards.list()[0]?.id ?? "rating";
    });
    after(() => server.close());

    async function databaseErrors(): Promise<number> {
      const { values } = await server.services.metrics.databaseErrors.get();
      return values.reduce((sum, value) => sum + value.value, 0);
    }

    function authorization(route: MountedRoute): string {
      return route.path.startsWith("/admin")
        ? `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}`
        : `Bearer ${player.accessToken}`;
    }

    /** The route's path with `value` in parameter `param` and a plausible value in the others. */
    function pathWith(route: MountedRoute, param?: string, value?: string): string {
      return route.path.replace(/:(\w+)/g, (_match, name: string) => {
        if (name === param) return value as string;
        if (name === "board") return board;
        return name === "playerId" ? player.player.id : "00000000-0000-4000-8000-000000000000";
      });
    }

    /** The hostile requests for one route, each with the field its 400 must name. */
    function casesOf(route: MountedRoute): Array<{ label: string; field: string; init: RequestInit; url: string }> {
      const cases: Array<{ label: string; field: string; init: RequestInit; url: string }> = [];
      const headers = { authorization: authorization(route), "content-type": "application/json" };
      const base = `${server.baseUrl}${pathWith(route)}`;
      for (const param of route.params) {
        for (const value of ["x%00y", "%00", ...MALFORMED_ESCAPES]) {
          cases.push({
            label: `path :${param} = ${value}`,
            field: param,
            url: `${server.baseUrl}${pathWith(route, param, value)}`,
            init: { method: route.method, headers, ...(HAS_BODY.has(route.method) ? { body: "{}" } : {}) },
          });
        }
      }
      if (HAS_BODY.has(route.method)) {
        const valid = validBody(server.config.region);
        for (const field of Object.keys(valid)) {
          cases.push({
            label: `body ${field} with NUL`,
            field,
            url: base,
            init: { method: route.method, headers, body: JSON.stringify({ ...valid, [field]: "x\u0000y" }) },
          });
        }
        cases.push({
          label: "nested body field with NUL",
          field: "options.name",
          url: base,
          init: {
            method: route.method,
            headers,
            body: JSON.stringify({ ...valid, options: { name: "\u0000" } }),
          },
        });
        cases.push({
          label: "deeply nested body field",
          field: "options",
          url: base,
          init: {
            method: route.method,
            headers,
            body: `${JSON.stringify({ ...valid }).slice(0, -1)},"options":${"[".repeat(5000)}${"]".repeat(5000)}}`,
          },
        });
        cases.push({
          label: "deeply nested body",
          field: "body",
          url: base,
          init: { method: route.method, headers, body: `${"[".repeat(5000)}${"]".repeat(5000)}` },
        });
        for (const encoding of ["gzip", "deflate", "br"]) {
          cases.push({
            label: `bogus ${encoding} body`,
            field: "body",
            url: base,
            init: {
              method: route.method,
              headers: { ...headers, "content-encoding": encoding },
              body: `{"username":"not ${encoding} at all"}`,
            },
          });
        }
      } else {
        for (const field of QUERY_FIELDS) {
          cases.push({ label: `query ${field}=%00`, field, url: `${base}?${field}=a%00b`, init: { headers } });
        }
      }
      return cases;
    }

    it("the walk covers every route with an id, body or query", () => {
      const paths = routes.map((route) => `${route.method} ${route.path}`);
      for (const expected of [
        "POST /auth/login",
        "POST /auth/register",
        "GET /players/:id",
        "DELETE /players/me/blocks/:playerId",
        "POST /players/me/blocks",
        "GET /sessions/:id",
        "POST /sessions/:id/rejoin",
        "GET /sessions",
        "GET /leaderboards/:board/around/:playerId",
        "POST /admin/players/:id/ban",
        "POST /admin/sessions/:id/rollback",
      ]) {
        assert.ok(paths.includes(expected), `${expected} is mounted and walked (found: ${paths.join(", ")})`);
      }
    });

    it("answers 400 naming the field, logs no error and costs the database nothing", async () => {
      const before = await databaseErrors();
      capture.clear();
      const wrong: string[] = [];
      let count = 0;
      for (const route of routes) {
        for (const hostile of casesOf(route)) {
          count += 1;
          const res = await fetch(hostile.url, hostile.init);
          const text = await res.text();
          let body: { error?: { code?: string; field?: string } } = {};
          try {
            body = JSON.parse(text);
          } catch {
            // reported below as a wrong answer
          }
          if (res.status !== 400 || body.error?.code !== "INVALID_INPUT" || body.error.field !== hostile.field) {
            wrong.push(`${route.method} ${route.path} ${hostile.label}: ${res.status} ${text.slice(0, 160)}`);
          }
        }
      }
      assert.ok(count > 200, `walked ${count} cases`);
      assert.deepEqual(wrong, [], `${wrong.length} of ${count} cases answered wrongly`);
      assert.deepEqual(
        capture.errors().map((line) => line.msg),
        [],
        "no error-level log line",
      );
      assert.equal(await databaseErrors(), before, "arena_database_errors_total did not move");
    });

    it("valid requests still pass the guard: an escaped path, a real gzip body", async () => {
      const res = await fetch(`${server.baseUrl}/players/${encodeURIComponent(player.player.id)}`);
      assert.equal(res.status, 200);
      assert.equal((await jsonBody(res)).id, player.player.id);
      const gzipped = await fetch(`${server.baseUrl}/auth/guest`, {
        method: "POST",
        headers: { "content-type": "application/json", "content-encoding": "gzip" },
        body: gzipSync(JSON.stringify({ deviceId: "gzip-device-0123456789abcdef" })),
      });
      assert.equal(gzipped.status, 200);
      assert.equal((await jsonBody(gzipped)).player.guest, true);
    });
  });
}
