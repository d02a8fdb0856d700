import type { Database } from "../db/Database.ts";

export interface NewRefreshToken {
  hash: Buffer;
  familyId: string;
  playerId: string;
  expiresAt: Date;
}

/** What presenting a refresh token did. Only `rotated` carries a player; everything else is a refusal. */
export type RotationOutcome =
  | { kind: "rotated"; playerId: string; familyId: string }
  | { kind: "unknown" }
  | { kind: "expired" }
  | { kind: "revoked" }
  /** The token had been spent already: its family is now revoked (RFC 9700's refresh-token reuse signal). */
  | { kind: "reused"; familyId: string };

/** Hashed refresh tokens, grouped in families (one per login), rotated on every use. */
export interface RefreshTokenStore {
  issue(token: NewRefreshToken): Promise<void>;
  /**
   * Atomically spends `presented` and issues `next` in the same family. A spent token revokes its whole family;
   * nothing is issued unless the outcome is `rotated`.
   */
  rotate(presented: Buffer, next: Omit<NewRefreshToken, "familyId" | "playerId">, now: Date): Promise<RotationOutcome>;
  /**
   * Revokes the family of the given token if it belongs to `owner`; returns the token's family and player when the
   * token was known (whoever owns it), so a caller can tell "not yours" (nothing revoked) from "unknown".
   */
  revokeFamilyOf(
    presented: Buffer,
    owner: string,
    now: Date,
  ): Promise<{ familyId: string; playerId: string } | undefined>;
  revokeAllOfPlayer(playerId: string, now: Date): Promise<void>;
  isFamilyRevoked(familyId: string): Promise<boolean>;
  /**
   * Retention: deletes at most `limit` tokens that expired, or were revoked, before `cutoff`; returns how many.
   * A live family keeps its newer spent tokens (reuse detection needs them) and a recent revocation stays visible
   * to access-token checks until the cutoff passes it.
   */
  prune(cutoff: Date, limit: number): Promise<number>;
}

interface TokenRow {
  family_id: string;
  player_id: string;
  expires_at: Date;
  spent_at: Date | null;
  revoked_at: Date | null;
}

export class SqlRefreshTokenStore implements RefreshTokenStore {
  constructor(private readonly db: Database) {}

  async issue(token: NewRefreshToken): Promise<void> {
    await this.db.execute(
      "INSERT INTO refresh_tokens (token_hash, family_id, player_id, expires_at) VALUES ($1, $2, $3, $4)",
      [token.hash, token.familyId, token.playerId, token.expiresAt],
    );
  }

  rotate(presented: Buffer, next: Omit<NewRefreshToken, "familyId" | "playerId">, now: Date): Promise<RotationOutcome> {
    return this.db.transaction(async (tx): Promise<RotationOutcome> => {
      // FOR UPDATE serialises two presentations of the same token: the second sees it spent.
      const [row] = await tx.query<TokenRow>(
        "SELECT family_id, player_id, expires_at, spent_at, revoked_at FROM refresh_tokens WHERE token_hash = $1 FOR UPDATE",
        [presented],
      );
      if (row === undefined) return { kind: "unknown" };
      if (row.revoked_at !== null) return { kind: "revoked" };
      if (row.spent_at !== null) {
        await tx.execute("UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL", [
          row.family_id,
          now,
        ]);
        return { kind: "reused", familyId: row.family_id };
      }
      if (row.expires_at.getTime() <= now.getTime()) return { kind: "expired" };
      await tx.execute("UPDATE refresh_tokens SET spent_at = $2 WHERE token_hash = $1", [presented, now]);
      await tx.execute(
        "INSERT INTO refresh_tokens (token_hash, family_id, player_id, expires_at) VALUES ($1, $2, $3, $4)",
        [next.hash, row.family_id, row.player_id, next.expiresAt],
      );
      return { kind: "rotated", playerId: row.player_id, familyId: row.family_id };
    });
  }

  async revokeFamilyOf(
    presented: Buffer,
    owner: string,
    now: Date,
  ): Promise<{ familyId: string; playerId: string } | undefined> {
    const [row] = await this.db.query<{ family_id: string; player_id: string }>(
      "SELECT family_id, player_id FROM refresh_tokens WHERE token_hash = $1",
      [presented],
    );
    if (row === undefined) return undefined;
    if (row.player_id !== owner) return { familyId: row.family_id, playerId: row.player_id };
    await this.db.execute("UPDATE refresh_tokens SET revoked_at = $2 WHERE family_id = $1 AND revoked_at IS NULL", [
      row.family_id,
      now,
    ]);
    return { familyId: row.family_id, playerId: row.player_id };
  }

  async revokeAllOfPlayer(playerId: string, now: Date): Promise<void> {
    await this.db.execute("UPDATE refresh_tokens SET revoked_at = $2 WHERE player_id = $1 AND revoked_at IS NULL", [
      playerId,
      now,
    ]);
  }

  async isFamilyRevoked(familyId: string): Promise<boolean> {
    const rows = await this.db.query(
      "SELECT 1 FROM refresh_tokens WHERE family_id = $1 AND revoked_at IS NOT NULL LIMIT 1",
      [familyId],
    );
    return rows.length > 0;
  }

  prune(cutoff: Date, limit: number): Promise<number> {
    return this.db.execute(
      `DELETE FROM refresh_tokens WHERE token_hash IN (
         SELECT token_hash FROM refresh_tokens WHERE expires_at < $1 OR revoked_at < $1 LIMIT $2)`,
      [cutoff, limit],
    );
  }
}
