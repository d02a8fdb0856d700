import type { Database } from "../db/Database.ts";

export type SessionStatus = "waiting" | "active" | "ended";

export interface SessionPlayer {
  playerId: string;
  username: string;
  team: number | null;
  bot: boolean;
}

export interface SessionRecord {
  id: string;
  gameType: string;
  mode: string;
  region: string;
  serverId: string | null;
  status: SessionStatus;
  epoch: number;
  createdAt: Date;
  startedAt: Date | null;
  endedAt: Date | null;
  players: SessionPlayer[];
}

export interface NewSession {
  /** Until when the creating process holds the session (renewed by it; lapsed = orphaned). */
  leaseUntil?: Date;
  id: string;
  gameType: string;
  mode: string;
  region: string;
  serverId: string;
  players: readonly SessionPlayer[];
}

export interface SnapshotRecord {
  sessionId: string;
  version: number;
  tick: number;
  state: Buffer;
  createdAt: Date;
}

export interface OrphanCandidate {
  id: string;
  epoch: number;
  /** The Colyseus process id that holds the session (null for a session created without one). */
  serverId: string | null;
}

export interface SessionQuery {
  status?: SessionStatus;
  region?: string;
  limit: number;
}

/** Game sessions (one per match room), their players, and their versioned state snapshots. */
export interface GameSessionStore {
  /** Creates the session and its player rows atomically. */
  create(session: NewSession): Promise<SessionRecord>;
  get(id: string): Promise<SessionRecord | undefined>;
  /** Newest first. */
  list(query: SessionQuery): Promise<SessionRecord[]>;
  /** waiting → active; returns false when the session was not waiting. */
  markActive(id: string, at: Date): Promise<boolean>;
  /** any → ended, once; returns false when it had already ended. */
  markEnded(id: string, at: Date): Promise<boolean>;
  /**
   * Stores a snapshot if `epoch` is still the session's epoch (a fenced process writes nothing); a version already
   * stored is refused. Returns whether it was stored.
   */
  saveSnapshot(snapshot: Omit<SnapshotRecord, "createdAt">, epoch?: number): Promise<boolean>;
  /** Extends the session's lease while `epoch` holds it; false when fenced (another process claimed it) or ended. */
  renewLease(id: string, epoch: number, until: Date): Promise<boolean>;
  /** Gives the lease up at once (a graceful shutdown hands the match to another process). */
  releaseLease(id: string, epoch: number): Promise<boolean>;
  /**
   * Live sessions of `region` whose lease lapsed before `now`, with the process that holds them: it is gone or
   * stalled — or the database could not take its renewals (an outage), which is why recovery checks the owner too.
   */
  orphans(region: string, now: Date): Promise<OrphanCandidate[]>;
  /** Takes an orphan over: epoch + 1, new server and lease, if nobody did first. */
  claim(id: string, epoch: number, serverId: string, until: Date): Promise<boolean>;
  /** The newest snapshot, or the given version. */
  getSnapshot(sessionId: string, version?: number): Promise<SnapshotRecord | undefined>;
  /**
   * Retention: deletes at most `limit` snapshots of sessions that ended before `endedBefore` (and, when given, not
   * before `endedAfter`: a caller that already pruned up to there skips the older sessions), keeping the newest
   * snapshot of each (what the match ended on). Live sessions are never touched. Returns how many were deleted.
   */
  pruneSnapshots(endedBefore: Date, limit: number, endedAfter?: Date): Promise<number>;
}

interface SessionRow {
  id: string;
  game_type: string;
  mode: string;
  region: string;
  server_id: string | null;
  status: SessionStatus;
  epoch: number;
  created_at: Date;
  started_at: Date | null;
  ended_at: Date | null;
}

interface SessionPlayerRow {
  session_id: string;
  player_id: string;
  username: string;
  team: number | null;
  bot: boolean;
}

interface SnapshotRow {
  session_id: string;
  version: number;
  tick: number;
  state: Buffer;
  created_at: Date;
}

export class SqlGameSessionStore implements GameSessionStore {
  constructor(private readonly db: Database) {}

  async create(session: NewSession): Promise<SessionRecord> {
    await this.db.transaction(async (tx) => {
      await tx.execute(
        `INSERT INTO game_sessions (id, game_type, mode, region, server_id, lease_expires_at) VALUES ($1, $2, $3, $4, $5, $6)`,
        [session.id, session.gameType, session.mode, session.region, session.serverId, session.leaseUntil ?? null],
      );
      for (const player of session.players) {
        await tx.execute(
          `INSERT INTO game_session_players (session_id, player_id, username, team, bot) VALUES ($1, $2, $3, $4, $5)`,
          [session.id, player.playerId, player.username, player.team, player.bot],
        );
      }
    });
    const created = await this.get(session.id);
    if (created === undefined) throw new Error(`session ${session.id} vanished after insert`);
    return created;
  }

  async get(id: string): Promise<SessionRecord | undefined> {
    const [found] = await this.hydrate(
      await this.db.query<SessionRow>("SELECT * FROM game_sessions WHERE id = $1", [id]),
    );
    return found;
  }

