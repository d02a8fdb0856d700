import assert from "node:assert/strict";
import { SignJWT } from "jose";
import { THROTTLE } from "../../src/services/auth/LoginThrottle.ts";
import { ratingKeys } from "../../src/services/games/GameDefinition.ts";
import { TOKEN_AUDIENCE, TOKEN_ISSUER } from "../../src/services/auth/TokenService.ts";
import { CloseCode } from "../../src/protocol.ts";
import { FaultyRoom } from "../rooms/FaultyRoom.ts";
import { captureLogger, LOG_LEVEL } from "../helpers/logger.ts";
import { nextLeave } from "../helpers/peer.ts";
import {
  ADMIN_PASSWORD,
  bootTestServer,
  jsonBody,
  postJson,
  type Registered,
  registerPlayer,
  SERVER_MATRIX,
  sdkFor,
  type TestServer,
} from "../helpers/server.ts";

const PASSWORD = "correct horse battery";
let ipCounter = 0;
/** A client address of its own, so one test's throttling never touches another's. */
function freshIp(): string {
  ipCounter += 1;
  return `10.${ipCounter >> 16}.${(ipCounter >> 8) & 255}.${ipCounter & 255}`;
}

function get(server: TestServer, path: string, token?: string): Promise<Response> {
  return fetch(`${server.baseUrl}${path}`, {
    headers: token === undefined ? {} : { authorization: `Bearer ${token}` },
  });
}

async function expectError(res: Response, status: number, code: string, field?: string): Promise<void> {
  const body = await jsonBody(res);
  assert.equal(res.status, status, JSON.stringify(body));
  assert.equal(body.error.code, code);
  if (field !== undefined) assert.equal(body.error.field, field);
}

