/**
 * GET /openapi.json against the running server: a valid OpenAPI 3.1 document (checked by a validator library); every
 * route the server mounts is described and every described route is served; and the real answers of every described
 * operation — successes and the refusals met on the way — validate against the schema the document gives for their
 * status, so neither requests nor answers can drift from the description. Also the reference page and its assets.
 */
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import path from "node:path";
import { Validator } from "@seriousme/openapi-schema-validator";
import { Ajv2020 } from "ajv/dist/2020.js";
import express, { type Application } from "express";
import { API_GROUPS } from "../../src/http/apiGroups.ts";
import { edgeApi } from "../../src/http/installEdge.ts";
import { buildOpenApi, UNDESCRIBED } from "../../src/http/openApi.ts";
import { mountedRoutes } from "../../src/http/routeTable.ts";
import { fullPath, openApiPath } from "../../src/http/routeSpec.ts";
import { type Duel, matchDuel, playColumns } from "../helpers/connect4.ts";
import { ADMIN_PASSWORD, bootTestServer, type Registered, registerPlayer, type TestServer } from "../helpers/server.ts";

type Json = Record<string, unknown>;
type Doc = { paths: Record<string, Record<string, Json>>; info: Json; servers: Json[]; openapi: string };

/** `METHOD /openapi/{template}` of every operation of `doc`. */
function operations(doc: Doc): Set<string> {
  return new Set(
    Object.entries(doc.paths).flatMap(([route, item]) => Object.keys(item).map((m) => `${m.toUpperCase()} ${route}`)),
  );
}

/**
 * Both directions of coverage: served routes (outside the deliberately undescribed prefixes) the document lacks,
 * and documented routes nothing serves.
 */
function coverageGaps(served: readonly string[], doc: Doc): { undescribed: string[]; unserved: string[] } {
  const documented = operations(doc);
  const excluded = (route: string) => UNDESCRIBED.some((u) => route.split(" ")[1]?.startsWith(u.prefix));
  return {
    undescribed: served.filter((route) => !documented.has(route) && !excluded(route)),
    unserved: [...documented].filter((route) => !served.includes(route)),
  };
}

