/**
 * Login and registration throttling (rate-limiter-flexible), checked before any password is hashed. Backed by Redis
 * when the process has it, so every process shares the counters, with an in-memory insurance limiter if Redis
 * fails; in-memory otherwise.
 *
 * - per account and source address: 5 failed logins in 15 minutes lock the account *for that address*; each
 *   further lockout of that pair within 24 hours doubles its length (15 min, 30 min, 1 h, ... capped at 24 h). The
 *   owner logging in from another address is not locked out by an attacker's guesses;
 * - per IP: 20 failed logins in 10 minutes → 429 until the window passes;
 * - per IP: 10 registrations (or guest creations) an hour;
 * - re-logins of an existing guest device: 10 an hour per device and 30 per 10 minutes per IP (each one issues a
 *   refresh token; a client keeps its login with refresh tokens and needs a guest login only when it lost them);
 * - successful password logins: 20 per 10 minutes per account and 30 per 10 minutes per IP (each verifies a
 *   password on the bounded hasher and issues a refresh token; a client keeps its login with refresh tokens);
 * - refreshes: 300 per 10 minutes per IP (each writes a refresh-token row; a client refreshes about once per access
 *   token, every 10 minutes, so this is 300 players behind one address). Checked before the token is spent.
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
  guestDeviceLogins: { points: 10, durationSec: 60 * 60 },
  guestIpLogins: { points: 30, durationSec: 10 * 60 },
  refreshes: { points: 300, durationSec: 10 * 60 },
  accountLogins: { points: 20, durationSec: 10 * 60 },
  ipLogins: { points: 30, durationSec: 10 * 60 },
  lockoutBaseSec: 15 * 60,
  lockoutMaxSec: 24 * 60 * 60,
} as const;

/** The caller must wait `retryAfterSec` seconds. */
export class ThrottledError extends Error {
  constructor(
    readonly scope: "account" | "ip" | "registration" | "guest" | "login",
    readonly retryAfterSec: number,
  ) {
    super(
      scope === "account"
        ? "too many failed logins for this account from this address"
        : scope === "guest"
          ? "too many logins of this device; keep the login with POST /auth/refresh"
          : scope === "login"
            ? "too many logins of this account or from this address; keep the login with POST /auth/refresh"
            : "too many attempts from this address",
    );
    this.name = "ThrottledError";
  }
}

function limiter(
  redis: Redis | undefined,
  keyPrefix: string,
  budget: { points: number; durationSec: number },
): RateLimiterAbstract {
  const options: IRateLimiterOptions = {
    keyPrefix: `arena:throttle:${keyPrefix}`,
    points: budget.points,
    duration: budget.durationSec,
  };
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
  private readonly guestDevices: RateLimiterAbstract;
  private readonly guestIps: RateLimiterAbstract;
  private readonly refreshes: RateLimiterAbstract;
  private readonly accountLogins: RateLimiterAbstract;
  private readonly ipLogins: RateLimiterAbstract;

  constructor(redis: Redis | undefined) {
    this.accountFailures = limiter(redis, "account", THROTTLE.accountFailures);
    this.accountLockouts = limiter(redis, "lockouts", { points: 1000, durationSec: THROTTLE.lockoutMaxSec });
    this.ipFailures = limiter(redis, "ip", THROTTLE.ipFailures);
    this.registrations = limiter(redis, "register", THROTTLE.registrations);
    this.guestDevices = limiter(redis, "guest-device", THROTTLE.guestDeviceLogins);
    this.guestIps = limiter(redis, "guest-ip", THROTTLE.guestIpLogins);
    this.refreshes = limiter(redis, "refresh-ip", THROTTLE.refreshes);
    this.accountLogins = limiter(redis, "login-account", THROTTLE.accountLogins);
    this.ipLogins = limiter(redis, "login-ip", THROTTLE.ipLogins);
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
    await consume(this.registrations, ip, "registration");
  }

  /**
   * @throws ThrottledError when the account, or the IP, has spent its budget of successful logins (checked before
   * the password is verified; only a success spends it, so wrong guesses cannot lock the owner out this way).
   */
  async checkLoginBudget(ip: string, account: string): Promise<void> {
    const [accountState, ipState] = await Promise.all([this.accountLogins.get(account), this.ipLogins.get(ip)]);
    for (const [state, points] of [
      [accountState, THROTTLE.accountLogins.points],
      [ipState, THROTTLE.ipLogins.points],
    ] as const) {
      if (state !== null && state.consumedPoints >= points) {
        throw new ThrottledError("login", retryAfter(state.msBeforeNext));
      }
    }
  }

  /** Spends one successful login of the account and of the IP. */
  async consumeLoginBudget(ip: string, account: string): Promise<void> {
    await Promise.all([this.accountLogins.penalty(account, 1), this.ipLogins.penalty(ip, 1)]);
  }

  /** @throws ThrottledError once the IP has spent its budget of refreshes. */
  async consumeRefresh(ip: string): Promise<void> {
    await consume(this.refreshes, ip, "ip");
  }

  /** @throws ThrottledError once the device, or the IP, has spent its budget of guest re-logins. */
  async consumeGuestLogin(ip: string, deviceId: string): Promise<void> {
    await consume(this.guestIps, ip, "ip");
    await consume(this.guestDevices, deviceId, "guest");
  }
}

async function consume(limiter: RateLimiterAbstract, key: string, scope: ThrottledError["scope"]): Promise<void> {
  try {
    await limiter.consume(key, 1);
  } catch (rejection) {
    if (rejection instanceof Error) throw rejection;
    throw new ThrottledError(scope, retryAfter((rejection as { msBeforeNext: number }).msBeforeNext));
  }
}
