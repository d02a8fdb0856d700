import assert from "node:assert/strict";
import { commonPasswordCount, isCommonPassword } from "../../src/services/auth/commonPasswords.ts";
import { PasswordHasher } from "../../src/services/auth/PasswordHasher.ts";
import { TokenService } from "../../src/services/auth/TokenService.ts";
import { QueueFullError, Semaphore } from "../../src/services/Semaphore.ts";

describe("Semaphore", () => {
  it("never runs more than its concurrency at once and serves waiters in order", async () => {
    const gate = new Semaphore(2);
    let running = 0;
    let peak = 0;
    const order: number[] = [];
    const releases: Array<() => void> = [];
    const tasks = Array.from({ length: 5 }, (_, i) =>
      gate.run(async () => {
        running += 1;
        peak = Math.max(peak, running);
        await new Promise<void>((resolve) => releases.push(resolve));
        order.push(i);
        running -= 1;
      }),
    );
    // Release the running tasks one at a time until all five have run.
    while (order.length < 5) {
      await new Promise((resolve) => setImmediate(resolve));
      assert.ok(releases.length <= 2, `${releases.length} tasks running at once`);
      releases.shift()?.();
    }
    await Promise.all(tasks);
    assert.equal(peak, 2);
    assert.deepEqual(order, [0, 1, 2, 3, 4]);
  });

  it("refuses work beyond its queue bound", async () => {
    const gate = new Semaphore(1, 1);
    let release!: () => void;
    const first = gate.run(() => new Promise<void>((resolve) => (release = resolve)));
    const second = gate.run(async () => "queued");
    await assert.rejects(
      gate.run(async () => "third"),
      QueueFullError,
    );
    release();
    await first;
    assert.equal(await second, "queued");
  });
});

describe("PasswordHasher", () => {
  const hasher = new PasswordHasher(1);

  it("hashes with argon2id at OWASP's parameters and verifies", async () => {
    const hash = await hasher.hash("a long passphrase");
    assert.match(hash, /^\$argon2id\$v=19\$m=19456,p=1,t=2\$/);
    assert.equal(await hasher.verifyOrBurn(hash, "a long passphrase"), true);
    assert.equal(await hasher.verifyOrBurn(hash, "another passphrase"), false);
  });

  it("answers false for a missing hash after doing the same work", async () => {
    assert.equal(await hasher.verifyOrBurn(null, "anything at all"), false);
    assert.equal(await hasher.verifyOrBurn(undefined, ""), false);
  });
});

describe("common passwords", () => {
  it("refuses well-known passwords of 8+ characters regardless of case, and accepts passphrases", () => {
    assert.ok(commonPasswordCount() > 10_000, `${commonPasswordCount()} entries`);
    for (const common of ["password", "12345678", "Password1", "qwertyuiop", "iloveyou"]) {
      assert.equal(isCommonPassword(common), true, common);
    }
    assert.equal(isCommonPassword("correct horse battery"), false);
  });
});

describe("TokenService", () => {
  it("issues tokens that verify with the player and family, and expire after 10 minutes", async () => {
    let now = Date.parse("2026-01-01T00:00:00Z");
    const tokens = new TokenService("k".repeat(32), () => now);
    const { token, expiresIn } = await tokens.issueAccess("player-1", "family-1");
    assert.equal(expiresIn, 600);
    const claims = await tokens.verifyAccess(token);
    assert.equal(claims.playerId, "player-1");
    assert.equal(claims.familyId, "family-1");
    assert.equal(claims.expiresAt - claims.issuedAt, 600);
    now += 601_000;
    await assert.rejects(tokens.verifyAccess(token), (error: { reason?: string }) => error.reason === "expired");
    const other = new TokenService("z".repeat(32), () => now - 601_000);
    await assert.rejects(other.verifyAccess(token), (error: { reason?: string }) => error.reason === "invalid");
  });

  it("makes 256-bit refresh tokens stored only as their SHA-256", () => {
    const tokens = new TokenService("k".repeat(32));
    const { token, hash } = tokens.newRefreshToken();
    assert.equal(Buffer.from(token, "base64url").length, 32);
    assert.equal(hash.length, 32);
    assert.notEqual(hash.toString("base64url"), token);
  });
});
