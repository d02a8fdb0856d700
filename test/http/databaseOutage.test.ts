/**
 * HTTP answers while PostgreSQL is away (a private PostgreSQL, stopped): routes that need the database answer 503
 * UNAVAILABLE with `Retry-After` — what clients retry on (the browser client's rejoin retries while the answer is
 * 503) — not 500 "internal error", and the server logs a warning, not an error with a stack per request.
 */
import assert from "node:assert/strict";
import { captureLogger } from "../helpers/logger.ts";
import { PrivatePostgres } from "../helpers/privateServers.ts";
import { bootTestServer, jsonBody, postJson, registerPlayer, type TestServer } from "../helpers/server.ts";

describe("HTTP during a PostgreSQL outage [private postgres]", function () {
  this.timeout(60_000);
  let pg: PrivatePostgres;
  let server: TestServer;
  const captured = captureLogger();
  before(async () => {
    pg = await PrivatePostgres.start();
    server = await bootTestServer({
      database: "postgres",
      redis: false,
      databaseUrl: () => pg.url,
      logger: captured.logger,
    });
  });
  after(async () => {
    await pg.start().catch(() => undefined);
    await server?.close();
    await pg?.destroy();
  });

  it("a rejoin, a login and a profile read answer 503 with Retry-After, and nothing is logged as an error", async () => {
    const player = await registerPlayer(server);
    await pg.stop();
    captured.clear();
    const answers = [
      await postJson(server, "/sessions/some-session/rejoin", {}, { token: player.accessToken }),
      await postJson(server, "/auth/login", { username: player.player.username, password: "correct horse battery" }),
      await fetch(`${server.baseUrl}/players/${player.player.id}`),
    ];
    for (const answer of answers) {
      const body = await jsonBody(answer);
      assert.equal(answer.status, 503, `${answer.url}: ${JSON.stringify(body)}`);
      assert.equal(body.error.code, "UNAVAILABLE");
      assert.match(body.error.message, /database/);
      assert.ok(Number(answer.headers.get("retry-after")) > 0, "Retry-After");
    }
    assert.deepEqual(
      captured.errors().map((line) => line.msg),
      [],
      "no error-level line for an outage the readiness probe already reports",
    );
    await pg.start();
    assert.equal((await fetch(`${server.baseUrl}/players/${player.player.id}`)).status, 200, "served again after");
  });
});
