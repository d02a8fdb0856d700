import assert from "node:assert/strict";
import { ADMIN_PASSWORD, bootTestServer, jsonBody, SERVER_MATRIX, type TestServer } from "../helpers/server.ts";

for (const setup of SERVER_MATRIX) {
  describe(`HTTP edge [${setup.database}, ${setup.redis ? "redis" : "in-process"}]`, function () {
    this.timeout(30_000);
    let server: TestServer;
    before(async () => {
      server = await bootTestServer(setup);
    });
    after(() => server.close());

    it("GET /healthz answers 200", async () => {
      const res = await fetch(`${server.baseUrl}/healthz`);
      assert.equal(res.status, 200);
      assert.equal((await jsonBody(res)).status, "ok");
    });

    it("GET /readyz answers 200 and names the database and Redis in use", async () => {
      const res = await fetch(`${server.baseUrl}/readyz`);
      assert.equal(res.status, 200);
      const body = await jsonBody(res);
      assert.equal(body.status, "ready");
      assert.equal(body.database.kind, setup.database);
      assert.equal(body.database.ok, true);
      assert.equal(body.redis.configured, setup.redis);
      if (setup.redis) assert.equal(body.redis.ok, true);
    });

    it("unknown routes answer 404 in the error shape, without a stack", async () => {
      const res = await fetch(`${server.baseUrl}/no/such/route`);
      assert.equal(res.status, 404);
      const body = await jsonBody(res);
      assert.equal(body.error.code, "NOT_FOUND");
      assert.match(body.error.message, /no route/);
      assert.doesNotMatch(JSON.stringify(body), /at .*\.ts:\d+/);
    });

    it("a body over 16 KiB answers 413 and malformed JSON answers 400 naming the body", async () => {
      const big = await fetch(`${server.baseUrl}/no/such/route`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify({ pad: "x".repeat(17 * 1024) }),
      });
      assert.equal(big.status, 413);
      assert.equal((await jsonBody(big)).error.code, "PAYLOAD_TOO_LARGE");
      const bad = await fetch(`${server.baseUrl}/no/such/route`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: '{"a":',
      });
      assert.equal(bad.status, 400);
      assert.deepEqual((await jsonBody(bad)).error, {
        code: "INVALID_INPUT",
        message: "request body is not valid JSON",
        field: "body",
      });
    });

    it("sets security headers", async () => {
      const res = await fetch(`${server.baseUrl}/healthz`);
      assert.equal(res.headers.get("x-content-type-options"), "nosniff");
      assert.equal(res.headers.get("x-frame-options"), "SAMEORIGIN");
      assert.match(res.headers.get("content-security-policy") ?? "", /default-src 'self'/);
      assert.equal(res.headers.get("x-powered-by"), null);
    });

    it("the monitor panel requires the admin credentials", async () => {
      const anonymous = await fetch(`${server.baseUrl}/colyseus/`);
      assert.equal(anonymous.status, 401);
      assert.match(anonymous.headers.get("www-authenticate") ?? "", /Basic/);
      const wrong = await fetch(`${server.baseUrl}/colyseus/`, {
        headers: { authorization: `Basic ${Buffer.from("admin:nope").toString("base64")}` },
      });
      assert.equal(wrong.status, 401);
      const admin = await fetch(`${server.baseUrl}/colyseus/`, {
        headers: { authorization: `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}` },
      });
      assert.equal(admin.status, 200);
      assert.match(admin.headers.get("content-type") ?? "", /html/);
    });
  });
}