for (const setup of SERVER_MATRIX) {
  describe(`auth [${setup.database}, ${setup.redis ? "redis" : "in-process"}]`, function () {
    this.timeout(60_000);
    let server: TestServer;
    const secret = new TextEncoder().encode("test-jwt-secret-that-is-at-least-32-bytes-long");
    const capture = captureLogger();

    before(async () => {
      server = await bootTestServer({
        ...setup,
        extraRooms: { faulty: FaultyRoom },
        env: { REGIONS: "local,eu" },
        logger: capture.logger,
      });
    });
    after(() => server.close());
    afterEach(() => server.colyseus.cleanup());

    describe("register and login", () => {
      it("registers with 201, the documented shape, and the default region", async () => {
        const res = await postJson(
          server,
          "/auth/register",
          { username: "Reg_One", password: PASSWORD },
          { ip: freshIp() },
        );
        assert.equal(res.status, 201);
        const body = await jsonBody(res);
        assert.deepEqual(Object.keys(body).sort(), ["accessToken", "expiresIn", "player", "refreshToken"]);
        assert.deepEqual(Object.keys(body.player).sort(), [
          "currentSessionId",
          "guest",
          "id",
          "losses",
          "rating",
          "ratingDeviation",
          "ratings",
          "region",
          "username",
          "wins",
        ]);
        // A rating per rating key of every registered game, all at the start.
        const keys = server.services.games.list().flatMap(ratingKeys);
        assert.deepEqual(Object.keys(body.player.ratings).sort(), [...keys].sort());
        for (const key of keys) {
          assert.deepEqual(body.player.ratings[key], {
            rating: 1500,
            ratingDeviation: 350,
            wins: 0,
            losses: 0,
            draws: 0,
          });
        }
        assert.equal(body.player.username, "Reg_One");
        assert.equal(body.player.region, "local");
        assert.equal(body.player.guest, false);
        assert.equal(body.expiresIn, 600);
        assert.equal(Buffer.from(body.refreshToken, "base64url").length, 32, "256-bit refresh token");
      });

      it("refuses a taken username in any case with 409", async () => {
        await registerPlayer(server, "Dup_Name");
        const res = await postJson(
          server,
          "/auth/register",
          { username: "dup_NAME", password: PASSWORD },
          { ip: freshIp() },
        );
        await expectError(res, 409, "CONFLICT", "username");
      });

      it("refuses bad input with 400 naming the field", async () => {
        const cases: Array<[unknown, string]> = [
          [{ username: "ab", password: PASSWORD }, "username"],
          [{ username: "has space", password: PASSWORD }, "username"],
          [{ username: "a".repeat(21), password: PASSWORD }, "username"],
          [{ username: "okname", password: "short" }, "password"],
          [{ username: "okname", password: "x".repeat(129) }, "password"],
          [{ username: "okname", password: "password123" }, "password"],
          [{ username: "okname", password: "qwertyuiop" }, "password"],
          [{ password: PASSWORD }, "username"],
          [{ username: "okname", password: PASSWORD, region: "mars" }, "region"],
          [{ username: "okname", password: PASSWORD, region: "Not A Region" }, "region"],
          [[1, 2], "body"],
        ];
        for (const [body, field] of cases) {
          await expectError(
            await postJson(server, "/auth/register", body, { ip: freshIp() }),
            400,
            "INVALID_INPUT",
            field,
          );
        }
        const eu = await postJson(
          server,
          "/auth/register",
          { username: "in_eu", password: PASSWORD, region: "eu" },
          { ip: freshIp() },
        );
        assert.equal((await jsonBody(eu)).player.region, "eu");
      });

      it("refuses reserved names (admin, system, moderator, root, guest_*) in any case, for registration and linking", async () => {
        for (const username of ["admin", "SYSTEM", "Moderator", "root", "guest_1234567890", "GUEST_me"]) {
          await expectError(
            await postJson(server, "/auth/register", { username, password: PASSWORD }, { ip: freshIp() }),
            400,
            "INVALID_INPUT",
            "username",
          );
        }
        const guest = await jsonBody(
          await postJson(
            server,
            "/auth/guest",
            { deviceId: `reserved-${ipCounter}-0123456789abcdef` },
            { ip: freshIp() },
          ),
        );
        await expectError(
          await postJson(server, "/auth/link", { username: "Admin", password: PASSWORD }, { token: guest.accessToken }),
          400,
          "INVALID_INPUT",
          "username",
        );
      });

      it("logs in with the password; a wrong password and an unknown user get the same 401", async () => {
        const registered = await registerPlayer(server, "Login_Me");
        const ok = await postJson(
          server,
          "/auth/login",
          { username: "login_me", password: PASSWORD },
          { ip: freshIp() },
        );
        assert.equal(ok.status, 200);
        assert.equal((await jsonBody(ok)).player.id, registered.player.id);
        const wrong = await postJson(
          server,
          "/auth/login",
          { username: "Login_Me", password: "not the password" },
          { ip: freshIp() },
        );
        const unknown = await postJson(
          server,
          "/auth/login",
          { username: "nobody_here", password: PASSWORD },
          { ip: freshIp() },
        );
        const [wrongBody, unknownBody] = [await jsonBody(wrong), await jsonBody(unknown)];
        assert.equal(wrong.status, 401);
        assert.equal(unknown.status, 401);
        assert.deepEqual(wrongBody, unknownBody, "no hint which of username or password was wrong");
      });
    });

    describe("throttling", () => {
      it("5 failures lock the account for that address (the 6th is 429 even with the right password); the owner gets in from another address while the attacker keeps failing", async () => {
        await registerPlayer(server, "Lock_Me");
        const attacker = freshIp();
        for (let i = 1; i <= THROTTLE.accountFailures.points; i++) {
          const res = await postJson(
            server,
            "/auth/login",
            { username: "Lock_Me", password: `wrong ${i} password` },
            { ip: attacker },
          );
          assert.equal(res.status, 401, `attempt ${i}`);
        }
        const locked = await postJson(
          server,
          "/auth/login",
          { username: "lock_me", password: PASSWORD },
          { ip: attacker },
        );
        await expectError(locked, 429, "RATE_LIMITED");
        const retryAfter = Number(locked.headers.get("retry-after"));
        assert.ok(retryAfter > 0 && retryAfter <= THROTTLE.lockoutBaseSec, `Retry-After ${retryAfter}`);
        const owner = await postJson(
          server,
          "/auth/login",
          { username: "Lock_Me", password: PASSWORD },
          { ip: freshIp() },
        );
        assert.equal(owner.status, 200, "the owner, from a new device, gets in");
        const still = await postJson(
          server,
          "/auth/login",
          { username: "Lock_Me", password: "wrong again" },
          { ip: attacker },
        );
        await expectError(still, 429, "RATE_LIMITED");
      });

      it("a locked account cannot be reached under a Unicode spelling the database lowercases to it (İ → i)", async () => {
        await registerPlayer(server, "Victim_1");
        const attacker = freshIp();
        for (let i = 1; i <= THROTTLE.accountFailures.points; i++) {
          const res = await postJson(
            server,
            "/auth/login",
            { username: "Victim_1", password: `wrong ${i} password` },
            { ip: attacker },
          );
          assert.equal(res.status, 401, `attempt ${i}`);
        }
        // PostgreSQL's lower('Vİctim_1') is 'victim_1', JavaScript's is 'vi̇ctim_1': a fresh lockout key.
        for (const spelling of ["V\u0130ctim_1", "v\u0130ct\u0130m_1"]) {
          const res = await postJson(
            server,
            "/auth/login",
            { username: spelling, password: PASSWORD },
            { ip: attacker },
          );
          assert.notEqual(res.status, 200, `${spelling} must not log in as Victim_1`);
          await expectError(res, 401, "UNAUTHORIZED");
        }
      });

      it("successful logins are bounded per account and per IP (each verifies a password and writes a token)", async () => {
        const owner = await registerPlayer(server, `Busy_${ipCounter}`);
        const login = (username: string, ip: string) =>
          postJson(server, "/auth/login", { username, password: PASSWORD }, { ip });
        const rows = async () =>
          Number(
            (
              await server.services.db.query<{ n: string }>(
                "SELECT count(*) AS n FROM refresh_tokens WHERE player_id = $1",
                [owner.player.id],
              )
            )[0]?.n,
          );
        for (let i = 1; i <= THROTTLE.accountLogins.points; i++) {
          assert.equal((await login(owner.player.username, freshIp())).status, 200, `login ${i}`);
        }
        const before = await rows();
        const refused = await login(owner.player.username, freshIp());
        await expectError(refused, 429, "RATE_LIMITED");
        assert.ok(Number(refused.headers.get("retry-after")) > 0, "Retry-After");
        assert.equal(await rows(), before, "a refused login writes no token");

        const ip = freshIp();
        const others = [await registerPlayer(server), await registerPlayer(server)];
        for (let i = 0; i < THROTTLE.ipLogins.points; i++) {
          const res = await login(others[i % 2]!.player.username, ip);
          assert.equal(res.status, 200, `login ${i + 1} from one address`);
        }
        await expectError(await login(others[0]!.player.username, ip), 429, "RATE_LIMITED");
      });

      it("throttles an IP after 20 failures: the 20th is 401, the 21st is 429 with Retry-After", async () => {
        const ip = freshIp();
        for (let i = 1; i <= THROTTLE.ipFailures.points; i++) {
          // Different unknown accounts, so only the IP budget is spent.
          const res = await postJson(server, "/auth/login", { username: `ghost_${i}`, password: PASSWORD }, { ip });
          assert.equal(res.status, 401, `attempt ${i}`);
        }
        const blocked = await postJson(server, "/auth/login", { username: "ghost_x", password: PASSWORD }, { ip });
        await expectError(blocked, 429, "RATE_LIMITED");
        const retryAfter = Number(blocked.headers.get("retry-after"));
        assert.ok(retryAfter > 0 && retryAfter <= THROTTLE.ipFailures.durationSec, `Retry-After ${retryAfter}`);
        const otherIp = await postJson(
          server,
          "/auth/login",
          { username: "ghost_x", password: PASSWORD },
          { ip: freshIp() },
        );
        assert.equal(otherIp.status, 401, "another address is unaffected");
      });

      it("limits registrations per IP: the 10th succeeds, the 11th is 429", async () => {
        const ip = freshIp();
        for (let i = 1; i <= THROTTLE.registrations.points; i++) {
          const res = await postJson(
            server,
            "/auth/register",
            { username: `bulk_${ipCounter}_${i}`, password: PASSWORD },
            { ip },
          );
          assert.equal(res.status, 201, `registration ${i}`);
        }
        const over = await postJson(
          server,
          "/auth/register",
          { username: `bulk_${ipCounter}_x`, password: PASSWORD },
          { ip },
        );
        await expectError(over, 429, "RATE_LIMITED");
        assert.ok(Number(over.headers.get("retry-after")) > 0);
      });
    });

    describe("access tokens", () => {
      let me: Registered;
      before(async () => {
        me = await registerPlayer(server);
      });

      async function meWith(token: string): Promise<number> {
        return (await get(server, "/players/me", token)).status;
      }

      it("a valid token reads /players/me; none, garbage and a tampered signature get 401", async () => {
        assert.equal(await meWith(me.accessToken), 200);
        await expectError(await get(server, "/players/me"), 401, "UNAUTHORIZED");
        assert.equal(await meWith("not.a.jwt"), 401);
        const [header, payload, signature] = me.accessToken.split(".");
        const flipped = `${signature!.slice(0, -2)}${signature!.endsWith("AA") ? "BB" : "AA"}`;
        assert.equal(await meWith(`${header}.${payload}.${flipped}`), 401);
        const claims = JSON.parse(Buffer.from(payload!, "base64url").toString());
        const forged = Buffer.from(JSON.stringify({ ...claims, sub: "someone-else" })).toString("base64url");
        assert.equal(await meWith(`${header}.${forged}.${signature}`), 401);
      });

      it("refuses alg none, another algorithm, a wrong audience or issuer, and an expired token", async () => {
        const claims = JSON.parse(Buffer.from(me.accessToken.split(".")[1]!, "base64url").toString());
        const none = `${Buffer.from(JSON.stringify({ alg: "none", typ: "JWT" })).toString("base64url")}.${Buffer.from(JSON.stringify(claims)).toString("base64url")}.`;
        assert.equal(await meWith(none), 401);
        const sign = (alg: string, overrides: { aud?: string; iss?: string; exp?: number }) =>
          new SignJWT({ sid: claims.sid })
            .setProtectedHeader({ alg })
            .setSubject(claims.sub)
            .setIssuer(overrides.iss ?? TOKEN_ISSUER)
            .setAudience(overrides.aud ?? TOKEN_AUDIENCE)
            .setIssuedAt(claims.iat)
            .setJti("t")
            .setExpirationTime(overrides.exp ?? claims.exp)
            .sign(secret);
        assert.equal(await meWith(await sign("HS256", {})), 200, "the forging helper itself makes valid tokens");
        assert.equal(await meWith(await sign("HS512", {})), 401);
        assert.equal(await meWith(await sign("HS256", { aud: "other-service" })), 401);
        assert.equal(await meWith(await sign("HS256", { iss: "someone-else" })), 401);
        const expired = await sign("HS256", { exp: Math.floor(Date.now() / 1000) - 5 });
        const res = await get(server, "/players/me", expired);
        assert.equal(res.status, 401);
        assert.match((await jsonBody(res)).error.message, /expired/);
      });
    });

    describe("refresh tokens", () => {
      it("rotate on every use; a spent one revokes its whole family", async () => {
        const me = await registerPlayer(server);
        const first = await postJson(server, "/auth/refresh", { refreshToken: me.refreshToken });
        assert.equal(first.status, 200);
        const rotated = await jsonBody(first);
        assert.deepEqual(Object.keys(rotated).sort(), ["accessToken", "expiresIn", "refreshToken"]);
        assert.notEqual(rotated.refreshToken, me.refreshToken);
        assert.equal((await get(server, "/players/me", rotated.accessToken)).status, 200);

        const second = await jsonBody(await postJson(server, "/auth/refresh", { refreshToken: rotated.refreshToken }));
        assert.ok(second.refreshToken);

        // The first token is spent: presenting it again is the theft signal.
        const reuse = await postJson(server, "/auth/refresh", { refreshToken: me.refreshToken });
        await expectError(reuse, 401, "UNAUTHORIZED");
        // The whole family is gone: the newest refresh token and the family's access tokens.
        await expectError(
          await postJson(server, "/auth/refresh", { refreshToken: second.refreshToken }),
          401,
          "UNAUTHORIZED",
        );
        assert.equal((await get(server, "/players/me", second.accessToken)).status, 401);
        assert.equal((await get(server, "/players/me", me.accessToken)).status, 401);
        // Another login of the same player is a different family and still works.
        const again = await postJson(
          server,
          "/auth/login",
          { username: me.player.username, password: PASSWORD },
          { ip: freshIp() },
        );
        assert.equal((await get(server, "/players/me", (await jsonBody(again)).accessToken)).status, 200);
      });

      it("refuses unknown and malformed refresh tokens", async () => {
        await expectError(await postJson(server, "/auth/refresh", { refreshToken: "nope" }), 401, "UNAUTHORIZED");
        await expectError(await postJson(server, "/auth/refresh", {}), 400, "INVALID_INPUT", "refreshToken");
      });
    });

    describe("rooms", () => {
      it("refuse a client without a token, with a bad token, or with a revoked one", async () => {
        await assert.rejects(sdkFor(server).joinOrCreate("faulty"), (error: { code?: number }) => error.code === 401);
        await assert.rejects(
          sdkFor(server, "garbage").joinOrCreate("faulty"),
          (error: { code?: number }) => error.code === 401,
        );
        const me = await registerPlayer(server);
        await postJson(server, "/auth/logout", { refreshToken: me.refreshToken }, { token: me.accessToken });
        await assert.rejects(
          sdkFor(server, me.accessToken).joinOrCreate("faulty"),
          (error: { code?: number }) => error.code === 401,
        );
      });

      it("give the room the player's id, username and login (for reconnection checks)", async () => {
        const me = await registerPlayer(server);
        const room = await sdkFor(server, me.accessToken).joinOrCreate("faulty");
        const serverRoom = server.colyseus.getRoomById(room.roomId);
        const client = serverRoom.clients.find((c) => c.sessionId === room.sessionId);
        const { familyId, ...auth } = client?.auth ?? {};
        assert.deepEqual(auth, { playerId: me.player.id, username: me.player.username });
        assert.equal(typeof familyId, "string");
      });

      it("logout answers 204, closes the live room connection with TokenRevoked and revokes the tokens", async () => {
        const me = await registerPlayer(server);
        const other = await registerPlayer(server);
        const room = await sdkFor(server, me.accessToken).joinOrCreate("faulty");
        const bystander = await sdkFor(server, other.accessToken).joinOrCreate("faulty");
        const left = nextLeave(room);
        const res = await postJson(
          server,
          "/auth/logout",
          { refreshToken: me.refreshToken },
          { token: me.accessToken },
        );
        assert.equal(res.status, 204);
        assert.equal(await left, CloseCode.TokenRevoked);
        assert.equal((await get(server, "/players/me", me.accessToken)).status, 401);
        await expectError(
          await postJson(server, "/auth/refresh", { refreshToken: me.refreshToken }),
          401,
          "UNAUTHORIZED",
        );
        assert.equal(server.colyseus.getRoomById(bystander.roomId).clients.length, 1, "the other player stays");
      });

      it("logout with another player's refresh token is 403 and leaves the victim's login intact", async () => {
        const attacker = await registerPlayer(server);
        const victim = await registerPlayer(server);
        await expectError(
          await postJson(
            server,
            "/auth/logout",
            { refreshToken: victim.refreshToken },
            { token: attacker.accessToken },
          ),
          403,
          "FORBIDDEN",
        );
        assert.equal((await get(server, "/players/me", victim.accessToken)).status, 200, "victim's access token");
        const refreshed = await postJson(server, "/auth/refresh", { refreshToken: victim.refreshToken });
        assert.equal(refreshed.status, 200, "the victim's refresh token still works");
        assert.equal((await get(server, "/players/me", attacker.accessToken)).status, 200, "attacker stays logged in");
      });

      it("an admin ban closes the live connection with Banned and refuses the player's tokens", async () => {
        const me = await registerPlayer(server);
        const room = await sdkFor(server, me.accessToken).joinOrCreate("faulty");
        const left = nextLeave(room);
        const basic = `Basic ${Buffer.from(`admin:${ADMIN_PASSWORD}`).toString("base64")}`;
        const anonymous = await postJson(server, `/admin/players/${me.player.id}/ban`, { reason: "cheating" });
        assert.equal(anonymous.status, 401);
        const notAdmin = await postJson(
          server,
          `/admin/players/${me.player.id}/ban`,
          { reason: "x" },
          { token: me.accessToken },
        );
        assert.equal(notAdmin.status, 403);
        const res = await postJson(
          server,
          `/admin/players/${me.player.id}/ban`,
          { minutes: 60, reason: "cheating" },
          {
            headers: { authorization: basic },
          },
        );
        assert.equal(res.status, 204);
        assert.equal(await left, CloseCode.Banned);
        assert.equal((await get(server, "/players/me", me.accessToken)).status, 403);
        const login = await postJson(
          server,
          "/auth/login",
          { username: me.player.username, password: PASSWORD },
          { ip: freshIp() },
        );
        assert.equal(login.status, 403);
        const missing = await postJson(
          server,
          "/admin/players/nobody/ban",
          { reason: "x" },
          { headers: { authorization: basic } },
        );
        assert.equal(missing.status, 404);
      });
    });

    describe("guests and linking", () => {
      it("re-logins of an existing guest device are throttled per device, and stop adding refresh tokens", async () => {
        const deviceId = `relogin-${ipCounter}-0123456789abcdef`;
        const created = await jsonBody(await postJson(server, "/auth/guest", { deviceId }, { ip: freshIp() }));
        const tokens = async () =>
          Number(
            (
              await server.services.db.query<{ n: string }>(
                "SELECT count(*) AS n FROM refresh_tokens WHERE player_id = $1",
                [created.player.id],
              )
            )[0]?.n,
          );
        for (let i = 1; i <= THROTTLE.guestDeviceLogins.points; i++) {
          const res = await postJson(server, "/auth/guest", { deviceId }, { ip: freshIp() });
          assert.equal(res.status, 200, `re-login ${i}`);
        }
        const rows = await tokens();
        const refused = await postJson(server, "/auth/guest", { deviceId }, { ip: freshIp() });
        await expectError(refused, 429, "RATE_LIMITED");
        assert.ok(Number(refused.headers.get("retry-after")) > 0, "Retry-After");
        assert.equal(await tokens(), rows, "a refused re-login issues no refresh token");
      });

      it("refreshes are throttled per IP: past the budget 429 with Retry-After, no row written, the token not spent", async () => {
        const login = await jsonBody(
          await postJson(
            server,
            "/auth/guest",
            { deviceId: `refresh-flood-${ipCounter}-0123456789abcdef` },
            { ip: freshIp() },
          ),
        );
        const rows = async () =>
          Number(
            (
              await server.services.db.query<{ n: string }>(
                "SELECT count(*) AS n FROM refresh_tokens WHERE player_id = $1",
                [login.player.id],
              )
            )[0]?.n,
          );
        const ip = freshIp();
        let refreshToken: string = login.refreshToken;
        for (let i = 1; i <= THROTTLE.refreshes.points; i++) {
          const res = await postJson(server, "/auth/refresh", { refreshToken }, { ip });
          assert.equal(res.status, 200, `refresh ${i}`);
          refreshToken = (await jsonBody(res)).refreshToken;
        }
        const before = await rows();
        const refused = await postJson(server, "/auth/refresh", { refreshToken }, { ip });
        await expectError(refused, 429, "RATE_LIMITED");
        assert.ok(Number(refused.headers.get("retry-after")) > 0, "Retry-After");
        assert.equal(await rows(), before, "a refused refresh writes no token");
        const elsewhere = await postJson(server, "/auth/refresh", { refreshToken }, { ip: freshIp() });
        assert.equal(elsewhere.status, 200, "the refused token was not spent; another address is unaffected");
      });

      it("re-logins of existing guest devices are throttled per IP", async () => {
        const devices: string[] = [];
        for (let i = 0; i <= THROTTLE.guestIpLogins.points; i++) {
          const deviceId = `ip-relogin-${ipCounter}-${i}-0123456789abcdef`;
          assert.equal((await postJson(server, "/auth/guest", { deviceId }, { ip: freshIp() })).status, 200);
          devices.push(deviceId);
        }
        const ip = freshIp();
        for (let i = 0; i < THROTTLE.guestIpLogins.points; i++) {
          const res = await postJson(server, "/auth/guest", { deviceId: devices[i] }, { ip });
          assert.equal(res.status, 200, `re-login ${i + 1}`);
        }
        await expectError(
          await postJson(server, "/auth/guest", { deviceId: devices.at(-1) }, { ip }),
          429,
          "RATE_LIMITED",
        );
        assert.equal(
          (await postJson(server, "/auth/guest", { deviceId: devices.at(-1) }, { ip: freshIp() })).status,
          200,
          "another address is unaffected",
        );
      });

      it("the same deviceId gets the same guest; linking keeps the id and enables password login", async () => {
        const deviceId = `device-${ipCounter}-0123456789abcdef`;
        const first = await jsonBody(await postJson(server, "/auth/guest", { deviceId }, { ip: freshIp() }));
        assert.equal(first.player.guest, true);
        assert.match(first.player.username, /^guest_/);
        const second = await jsonBody(await postJson(server, "/auth/guest", { deviceId }, { ip: freshIp() }));
        assert.equal(second.player.id, first.player.id);

        const name = `linked_${ipCounter}`;
        const link = await postJson(
          server,
          "/auth/link",
          { username: name, password: PASSWORD },
          { token: first.accessToken },
        );
        assert.equal(link.status, 200);
        const linked = await jsonBody(link);
        assert.equal(linked.id, first.player.id);
        assert.equal(linked.username, name);
        assert.equal(linked.guest, false);
        assert.equal(linked.rating, first.player.rating);

        const login = await jsonBody(
          await postJson(server, "/auth/login", { username: name, password: PASSWORD }, { ip: freshIp() }),
        );
        assert.equal(login.player.id, first.player.id);
        const relink = await postJson(
          server,
          "/auth/link",
          { username: `${name}x`, password: PASSWORD },
          { token: first.accessToken },
        );
        await expectError(relink, 409, "CONFLICT");
      });

      it("refuses a short deviceId, and linking without a token or to a taken name", async () => {
        await expectError(
          await postJson(server, "/auth/guest", { deviceId: "short" }, { ip: freshIp() }),
          400,
          "INVALID_INPUT",
          "deviceId",
        );
        await expectError(
          await postJson(server, "/auth/link", { username: "whoever", password: PASSWORD }),
          401,
          "UNAUTHORIZED",
        );
        const taken = await registerPlayer(server);
        const guest = await jsonBody(
          await postJson(server, "/auth/guest", { deviceId: `other-device-${ipCounter}-abcdef` }, { ip: freshIp() }),
        );
        const res = await postJson(
          server,
          "/auth/link",
          { username: taken.player.username.toUpperCase(), password: PASSWORD },
          { token: guest.accessToken },
        );
        await expectError(res, 409, "CONFLICT", "username");
      });
    });

    describe("admin authentication", () => {
      const basic = (password: string) => `Basic ${Buffer.from(`admin:${password}`).toString("base64")}`;
      /** An admin call whose answer tells the credentials' fate: 404 (no such player) once let in. */
      const adminCall = (authorization: string, ip: string) =>
        postJson(server, "/admin/players/no-such-player/mute", { minutes: 5 }, { ip, headers: { authorization } });

      it("basic auth: 5 wrong passwords lock that address (429 even with the right one), each failure is logged; the owner gets in from another address", async () => {
        capture.clear();
        const attacker = freshIp();
        for (let i = 1; i <= THROTTLE.accountFailures.points; i++) {
          const res = await adminCall(basic(`guess ${i}`), attacker);
          assert.equal(res.status, 401, `guess ${i}`);
        }
        const locked = await adminCall(basic(ADMIN_PASSWORD), attacker);
        await expectError(locked, 429, "RATE_LIMITED");
        assert.ok(Number(locked.headers.get("retry-after")) > 0, "Retry-After");
        assert.equal((await adminCall(basic(ADMIN_PASSWORD), freshIp())).status, 404, "the owner gets in");
        await expectError(await adminCall(basic("guess 6"), attacker), 429, "RATE_LIMITED");
        const failures = capture.lines.filter((line) => line.msg === "admin authentication failed");
        assert.equal(failures.length, THROTTLE.accountFailures.points, "one warning per failed guess");
        assert.ok(
          failures.every((line) => line.level === LOG_LEVEL.warn && line.ip === attacker && line.via === "basic"),
        );
        assert.doesNotMatch(JSON.stringify(capture.lines), /guess \d/, "the guessed passwords are not logged");
      });

      it("a browser's cross-site request never reaches the admin routes or the monitor, whatever credentials it carries", async () => {
        // Browsers attach cached basic credentials to requests another site makes; the monitor's room-call API is a
        // GET (an <img> can send it). Fetch metadata says where a browser request came from.
        const victim = await registerPlayer(server);
        const headers = (site: string) => ({ authorization: basic(ADMIN_PASSWORD), "sec-fetch-site": site });
        for (const site of ["cross-site", "same-site"]) {
          const ban = await postJson(
            server,
            `/admin/players/${victim.player.id}/ban`,
            { reason: "csrf" },
            { ip: freshIp(), headers: headers(site) },
          );
          await expectError(ban, 403, "FORBIDDEN");
          for (const path of ["/colyseus/api", "/colyseus/api/room/call?roomId=x&method=disconnect&args=%5B%5D"]) {
            const res = await fetch(`${server.baseUrl}${path}`, {
              headers: { ...headers(site), "x-forwarded-for": freshIp() },
            });
            assert.equal(res.status, 403, `${site} ${path}`);
          }
        }
        assert.equal((await get(server, "/players/me", victim.accessToken)).status, 200, "the victim was not banned");
        for (const site of ["same-origin", "none"]) {
          const res = await fetch(`${server.baseUrl}/colyseus/api`, {
            headers: { ...headers(site), "x-forwarded-for": freshIp() },
          });
          assert.equal(res.status, 200, `${site}: the admin's own panel works`);
        }
      });

      it("the monitor panel's basic auth is throttled the same way", async () => {
        const attacker = freshIp();
        const monitor = (password: string) =>
          fetch(`${server.baseUrl}/colyseus/`, {
            headers: { authorization: basic(password), "x-forwarded-for": attacker },
          });
        for (let i = 1; i <= THROTTLE.accountFailures.points; i++) {
          assert.equal((await monitor(`guess ${i}`)).status, 401, `guess ${i}`);
        }
        await expectError(await monitor(ADMIN_PASSWORD), 429, "RATE_LIMITED");
      });

      it("bearer path: bad tokens and non-admin tokens count as failures; an admin player's token works from another address", async () => {
        await server.services.stores.players.create({
          username: "Chief_Admin",
          region: "local",
          passwordHash: await server.services.hasher.hash(PASSWORD),
          isAdmin: true,
        });
        const login = await postJson(
          server,
          "/auth/login",
          { username: "Chief_Admin", password: PASSWORD },
          { ip: freshIp() },
        );
        const adminToken = (await jsonBody(login)).accessToken as string;
        const player = await registerPlayer(server);
        const attacker = freshIp();
        for (let i = 1; i <= THROTTLE.accountFailures.points; i++) {
          const res = await adminCall(`Bearer ${i % 2 === 0 ? "garbage.token.here" : player.accessToken}`, attacker);
          assert.ok(res.status === 401 || res.status === 403, `attempt ${i}: ${res.status}`);
        }
        await expectError(await adminCall(`Bearer ${adminToken}`, attacker), 429, "RATE_LIMITED");
        assert.equal((await adminCall(`Bearer ${adminToken}`, freshIp())).status, 404, "the admin gets in");
      });
    });

    describe("players", () => {
      it("GET and PATCH /players/me; PATCH refuses a region the server does not serve", async () => {
        const me = await registerPlayer(server);
        const got = await jsonBody(await get(server, "/players/me", me.accessToken));
        assert.equal(got.id, me.player.id);
        const patch = (body: unknown) =>
          fetch(`${server.baseUrl}/players/me`, {
            method: "PATCH",
            headers: { "content-type": "application/json", authorization: `Bearer ${me.accessToken}` },
            body: JSON.stringify(body),
          });
        const moved = await patch({ region: "eu" });
        assert.equal(moved.status, 200);
        assert.equal((await jsonBody(moved)).region, "eu");
        await expectError(await patch({ region: "mars" }), 400, "INVALID_INPUT", "region");
        await expectError(await patch({}), 400, "INVALID_INPUT", "region");
      });

      it("GET /players/:id shows a public profile without secrets; unknown ids get 404", async () => {
        const me = await registerPlayer(server);
        const res = await get(server, `/players/${me.player.id}`);
        assert.equal(res.status, 200);
        const profile = await jsonBody(res);
        assert.equal(profile.username, me.player.username);
        for (const secretField of ["passwordHash", "password_hash", "deviceId", "currentSessionId", "bannedUntil"]) {
          assert.equal(secretField in profile, false, secretField);
        }
        await expectError(await get(server, "/players/does-not-exist"), 404, "NOT_FOUND");
      });
    });
  });
}
