import { AppError } from "../../errors.ts";
import type { Logger } from "../../logger.ts";
import { CloseCode, ErrorCode } from "../../protocol.ts";
import { newId } from "../ids.ts";
import type { PlayerRecord, PlayerStore } from "../stores/PlayerStore.ts";
import { UsernameTakenError } from "../stores/PlayerStore.ts";
import type { RefreshTokenStore } from "../stores/RefreshTokenStore.ts";
import { isCommonPassword } from "./commonPasswords.ts";
import type { LiveConnections } from "./LiveConnections.ts";
import { type LoginThrottle, ThrottledError } from "./LoginThrottle.ts";
import type { PasswordHasher } from "./PasswordHasher.ts";
import { hashRefreshToken, REFRESH_TOKEN_TTL_SEC, TokenError, type TokenService } from "./TokenService.ts";

/** Who an access token speaks for, after every check (signature, expiry, revocation, ban). */
export interface Principal {
  playerId: string;
  username: string;
  isAdmin: boolean;
  familyId: string;
}

export interface TokenPair {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

export interface AuthResult extends TokenPair {
  player: PlayerRecord;
}

export interface AuthServiceDeps {
  players: PlayerStore;
  refreshTokens: RefreshTokenStore;
  tokens: TokenService;
  hasher: PasswordHasher;
  throttle: LoginThrottle;
  connections: LiveConnections;
  regions: readonly string[];
  defaultRegion: string;
  log: Logger;
  now?: () => number;
}

const BAD_CREDENTIALS = "invalid username or password";
const ASCII = /^[\x20-\x7e]*$/;

/** The throttle's account key for admin credentials (":" cannot occur in a username). */
const ADMIN_ACCOUNT = "admin:routes";

function throttled(error: ThrottledError): AppError {
  return new AppError(ErrorCode.RateLimited, error.message, { retryAfterSec: error.retryAfterSec });
}

/**
 * Accounts and sessions: registration, password and guest login, rotating refresh tokens, linking, logout, bans,
 * and the verification every authenticated HTTP call and room join goes through.
 */
export class AuthService {
  private readonly now: () => number;

  constructor(private readonly deps: AuthServiceDeps) {
    this.now = deps.now ?? Date.now;
  }

  private checkRegion(region: string | undefined): string {
    const chosen = region ?? this.deps.defaultRegion;
    if (!this.deps.regions.includes(chosen)) {
      throw new AppError(ErrorCode.InvalidInput, `region must be one of ${this.deps.regions.join(", ")}`, {
        field: "region",
      });
    }
    return chosen;
  }

  private checkPassword(password: string): void {
    if (isCommonPassword(password)) {
      throw new AppError(ErrorCode.InvalidInput, "password is too common; choose another", { field: "password" });
    }
  }

  private async issue(player: PlayerRecord, familyId = newId()): Promise<AuthResult> {
    const refresh = this.deps.tokens.newRefreshToken();
    await this.deps.refreshTokens.issue({
      hash: refresh.hash,
      familyId,
      playerId: player.id,
      expiresAt: new Date(this.now() + REFRESH_TOKEN_TTL_SEC * 1000),
    });
    const access = await this.deps.tokens.issueAccess(player.id, familyId);
    await this.deps.players.recordLogin(player.id, new Date(this.now()));
    return { player, accessToken: access.token, refreshToken: refresh.token, expiresIn: access.expiresIn };
  }

  private refuseBanned(player: PlayerRecord): void {
    if (player.bannedUntil !== null && player.bannedUntil.getTime() > this.now()) {
      throw new AppError(ErrorCode.Forbidden, `banned until ${player.bannedUntil.toISOString()}`);
    }
  }

  async register(input: { username: string; password: string; region?: string }, ip: string): Promise<AuthResult> {
    const region = this.checkRegion(input.region);
    this.checkPassword(input.password);
    await this.consumeRegistration(ip);
    const passwordHash = await this.hashOrBusy(input.password);
    try {
      const player = await this.deps.players.create({ username: input.username, region, passwordHash });
      return await this.issue(player);
    } catch (error) {
      if (error instanceof UsernameTakenError) {
        throw new AppError(ErrorCode.Conflict, "username is taken", { field: "username" });
      }
      throw error;
    }
  }

