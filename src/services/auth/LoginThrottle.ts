/**
 * Login and registration throttling (rate-limiter-flexible), checked before any password is hashed. Backed by Redis
 * when the process has it, so every process shares the counters, with an in-memory insurance limiter if Redis
 * fails; in-memory otherwise.
 *
 * - per account and source address: 5 failed logins in 15 minutes lock the account *for that address*; each
 *   further lockout of that pair within 24 hours doubles its length (15 min, 30 min, 1 h, ... capped at 24 h). The
 *   owner logging in from another address is not locked out by an attacker's guesses;
 * - per IP: 20 failed logins in 10 minutes → 429 until the window passes;
 * - per IP: 10 registrations (or guest creations) an hour.
 */
import type { Redis } from "ioredis";
import {
  type IRateLimiterOptions,
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterAbstract,
} from "rate-limiter-flexible";

export const THROTTLE = {
  accountFailures: { points: 5, durationSec: 15 * 60 },
  ipFailures: { points: 20, durationSec: 10 * 60 },
  registrations: { points: 10, durationSec: 60 * 60 },
  lockoutBaseSec: 15 * 60,
  lockoutMaxSec: 24 * 60 * 60,
} as const;

/** The caller must wait `retryAfterSec` seconds. */
export class ThrottledError extends Error {
  constructor(
    readonly scope: "account" | "ip" | "registration",
    readonly retryAfterSec: number,
  ) {
    super(
      scope === "account"
        ? "too many failed logins for this account from this address"
        : "too many attempts from this address",
    );
    this.name = "ThrottledError";
  }
}

function limiter(
  redis: Redis | undefined,
  keyPrefix: string,
  points: number,
  durationSec: number,
): RateLimiterAbstract {
  const options: IRateLimiterOptions = { keyPrefix: `arena:throttle:${keyPrefix}`, points, duration: durationSec };
  if (redis === undefined) return new RateLimiterMemory(options);
  return new RateLimiterRedis({ ...options, storeClient: redis, insuranceLimiter: new RateLimiterMemory(options) });
}

/** The lockout key of one account tried from one address (usernames hold no "|"). */
function source(account: string, ip: string): string {
  return `${account}|${ip}`;
}

function retryAfter(msBeforeNext: number): number {
  return Math.max(1, Math.ceil(msBeforeNext / 1000));
}

export class LoginThrottle {
  private readonly accountFailures: RateLimiterAbstract;
  private readonly accountLockouts: RateLimiterAbstract;
  private readonly ipFailures: RateLimiterAbstract;
  private readonly registrations: RateLimiterAbstract;

  constructor(redis: Redis | undefined) {
    this.accountFailures = limiter(
      redis,
      "account",
      THROTTLE.accountFailures.points,
      THROTTLE.accountFailures.durationSec,
    );
    this.accountLockouts = limiter(redis, "lockouts", 1000, THROTTLE.lockoutMaxSec);
    this.ipFailures = limiter(redis, "ip", THROTTLE.ipFailures.points, THROTTLE.ipFailures.durationSec);
    this.registrations = limiter(redis, "register", THROTTLE.registrations.points, THROTTLE.registrations.durationSec);
  }

  /** @throws ThrottledError when the IP, or the account from this IP, may not try now. */
  async checkLogin(ip: string, account: string): Promise<void> {
    const [ipState, accountState] = await Promise.all([
      this.ipFailures.get(ip),
      this.accountFailures.get(source(account, ip)),
    ]);
    if (ipState !== null && ipState.consumedPoints >= THROTTLE.ipFailures.points) {
      throw new ThrottledError("ip", retryAfter(ipState.msBeforeNext));
    }
    if (accountState !== null && accountState.consumedPoints >= THROTTLE.accountFailures.points) {
      throw new ThrottledError("account", retryAfter(accountState.msBeforeNext));
    }
  }

  /** Counts a failed login against the IP and the account from it; the fifth such failure locks that pair. */
  async recordFailure(ip: string, account: string): Promise<void> {
    await this.ipFailures.penalty(ip, 1);
    const key = source(account, ip);
    const state = await this.accountFailures.penalty(key, 1);
    if (state.consumedPoints === THROTTLE.accountFailures.points) {
      const lockouts = await this.accountLockouts.penalty(key, 1);
      const seconds = Math.min(
        THROTTLE.lockoutMaxSec,
        THROTTLE.lockoutBaseSec * 2 ** Math.max(0, lockouts.consumedPoints - 1),
      );
      await this.accountFailures.block(key, seconds);
    }
  }

  /** Clears the failures of the account from this address (other addresses keep theirs). */
  async recordSuccess(ip: string, account: string): Promise<void> {
    await this.accountFailures.delete(source(account, ip));
  }

  /** @throws ThrottledError once the IP has created its hourly budget of accounts. */
  async consumeRegistration(ip: string): Promise<void> {
    try {
      await this.registrations.consume(ip, 1);
    } catch (rejection) {
      if (rejection instanceof Error) throw rejection;
      throw new ThrottledError("registration", retryAfter((rejection as { msBeforeNext: number }).msBeforeNext));
    }
  }
}