  async list(query: SessionQuery): Promise<SessionRecord[]> {
    const rows = await this.db.query<SessionRow>(
      `SELECT * FROM game_sessions
        WHERE ($1::text IS NULL OR status = $1) AND ($2::text IS NULL OR region = $2)
        ORDER BY created_at DESC, id LIMIT $3`,
      [query.status ?? null, query.region ?? null, query.limit],
    );
    return this.hydrate(rows);
  }

  private async hydrate(rows: SessionRow[]): Promise<SessionRecord[]> {
    if (rows.length === 0) return [];
    const players = await this.db.query<SessionPlayerRow>(
      `SELECT * FROM game_session_players WHERE session_id = ANY($1::text[]) ORDER BY team NULLS LAST, player_id`,
      [rows.map((row) => row.id)],
    );
    return rows.map((row) => ({
      id: row.id,
      gameType: row.game_type,
      mode: row.mode,
      region: row.region,
      serverId: row.server_id,
      status: row.status,
      epoch: row.epoch,
      createdAt: row.created_at,
      startedAt: row.started_at,
      endedAt: row.ended_at,
      players: players
        .filter((player) => player.session_id === row.id)
        .map((player) => ({
          playerId: player.player_id,
          username: player.username,
          team: player.team,
          bot: player.bot,
        })),
    }));
  }

  async markActive(id: string, at: Date): Promise<boolean> {
    const count = await this.db.execute(
      "UPDATE game_sessions SET status = 'active', started_at = $2 WHERE id = $1 AND status = 'waiting'",
      [id, at],
    );
    return count === 1;
  }

  async markEnded(id: string, at: Date): Promise<boolean> {
    const count = await this.db.execute(
      "UPDATE game_sessions SET status = 'ended', ended_at = $2 WHERE id = $1 AND status <> 'ended'",
      [id, at],
    );
    return count === 1;
  }

  async saveSnapshot(snapshot: Omit<SnapshotRecord, "createdAt">, epoch?: number): Promise<boolean> {
    const count = await this.db.execute(
      `INSERT INTO state_snapshots (session_id, version, tick, state)
       SELECT $1, $2, $3, $4 WHERE $5::integer IS NULL OR EXISTS (SELECT 1 FROM game_sessions WHERE id = $1 AND epoch = $5)
       ON CONFLICT (session_id, version) DO NOTHING`,
      [snapshot.sessionId, snapshot.version, snapshot.tick, snapshot.state, epoch ?? null],
    );
    return count === 1;
  }

  async renewLease(id: string, epoch: number, until: Date): Promise<boolean> {
    const count = await this.db.execute(
      "UPDATE game_sessions SET lease_expires_at = $3 WHERE id = $1 AND epoch = $2 AND status <> 'ended'",
      [id, epoch, until],
    );
    return count === 1;
  }

  async releaseLease(id: string, epoch: number): Promise<boolean> {
    const count = await this.db.execute(
      "UPDATE game_sessions SET lease_expires_at = now() - interval '1 second' WHERE id = $1 AND epoch = $2 AND status <> 'ended'",
      [id, epoch],
    );
    return count === 1;
  }

  async orphans(region: string, now: Date): Promise<OrphanCandidate[]> {
    const rows = await this.db.query<{ id: string; epoch: number; server_id: string | null }>(
      `SELECT id, epoch, server_id FROM game_sessions
        WHERE status <> 'ended' AND region = $1 AND lease_expires_at IS NOT NULL AND lease_expires_at < $2
        ORDER BY created_at LIMIT 100`,
      [region, now],
    );
    return rows.map((row) => ({ id: row.id, epoch: row.epoch, serverId: row.server_id }));
  }

  async claim(id: string, epoch: number, serverId: string, until: Date): Promise<boolean> {
    const count = await this.db.execute(
      `UPDATE game_sessions SET epoch = epoch + 1, server_id = $3, lease_expires_at = $4
        WHERE id = $1 AND epoch = $2 AND status <> 'ended'`,
      [id, epoch, serverId, until],
    );
    return count === 1;
  }

  async getSnapshot(sessionId: string, version?: number): Promise<SnapshotRecord | undefined> {
    const [row] = await this.db.query<SnapshotRow>(
      `SELECT * FROM state_snapshots WHERE session_id = $1 AND ($2::integer IS NULL OR version = $2)
        ORDER BY version DESC LIMIT 1`,
      [sessionId, version ?? null],
    );
    if (row === undefined) return undefined;
    return {
      sessionId: row.session_id,
      version: row.version,
      tick: row.tick,
      state: row.state,
      createdAt: row.created_at,
    };
  }

  pruneSnapshots(endedBefore: Date, limit: number, endedAfter?: Date): Promise<number> {
    return this.db.execute(
      `DELETE FROM state_snapshots WHERE (session_id, version) IN (
         SELECT s.session_id, s.version FROM state_snapshots s
           JOIN game_sessions g ON g.id = s.session_id
          WHERE g.status = 'ended' AND g.ended_at < $1 AND ($3::timestamptz IS NULL OR g.ended_at >= $3)
            AND s.version < (SELECT max(version) FROM state_snapshots m WHERE m.session_id = s.session_id)
          LIMIT $2)`,
      [endedBefore, limit, endedAfter ?? null],
    );
  }
}