  async login(input: { username: string; password: string }, ip: string): Promise<AuthResult> {
    const account = input.username.toLowerCase();
    try {
      await this.deps.throttle.checkLogin(ip, account);
      await this.deps.throttle.checkLoginBudget(ip, account);
    } catch (error) {
      if (error instanceof ThrottledError) throw throttled(error);
      throw error;
    }
    // Usernames are ASCII. A name outside it names no account, and must not be looked up: the database lowercases
    // some letters differently from JavaScript (lower('İ') is 'i'), so 'vİctim' would reach 'victim' under a
    // lockout key of its own.
    const player = ASCII.test(input.username) ? await this.deps.players.findByUsername(input.username) : undefined;
    const ok = await this.verifyOrBusy(player?.passwordHash, input.password);
    if (player === undefined || !ok) {
      await this.deps.throttle.recordFailure(ip, account);
      throw new AppError(ErrorCode.Unauthorized, BAD_CREDENTIALS);
    }
    await this.deps.throttle.recordSuccess(ip, account);
    this.refuseBanned(player);
    await this.deps.throttle.consumeLoginBudget(ip, account);
    return this.issue(player);
  }

  async guest(input: { deviceId: string }, ip: string): Promise<AuthResult> {
    const existing = await this.deps.players.findByDeviceId(input.deviceId);
    if (existing !== undefined) {
      this.refuseBanned(existing);
      try {
        await this.deps.throttle.consumeGuestLogin(ip, input.deviceId);
      } catch (error) {
        if (error instanceof ThrottledError) throw throttled(error);
        throw error;
      }
      return this.issue(existing);
    }
    await this.consumeRegistration(ip);
    for (let attempt = 0; ; attempt++) {
      try {
        const player = await this.deps.players.create({
          username: `guest_${newId().slice(0, 10).replace(/-/g, "_")}`,
          region: this.deps.defaultRegion,
          deviceId: input.deviceId,
        });
        return await this.issue(player);
      } catch (error) {
        // Two first logins of one device at once: the other created it; answer with that player.
        const raced = await this.deps.players.findByDeviceId(input.deviceId);
        if (raced !== undefined) return this.issue(raced);
        if (!(error instanceof UsernameTakenError) || attempt >= 3) throw error;
      }
    }
  }

  async refresh(refreshToken: string, ip: string): Promise<TokenPair> {
    // Before the rotation: a refused refresh must not spend the token (nor write a row).
    try {
      await this.deps.throttle.consumeRefresh(ip);
    } catch (error) {
      if (error instanceof ThrottledError) throw throttled(error);
      throw error;
    }
    const next = this.deps.tokens.newRefreshToken();
    const outcome = await this.deps.refreshTokens.rotate(
      hashRefreshToken(refreshToken),
      { hash: next.hash, expiresAt: new Date(this.now() + REFRESH_TOKEN_TTL_SEC * 1000) },
      new Date(this.now()),
    );
    switch (outcome.kind) {
      case "rotated": {
        const player = await this.deps.players.findById(outcome.playerId);
        if (player === undefined) throw new AppError(ErrorCode.Unauthorized, "refresh token invalid");
        this.refuseBanned(player);
        const access = await this.deps.tokens.issueAccess(outcome.playerId, outcome.familyId);
        return { accessToken: access.token, refreshToken: next.token, expiresIn: access.expiresIn };
      }
      case "reused":
        this.deps.log.warn({ familyId: outcome.familyId }, "spent refresh token presented: family revoked");
        throw new AppError(ErrorCode.Unauthorized, "refresh token already used; all sessions of this login revoked");
      case "expired":
        throw new AppError(ErrorCode.Unauthorized, "refresh token expired");
      case "revoked":
        throw new AppError(ErrorCode.Unauthorized, "refresh token revoked");
      case "unknown":
        throw new AppError(ErrorCode.Unauthorized, "refresh token invalid");
    }
  }

  /**
   * Revokes the refresh family and closes the player's live sockets everywhere. Another player's refresh token is
   * refused (403) without revoking anything.
   */
  async logout(principal: Principal, refreshToken: string): Promise<void> {
    const revoked = await this.deps.refreshTokens.revokeFamilyOf(
      hashRefreshToken(refreshToken),
      principal.playerId,
      new Date(this.now()),
    );
    if (revoked !== undefined && revoked.playerId !== principal.playerId) {
      throw new AppError(ErrorCode.Forbidden, "refresh token belongs to another player");
    }
    if (revoked === undefined) {
      throw new AppError(ErrorCode.InvalidInput, "refresh token invalid", { field: "refreshToken" });
    }
    await this.deps.connections.disconnect(principal.playerId, CloseCode.TokenRevoked, "logged out");
  }

  async link(principal: Principal, input: { username: string; password: string }): Promise<PlayerRecord> {
    const player = await this.deps.players.findById(principal.playerId);
    if (player === undefined) throw new AppError(ErrorCode.NotFound, "player not found");
    if (player.passwordHash !== null) throw new AppError(ErrorCode.Conflict, "account already has a password");
    this.checkPassword(input.password);
    const passwordHash = await this.hashOrBusy(input.password);
    try {
      const linked = await this.deps.players.linkCredentials(player.id, input.username, passwordHash);
      if (linked === undefined) throw new AppError(ErrorCode.Conflict, "account already has a password");
      return linked;
    } catch (error) {
      if (error instanceof UsernameTakenError) {
        throw new AppError(ErrorCode.Conflict, "username is taken", { field: "username" });
      }
      throw error;
    }
  }