const ADMIN = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}`;

describe("OpenAPI document and reference page [postgres, in-process]", function () {
  this.timeout(60_000);
  let server: TestServer;
  let doc: Doc;
  let ajv: Ajv2020;
  /** `METHOD template status` of every answer validated. */
  const seen = new Set<string>();

  before(async () => {
    server = await bootTestServer({ database: "postgres", redis: false });
    const res = await fetch(`${server.baseUrl}/openapi.json`);
    assert.equal(res.status, 200);
    assert.match(res.headers.get("content-type") ?? "", /^application\/json/);
    doc = (await res.json()) as Doc;
    ajv = new Ajv2020({ strict: false, allErrors: true });
    // zod writes a pattern beside every format it emits; the pattern is what is checked.
    for (const format of ["date-time", "email", "uri"]) ajv.addFormat(format, true);
    ajv.addSchema(doc, "openapi.json");
  });

  after(async () => {
    await server?.close();
  });

  /**
   * Calls the server and checks the answer against the document: its status is described for the operation, its
   * content type is the described one, and its body validates against the described schema.
   */
  async function answer(
    method: string,
    template: string,
    url: string,
    init: { body?: unknown; token?: string; headers?: Record<string, string>; rawBody?: string } = {},
  ): Promise<{ status: number; body: Json }> {
    const headers: Record<string, string> = { ...init.headers };
    if (init.token !== undefined) headers.authorization = `Bearer ${init.token}`;
    if (init.body !== undefined || init.rawBody !== undefined) headers["content-type"] = "application/json";
    const res = await fetch(`${server.baseUrl}${url}`, {
      method,
      headers,
      redirect: "manual",
      body: init.rawBody ?? (init.body === undefined ? undefined : JSON.stringify(init.body)),
    });
    const where = `${method} ${template} → ${res.status}`;
    const operation = doc.paths[template]?.[method.toLowerCase()] as Json | undefined;
    assert.ok(operation, `${method} ${template} is not in the document`);
    const described = (operation.responses as Record<string, Json>)[String(res.status)];
    const text = await res.text();
    assert.ok(described, `${where} is not described (${text.slice(0, 200)})`);
    seen.add(`${method} ${template} ${res.status}`);
    const content = described.content as Record<string, Json> | undefined;
    if (content === undefined) {
      assert.equal(text, "", `${where}: described without a body`);
      return { status: res.status, body: {} };
    }
    const type = (res.headers.get("content-type") ?? "").split(";")[0] as string;
    assert.ok(content[type], `${where}: content type ${type} is not described (${Object.keys(content)})`);
    if (type !== "application/json") return { status: res.status, body: {} };
    const pointer = `/paths/${template.replaceAll("~", "~0").replaceAll("/", "~1")}/${method.toLowerCase()}/responses/${res.status}/content/application~1json/schema`;
    const validate = ajv.getSchema(`openapi.json#${pointer}`);
    assert.ok(validate, `${where}: no schema at ${pointer}`);
    const body = JSON.parse(text) as Json;
    assert.ok(validate(body), `${where}: ${ajv.errorsText(validate.errors)} in ${text.slice(0, 500)}`);
    return { status: res.status, body };
  }

  it("is OpenAPI 3.1 (a validator library says so), versioned from package.json, served relative to /", async () => {
    assert.equal(doc.openapi, "3.1.0");
    const pkg = JSON.parse(readFileSync(path.resolve(import.meta.dirname, "../../package.json"), "utf8"));
    assert.equal(doc.info.version, pkg.version);
    assert.deepEqual(doc.servers, [{ url: "/" }]);
    const result = await new Validator().validate(structuredClone(doc) as never);
    assert.equal(result.valid, true, JSON.stringify(result.errors, null, 1));
  });

  it("the validator refuses a document with a broken $ref", async () => {
    const broken = JSON.parse(
      JSON.stringify(doc).replace('"#/components/schemas/Player"', '"#/components/schemas/Nobody"'),
    );
    const result = await new Validator().validate(broken);
    assert.equal(result.valid, false, "a $ref to a missing schema must fail validation");
  });

  it("is the document the route declarations generate (built once, from API_GROUPS)", () => {
    assert.deepEqual(
      doc,
      JSON.parse(JSON.stringify(buildOpenApi(API_GROUPS, { version: doc.info.version as string }))),
    );
  });

  it("describes every mounted route, and every described route is served", async () => {
    const app = (await server.colyseus.server.transport.getExpressApp?.()) as Application;
    const mounted = mountedRoutes(app).map((r) => `${r.method} ${openApiPath(r.path)}`);
    // The edge serves its route before express (installEdge.ts): it is not in express' router.
    const edge = Object.values(edgeApi.routes).map(
      (s) => `${s.method.toUpperCase()} ${openApiPath(fullPath(edgeApi, s))}`,
    );
    const gaps = coverageGaps([...mounted, ...edge], doc);
    assert.deepEqual(gaps, { undescribed: [], unserved: [] });
    assert.ok(mounted.length >= 25, `mountedRoutes found only ${mounted.length} routes`);

    // The check has teeth both ways: a route the document lacks, a documented one nothing serves.
    const extra = coverageGaps([...mounted, ...edge, "GET /players/{id}/friends"], doc);
    assert.deepEqual(extra.undescribed, ["GET /players/{id}/friends"]);
    const fewer = coverageGaps(
      [...mounted, ...edge].filter((r) => r !== "GET /healthz"),
      doc,
    );
    assert.deepEqual(fewer.unserved, ["GET /healthz"]);

    // The edge answers its route itself (its own 404 for an unknown method, not express' "no route").
    const res = await fetch(`${server.baseUrl}/matchmake/noSuchMethod/chat`, { method: "POST", body: "{}" });
    assert.equal(res.status, 404);
    assert.match(((await res.json()) as { error: { message: string } }).error.message, /unknown matchmaking method/);
    // What the document leaves out on purpose is really served.
    const monitor = await fetch(`${server.baseUrl}/colyseus`);
    assert.equal(monitor.status, 401, "the monitor asks for admin credentials");
    const init = await fetch(`${server.baseUrl}/docs/api/assets/init.js`);
    assert.equal(init.status, 200);
    for (const entry of UNDESCRIBED) assert.ok(entry.reason.length > 20, `${entry.prefix} needs a reason`);
  });

  it("the route walk sees routes mounted with router.all and routers mounted at several paths", () => {
    const app = express();
    const router = express.Router();
    router.all("/anything", (_req, res) => res.end());
    router.get("/thing/:id", (_req, res) => res.end());
    app.use(["/one", "/two"], router);
    const found = mountedRoutes(app).map((r) => `${r.method} ${r.path}`);
    assert.deepEqual(found, ["ALL /one/anything", "GET /one/thing/:id", "ALL /two/anything", "GET /two/thing/:id"]);
    assert.deepEqual(coverageGaps(["ALL /one/anything"], doc).undescribed, ["ALL /one/anything"]);
  });

  it("every operation's real answers validate against the schema described for their status", async () => {
    // Accounts.
    const taken = await registerPlayer(server);
    const reg = await answer("POST", "/auth/register", "/auth/register", {
      body: { username: `oa_${process.pid % 10_000}`, password: "correct horse battery" },
      headers: { "x-forwarded-for": "10.77.0.1" },
    });
    assert.equal(reg.status, 201);
    const me = reg.body as unknown as Registered;
    await answer("POST", "/auth/register", "/auth/register", {
      body: { username: taken.player.username, password: "correct horse battery" },
      headers: { "x-forwarded-for": "10.77.0.2" },
    }).then(({ status }) => assert.equal(status, 409));
    await answer("POST", "/auth/register", "/auth/register", {
      body: { username: "x", password: "correct horse battery" },
    }).then(({ status, body }) => {
      assert.equal(status, 400);
      assert.equal((body.error as Json).field, "username");
    });
    await answer("POST", "/auth/register", "/auth/register", {
      rawBody: JSON.stringify({ pad: "x".repeat(17_000) }),
    }).then(({ status }) => assert.equal(status, 413));
    const login = await answer("POST", "/auth/login", "/auth/login", {
      body: { username: me.player.username, password: "correct horse battery" },
    });
    assert.equal(login.status, 200);
    await answer("POST", "/auth/login", "/auth/login", {
      body: { username: me.player.username, password: "wrong password!!" },
      headers: { "x-forwarded-for": "10.77.0.3" },
    }).then(({ status }) => assert.equal(status, 401));
    const refreshed = await answer("POST", "/auth/refresh", "/auth/refresh", {
      body: { refreshToken: (login.body as unknown as Registered).refreshToken },
    });
    assert.equal(refreshed.status, 200);
    const logout = await answer("POST", "/auth/logout", "/auth/logout", {
      token: me.accessToken,
      body: { refreshToken: refreshed.body.refreshToken },
    });
    assert.equal(logout.status, 204);
    const guest = await answer("POST", "/auth/guest", "/auth/guest", {
      body: { deviceId: `openapi-device-${process.pid}-0123456789` },
      headers: { "x-forwarded-for": "10.77.0.4" },
    });
    assert.equal(guest.status, 200);
    const linked = await answer("POST", "/auth/link", "/auth/link", {
      token: (guest.body as unknown as Registered).accessToken,
      body: { username: `oal_${process.pid % 10_000}`, password: "correct horse battery" },
    });
    assert.equal(linked.status, 200);

    // Players.
    await answer("GET", "/players/me", "/players/me").then(({ status }) => assert.equal(status, 401));
    assert.equal((await answer("GET", "/players/me", "/players/me", { token: me.accessToken })).status, 200);
    const region = (
      await answer("PATCH", "/players/me", "/players/me", { token: me.accessToken, body: { region: "local" } })
    ).status;
    assert.equal(region, 200);
    assert.equal((await answer("GET", "/players/{id}", `/players/${me.player.id}`)).status, 200);
    assert.equal((await answer("GET", "/players/{id}", "/players/no-such-player")).status, 404);
    const block = { token: me.accessToken, body: { playerId: taken.player.id } };
    assert.equal((await answer("POST", "/players/me/blocks", "/players/me/blocks", block)).status, 204);
    const unblock = `/players/me/blocks/${taken.player.id}`;
    assert.equal(
      (await answer("DELETE", "/players/me/blocks/{playerId}", unblock, { token: me.accessToken })).status,
      204,
    );

    // Operations, games, the description itself, the client.
    assert.equal((await answer("GET", "/healthz", "/healthz")).status, 200);
    assert.equal((await answer("GET", "/readyz", "/readyz")).status, 200);
    assert.equal((await answer("GET", "/metrics", "/metrics")).status, 200);
    assert.equal((await answer("GET", "/games", "/games")).status, 200);
    assert.equal((await answer("GET", "/openapi.json", "/openapi.json")).status, 200);
    assert.equal((await answer("GET", "/docs/api", "/docs/api")).status, 200);
    // 200 with a built client, 503 (described) without one.
    assert.ok([200, 503].includes((await answer("GET", "/", "/")).status));
    // The icon: 200 from a built client, else 404 (described); /favicon.ico redirects to it.
    assert.ok([200, 404].includes((await answer("GET", "/favicon.svg", "/favicon.svg")).status));
    assert.equal((await answer("GET", "/favicon.ico", "/favicon.ico")).status, 301);

    // Leaderboards and sessions, around a live Connect Four match.
    assert.equal((await answer("GET", "/leaderboards", "/leaderboards")).status, 200);
    assert.equal((await answer("GET", "/leaderboards/{board}", "/leaderboards/rating?limit=5")).status, 200);
    assert.equal((await answer("GET", "/leaderboards/{board}", "/leaderboards/rating?limit=0")).status, 400);
    assert.equal((await answer("GET", "/leaderboards/{board}", "/leaderboards/no-such-board")).status, 404);
    const duel: Duel = await matchDuel(server);
    const [first] = duel.players;
    // The match's session row is written as the room starts, a moment after its players may already be in it.
    let found = 404;
    for (const deadline = Date.now() + 10_000; found === 404 && Date.now() < deadline; ) {
      found = (await answer("GET", "/sessions/{id}", `/sessions/${duel.sessionId}`)).status;
      if (found === 404) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.equal(found, 200);
    assert.equal((await answer("GET", "/sessions", "/sessions?status=active")).status, 200);
    assert.equal((await answer("GET", "/sessions", "/sessions?status=bogus")).status, 400);
    const rejoin = `/sessions/${duel.sessionId}/rejoin`;
    assert.equal((await answer("POST", "/sessions/{id}/rejoin", rejoin, { token: first.accessToken })).status, 200);
    assert.equal((await answer("POST", "/sessions/{id}/rejoin", rejoin, { token: me.accessToken })).status, 403);
    const rollback = `/admin/sessions/${duel.sessionId}/rollback`;
    const admin = { authorization: ADMIN };
    // Connect Four stores a snapshot after every move (the write lands a moment later).
    await playColumns(duel, [0]);
    let version: number | undefined;
    for (const deadline = Date.now() + 10_000; version === undefined && Date.now() < deadline; ) {
      version = (await server.services.sessions.snapshot(duel.sessionId))?.version;
      if (version === undefined) await new Promise((resolve) => setTimeout(resolve, 100));
    }
    assert.ok(version !== undefined, "a snapshot was stored");
    const rolledBack = (
      await answer("POST", "/admin/sessions/{id}/rollback", rollback, { headers: admin, body: { version } })
    ).status;
    assert.equal(rolledBack, 200);
    const matchmake = await answer("POST", "/matchmake/{method}/{roomName}", "/matchmake/joinOrCreate/chat", {
      token: me.accessToken,
      body: { channel: "global" },
    });
    assert.equal(matchmake.status, 200);
    const refused = await answer("POST", "/matchmake/{method}/{roomName}", "/matchmake/joinOrCreate/matchmaking", {
      token: me.accessToken,
      body: { mode: "no-such-mode" },
    });
    assert.equal(refused.status, 400);
    // A won match puts both players on the game's rating board.
    await playColumns(duel, [1, 0, 1, 0, 1, 0]);
    let ranked = 404;
    for (let tries = 0; ranked !== 200 && tries < 50; tries++) {
      if (tries > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      ranked = (
        await answer(
          "GET",
          "/leaderboards/{board}/players/{playerId}",
          `/leaderboards/rating:connect4/players/${first.player.id}`,
        )
      ).status;
    }
    assert.equal(ranked, 200);
    const around = `/leaderboards/rating:connect4/around/${first.player.id}?limit=3`;
    assert.equal((await answer("GET", "/leaderboards/{board}/around/{playerId}", around)).status, 200);
    for (const room of duel.bySeat) await room.leave().catch(() => undefined);

    // Administration.
    const mute = `/admin/players/${taken.player.id}/mute`;
    assert.equal((await answer("POST", "/admin/players/{id}/mute", mute, { body: { minutes: 5 } })).status, 401);
    assert.equal(
      (await answer("POST", "/admin/players/{id}/mute", mute, { headers: admin, body: { minutes: 5 } })).status,
      204,
    );
    const ban = `/admin/players/${taken.player.id}/ban`;
    assert.equal(
      (await answer("POST", "/admin/players/{id}/ban", ban, { headers: admin, body: { reason: "spam" } })).status,
      204,
    );

    // Every described operation answered with one of its described successes.
    const succeeded = new Set([...seen].filter((s) => /\s[23]\d\d$/.test(s)).map((s) => s.replace(/\s\d+$/, "")));
    succeeded.add("GET /"); // 200 needs a built client (npm run build:client); its 503 was checked above
    succeeded.add("GET /favicon.svg"); // likewise; its 404 was checked above
    assert.deepEqual(
      [...operations(doc)].filter((op) => !succeeded.has(op)),
      [],
      "operations never seen answering successfully",
    );
  });

  it("serves the reference page and its scripts from this server (no CDN, no inline script)", async () => {
    const page = await fetch(`${server.baseUrl}/docs/api`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get("content-type") ?? "", /^text\/html/);
    assert.match(page.headers.get("content-security-policy") ?? "", /script-src 'self'/);
    const html = await page.text();
    const sources = [...html.matchAll(/<(?:script|link)[^>]+(?:src|href)="([^"]+)"/g)].map((m) => m[1] as string);
    assert.ok(sources.length >= 3, html);
    for (const source of sources) assert.match(source, /^\/docs\/api\/assets\//, `${source} is not served from here`);
    assert.doesNotMatch(html, /<script>/, "inline scripts are refused by the CSP");
    const expected: Record<string, RegExp> = {
      "swagger-ui-bundle.js": /javascript/,
      "init.js": /javascript/,
      "swagger-ui.css": /^text\/css/,
      "favicon-32x32.png": /^image\/png/,
    };
    for (const [file, type] of Object.entries(expected)) {
      const res = await fetch(`${server.baseUrl}/docs/api/assets/${file}`);
      assert.equal(res.status, 200, file);
      assert.match(res.headers.get("content-type") ?? "", type, file);
      assert.ok((await res.arrayBuffer()).byteLength > 100, `${file} is empty`);
    }
    // A browser asks for /favicon.ico with Accept: text/html; the redirect's body is still the described one.
    const ico = await answer("GET", "/favicon.ico", "/favicon.ico", { headers: { accept: "text/html,*/*" } });
    assert.equal(ico.status, 301);
    // Nothing else of the package's folder: its own index page would load the public Petstore document.
    assert.equal((await fetch(`${server.baseUrl}/docs/api/assets/swagger-initializer.js`)).status, 404);
    assert.equal((await fetch(`${server.baseUrl}/docs/api/assets/index.html`)).status, 404);
  });
});
