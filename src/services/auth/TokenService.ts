import { createHash, randomBytes } from "node:crypto";
import { errors as joseErrors, jwtVerify, SignJWT } from "jose";
import { newId } from "../ids.ts";

/** The default lifetime of access tokens (ACCESS_TOKEN_TTL_SEC). */
export const ACCESS_TOKEN_TTL_SEC = 10 * 60;
export const REFRESH_TOKEN_TTL_SEC = 30 * 24 * 60 * 60;
export const TOKEN_ISSUER = "arena-backend";
export const TOKEN_AUDIENCE = "arena-clients";
const ALGORITHM = "HS256";

export interface AccessClaims {
  playerId: string;
  /** The refresh-token family this access token was issued with: logout revokes it. */
  familyId: string;
  jti: string;
  issuedAt: number;
  expiresAt: number;
}

export type TokenFailure = "expired" | "invalid";

export class TokenError extends Error {
  constructor(readonly reason: TokenFailure) {
    super(reason === "expired" ? "access token expired" : "access token invalid");
    this.name = "TokenError";
  }
}

/**
 * Access tokens are HS256 JWTs with `sub`, `iss`, `aud`, `iat`, `exp`, `jti` and `sid` (the refresh family);
 * verification pins the algorithm, issuer and audience, so `alg: none`, other algorithms, other audiences and
 * tampered signatures are refused. Refresh tokens are opaque 256-bit random strings; only their SHA-256 is stored.
 */
export class TokenService {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly now: () => number = Date.now,
    /** The lifetime of access tokens (ACCESS_TOKEN_TTL_SEC). */
    private readonly accessTtlSec: number = ACCESS_TOKEN_TTL_SEC,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async issueAccess(playerId: string, familyId: string): Promise<{ token: string; expiresIn: number }> {
    const issuedAt = Math.floor(this.now() / 1000);
    const token = await new SignJWT({ sid: familyId })
      .setProtectedHeader({ alg: ALGORITHM, typ: "JWT" })
      .setSubject(playerId)
      .setIssuer(TOKEN_ISSUER)
      .setAudience(TOKEN_AUDIENCE)
      .setIssuedAt(issuedAt)
      .setExpirationTime(issuedAt + this.accessTtlSec)
      .setJti(newId())
      .sign(this.key);
    return { token, expiresIn: this.accessTtlSec };
  }

  /** @throws TokenError */
  async verifyAccess(token: string): Promise<AccessClaims> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [ALGORITHM],
        issuer: TOKEN_ISSUER,
        audience: TOKEN_AUDIENCE,
        requiredClaims: ["sub", "exp", "iat", "jti"],
        currentDate: new Date(this.now()),
      });
      if (typeof payload.sid !== "string" || typeof payload.sub !== "string") throw new TokenError("invalid");
      return {
        playerId: payload.sub,
        familyId: payload.sid,
        jti: payload.jti as string,
        issuedAt: payload.iat as number,
        expiresAt: payload.exp as number,
      };
    } catch (error) {
      if (error instanceof TokenError) throw error;
      if (error instanceof joseErrors.JWTExpired) throw new TokenError("expired");
      throw new TokenError("invalid");
    }
  }

  /** A new opaque refresh token and the hash under which it is stored. */
  newRefreshToken(): { token: string; hash: Buffer } {
    const token = randomBytes(32).toString("base64url");
    return { token, hash: hashRefreshToken(token) };
  }
}

export function hashRefreshToken(token: string): Buffer {
  return createHash("sha256").update(token).digest();
}