  /** Bans a player (for `minutes`, or indefinitely), revokes all its refresh tokens and closes its sockets. */
  async ban(playerId: string, minutes: number | undefined, reason: string): Promise<void> {
    const until = minutes === undefined ? new Date("9999-12-31T00:00:00Z") : new Date(this.now() + minutes * 60_000);
    const player = await this.deps.players.setBan(playerId, until, reason);
    if (player === undefined) throw new AppError(ErrorCode.NotFound, "player not found");
    await this.deps.refreshTokens.revokeAllOfPlayer(playerId, new Date(this.now()));
    await this.deps.connections.disconnect(playerId, CloseCode.Banned, "banned");
  }

  /**
   * Verifies an access token: signature (HS256 only), issuer, audience, expiry, then that its login has not been
   * revoked and the player is not banned. @throws AppError 401 (or 403 for a ban).
   */
  async authenticate(token: string | undefined): Promise<Principal> {
    if (token === undefined || token === "") throw new AppError(ErrorCode.Unauthorized, "access token required");
    let claims: Awaited<ReturnType<TokenService["verifyAccess"]>>;
    try {
      claims = await this.deps.tokens.verifyAccess(token);
    } catch (error) {
      if (error instanceof TokenError) throw new AppError(ErrorCode.Unauthorized, error.message);
      throw error;
    }
    const [player, revoked] = await Promise.all([
      this.deps.players.findById(claims.playerId),
      this.deps.refreshTokens.isFamilyRevoked(claims.familyId),
    ]);
    if (player === undefined) throw new AppError(ErrorCode.Unauthorized, "access token revoked");
    // A ban also revokes every login; it is reported as the ban (403), which tells the client more.
    this.refuseBanned(player);
    if (revoked) throw new AppError(ErrorCode.Unauthorized, "access token revoked");
    return { playerId: player.id, username: player.username, isAdmin: player.isAdmin, familyId: claims.familyId };
  }

  /**
   * Admin credentials (basic `admin` password or an admin player's token) are throttled like logins: 5 failures
   * from one address lock that address out of the admin routes (429, doubling), other addresses are unaffected.
   * @throws AppError 429 while `ip` may not try.
   */
  async checkAdminAttempt(ip: string): Promise<void> {
    try {
      await this.deps.throttle.checkLogin(ip, ADMIN_ACCOUNT);
    } catch (error) {
      if (error instanceof ThrottledError) throw throttled(error);
      throw error;
    }
  }

  /** Logs (warn, without the credentials) and counts a refused admin credential from `ip`. */
  async recordAdminFailure(ip: string, via: "basic" | "bearer"): Promise<void> {
    this.deps.log.warn({ ip, via }, "admin authentication failed");
    await this.deps.throttle.recordFailure(ip, ADMIN_ACCOUNT);
  }

  async recordAdminSuccess(ip: string): Promise<void> {
    await this.deps.throttle.recordSuccess(ip, ADMIN_ACCOUNT);
  }

  /**
   * Re-checks a player admitted earlier (a room reconnection, where no token is presented again): it still exists,
   * is not banned, and its login `familyId` (when known) is not revoked. @throws AppError 401 (or 403 for a ban).
   */
  async recheck(playerId: string, familyId: string | undefined): Promise<void> {
    const [player, revoked] = await Promise.all([
      this.deps.players.findById(playerId),
      familyId === undefined ? false : this.deps.refreshTokens.isFamilyRevoked(familyId),
    ]);
    if (player === undefined) throw new AppError(ErrorCode.Unauthorized, "access token revoked");
    this.refuseBanned(player);
    if (revoked) throw new AppError(ErrorCode.Unauthorized, "access token revoked");
  }

  private async consumeRegistration(ip: string): Promise<void> {
    try {
      await this.deps.throttle.consumeRegistration(ip);
    } catch (error) {
      if (error instanceof ThrottledError) throw throttled(error);
      throw error;
    }
  }

  private async hashOrBusy(password: string): Promise<string> {
    try {
      return await this.deps.hasher.hash(password);
    } catch (error) {
      throw this.busy(error);
    }
  }

  private async verifyOrBusy(stored: string | null | undefined, password: string): Promise<boolean> {
    try {
      return await this.deps.hasher.verifyOrBurn(stored, password);
    } catch (error) {
      throw this.busy(error);
    }
  }

  private busy(error: unknown): unknown {
    if (error instanceof Error && error.name === "QueueFullError") {
      return new AppError(ErrorCode.Unavailable, "authentication is busy; retry shortly", { retryAfterSec: 1 });
    }
    return error;
  }
}
