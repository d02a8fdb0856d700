import type { Queryable } from "../db/Database.ts";
import { isUniqueViolation } from "../db/sqlErrors.ts";
import { newId } from "../ids.ts";

export interface PlayerRecord {
  id: string;
  username: string;
  passwordHash: string | null;
  deviceId: string | null;
  region: string;
  rating: number;
  ratingDeviation: number;
  volatility: number;
  wins: number;
  losses: number;
  isAdmin: boolean;
  bannedUntil: Date | null;
  banReason: string | null;
  mutedUntil: Date | null;
  currentSessionId: string | null;
  createdAt: Date;
  lastLoginAt: Date | null;
}

export interface NewPlayer {
  username: string;
  region: string;
  passwordHash?: string;
  deviceId?: string;
  isAdmin?: boolean;
}

/** The username is taken (compared without regard to case). */
export class UsernameTakenError extends Error {
  constructor(readonly username: string) {
    super(`username "${username}" is taken`);
    this.name = "UsernameTakenError";
  }
}

/** Player accounts. Usernames are unique without regard to case. */
export interface PlayerStore {
  /** @throws UsernameTakenError */
  create(player: NewPlayer): Promise<PlayerRecord>;
  findById(id: string): Promise<PlayerRecord | undefined>;
  findByUsername(username: string): Promise<PlayerRecord | undefined>;
  findByDeviceId(deviceId: string): Promise<PlayerRecord | undefined>;
  updateRegion(id: string, region: string): Promise<PlayerRecord | undefined>;
  recordLogin(id: string, at: Date): Promise<void>;
  /**
   * Gives a guest a username and password, keeping its id, rating and history. Returns undefined when the player
   * does not exist or already has a password. @throws UsernameTakenError
   */
  linkCredentials(id: string, username: string, passwordHash: string): Promise<PlayerRecord | undefined>;
  /** Bans until `until` (null lifts the ban). */
  setBan(id: string, until: Date | null, reason: string | null): Promise<PlayerRecord | undefined>;
  /** Mutes until `until` (null lifts the mute). */
  setMute(id: string, until: Date | null): Promise<PlayerRecord | undefined>;
  /** Sets (or clears, with null) the current session of every listed player. */
  setCurrentSession(playerIds: readonly string[], sessionId: string | null): Promise<void>;
}

interface PlayerRow {
  id: string;
  username: string;
  password_hash: string | null;
  device_id: string | null;
  region: string;
  rating: number;
  rating_deviation: number;
  volatility: number;
  wins: number;
  losses: number;
  is_admin: boolean;
  banned_until: Date | null;
  ban_reason: string | null;
  muted_until: Date | null;
  current_session_id: string | null;
  created_at: Date;
  last_login_at: Date | null;
}

function toRecord(row: PlayerRow): PlayerRecord {
  return {
    id: row.id,
    username: row.username,
    passwordHash: row.password_hash,
    deviceId: row.device_id,
    region: row.region,
    rating: row.rating,
    ratingDeviation: row.rating_deviation,
    volatility: row.volatility,
    wins: row.wins,
    losses: row.losses,
    isAdmin: row.is_admin,
    bannedUntil: row.banned_until,
    banReason: row.ban_reason,
    mutedUntil: row.muted_until,
    currentSessionId: row.current_session_id,
    createdAt: row.created_at,
    lastLoginAt: row.last_login_at,
  };
}

export class SqlPlayerStore implements PlayerStore {
  constructor(private readonly db: Queryable) {}

  async create(player: NewPlayer): Promise<PlayerRecord> {
    try {
      const [row] = await this.db.query<PlayerRow>(
        `INSERT INTO players (id, username, region, password_hash, device_id, is_admin)
         VALUES ($1, $2, $3, $4, $5, $6) RETURNING *`,
        [
          newId(),
          player.username,
          player.region,
          player.passwordHash ?? null,
          player.deviceId ?? null,
          !!player.isAdmin,
        ],
      );
      return toRecord(row!);
    } catch (error) {
      if (isUniqueViolation(error, "players_username_lower")) throw new UsernameTakenError(player.username);
      throw error;
    }
  }

  private async one(sql: string, params: readonly unknown[]): Promise<PlayerRecord | undefined> {
    const [row] = await this.db.query<PlayerRow>(sql, params);
    return row === undefined ? undefined : toRecord(row);
  }

  findById(id: string): Promise<PlayerRecord | undefined> {
    return this.one("SELECT * FROM players WHERE id = $1", [id]);
  }

  findByUsername(username: string): Promise<PlayerRecord | undefined> {
    return this.one("SELECT * FROM players WHERE lower(username) = lower($1)", [username]);
  }

  findByDeviceId(deviceId: string): Promise<PlayerRecord | undefined> {
    return this.one("SELECT * FROM players WHERE device_id = $1", [deviceId]);
  }

  updateRegion(id: string, region: string): Promise<PlayerRecord | undefined> {
    return this.one("UPDATE players SET region = $2 WHERE id = $1 RETURNING *", [id, region]);
  }

  async linkCredentials(id: string, username: string, passwordHash: string): Promise<PlayerRecord | undefined> {
    try {
      return await this.one(
        "UPDATE players SET username = $2, password_hash = $3 WHERE id = $1 AND password_hash IS NULL RETURNING *",
        [id, username, passwordHash],
      );
    } catch (error) {
      if (isUniqueViolation(error, "players_username_lower")) throw new UsernameTakenError(username);
      throw error;
    }
  }

  setBan(id: string, until: Date | null, reason: string | null): Promise<PlayerRecord | undefined> {
    return this.one("UPDATE players SET banned_until = $2, ban_reason = $3 WHERE id = $1 RETURNING *", [
      id,
      until,
      reason,
    ]);
  }

  setMute(id: string, until: Date | null): Promise<PlayerRecord | undefined> {
    return this.one("UPDATE players SET muted_until = $2 WHERE id = $1 RETURNING *", [id, until]);
  }

  async recordLogin(id: string, at: Date): Promise<void> {
    await this.db.execute("UPDATE players SET last_login_at = $2 WHERE id = $1", [id, at]);
  }

  async setCurrentSession(playerIds: readonly string[], sessionId: string | null): Promise<void> {
    if (playerIds.length === 0) return;
    await this.db.execute("UPDATE players SET current_session_id = $2 WHERE id = ANY($1::text[])", [
      playerIds,
      sessionId,
    ]);
  }
}
