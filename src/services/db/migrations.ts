/**
 * Versioned schema migrations, applied in order at start-up. Append new versions; never edit an applied one.
 *
 * `migrate()` runs them in one transaction under a transaction-scoped advisory lock, so several processes starting
 * at once against the same PostgreSQL serialise: the first applies, the others wait and then find nothing to do.
 */
import type { Database } from "./Database.ts";

export interface Migration {
  version: number;
  name: string;
  sql: string;
}

/** Arbitrary constant shared by every process of this project: the advisory lock key for migrations. */
const MIGRATION_LOCK_KEY = 0x6172656e61; // "arena"

export const MIGRATIONS: readonly Migration[] = [
  {
    version: 1,
    name: "initial",
    sql: `
CREATE TABLE players (
  id               text PRIMARY KEY,
  username         text NOT NULL,
  password_hash    text,
  device_id        text UNIQUE,
  region           text NOT NULL,
  rating           double precision NOT NULL DEFAULT 1500,
  rating_deviation double precision NOT NULL DEFAULT 350,
  volatility       double precision NOT NULL DEFAULT 0.06,
  wins             integer NOT NULL DEFAULT 0,
  losses           integer NOT NULL DEFAULT 0,
  is_admin         boolean NOT NULL DEFAULT false,
  banned_until     timestamptz,
  ban_reason       text,
  muted_until      timestamptz,
  current_session_id text,
  created_at       timestamptz NOT NULL DEFAULT now(),
  last_login_at    timestamptz,
  CONSTRAINT players_username_length CHECK (char_length(username) BETWEEN 3 AND 32)
);
CREATE UNIQUE INDEX players_username_lower ON players (lower(username));

CREATE TABLE refresh_tokens (
  token_hash  bytea PRIMARY KEY,
  family_id   text NOT NULL,
  player_id   text NOT NULL REFERENCES players (id) ON DELETE CASCADE,
  created_at  timestamptz NOT NULL DEFAULT now(),
  expires_at  timestamptz NOT NULL,
  spent_at    timestamptz,
  revoked_at  timestamptz
);
CREATE INDEX refresh_tokens_family ON refresh_tokens (family_id);
CREATE INDEX refresh_tokens_player ON refresh_tokens (player_id);

CREATE TABLE game_sessions (
  id               text PRIMARY KEY,
  game_type        text NOT NULL,
  mode             text NOT NULL,
  region           text NOT NULL,
  server_id        text,
  status           text NOT NULL DEFAULT 'waiting' CHECK (status IN ('waiting', 'active', 'ended')),
  epoch            integer NOT NULL DEFAULT 0,
  lease_expires_at timestamptz,
  created_at       timestamptz NOT NULL DEFAULT now(),
  started_at       timestamptz,
  ended_at         timestamptz
);
CREATE INDEX game_sessions_status_region ON game_sessions (status, region, created_at DESC);

CREATE TABLE game_session_players (
  session_id text NOT NULL REFERENCES game_sessions (id) ON DELETE CASCADE,
  player_id  text NOT NULL,
  username   text NOT NULL,
  team       smallint,
  bot        boolean NOT NULL DEFAULT false,
  PRIMARY KEY (session_id, player_id)
);
CREATE INDEX game_session_players_player ON game_session_players (player_id);

CREATE TABLE state_snapshots (
  session_id text NOT NULL REFERENCES game_sessions (id) ON DELETE CASCADE,
  version    integer NOT NULL,
  tick       integer NOT NULL,
  state      bytea NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (session_id, version)
);

CREATE TABLE match_results (
  session_id  text PRIMARY KEY REFERENCES game_sessions (id),
  mode        text NOT NULL,
  region      text NOT NULL,
  rated       boolean NOT NULL,
  duration_ms integer NOT NULL,
  seed        bigint NOT NULL,
  result      jsonb NOT NULL,
  created_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE chat_messages (
  id         text PRIMARY KEY,
  channel    text NOT NULL,
  player_id  text NOT NULL,
  username   text NOT NULL,
  text       text NOT NULL,
  created_at timestamptz NOT NULL DEFAULT now(),
  seq        bigserial NOT NULL
);
CREATE INDEX chat_messages_channel_seq ON chat_messages (channel, seq DESC);

CREATE TABLE player_blocks (
  player_id         text NOT NULL REFERENCES players (id) ON DELETE CASCADE,
  blocked_player_id text NOT NULL REFERENCES players (id) ON DELETE CASCADE,
  created_at        timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (player_id, blocked_player_id)
);

CREATE TABLE leaderboards (
  id              text PRIMARY KEY,
  title           text NOT NULL,
  sort_order      text NOT NULL CHECK (sort_order IN ('asc', 'desc')),
  operator        text NOT NULL CHECK (operator IN ('best', 'set', 'incr', 'decr')),
  reset_schedule  text,
  season          integer NOT NULL DEFAULT 1,
  season_started_at timestamptz NOT NULL DEFAULT now(),
  next_reset_at   timestamptz
);

CREATE TABLE leaderboard_entries (
  board_id   text NOT NULL REFERENCES leaderboards (id) ON DELETE CASCADE,
  season     integer NOT NULL,
  player_id  text NOT NULL REFERENCES players (id) ON DELETE CASCADE,
  score      double precision NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (board_id, season, player_id)
);
CREATE INDEX leaderboard_entries_rank ON leaderboard_entries (board_id, season, score, updated_at);
`,
  },
  {
    version: 2,
    name: "retention indexes",
    // RetentionService's deletes find their rows by time without scanning the tables.
    sql: `
CREATE INDEX refresh_tokens_expires ON refresh_tokens (expires_at);
CREATE INDEX refresh_tokens_revoked ON refresh_tokens (revoked_at) WHERE revoked_at IS NOT NULL;
CREATE INDEX chat_messages_created ON chat_messages (created_at);
CREATE INDEX game_sessions_ended ON game_sessions (ended_at) WHERE status = 'ended';
`,
  },
  {
    version: 3,
    name: "ratings per game",
    // The default game's rating stays in the players columns (the account's top-level rating, as before games were
    // plug-ins); every other rating key (`<game>` or `<game>:<mode>`) has a row here once the player played it.
    sql: `
ALTER TABLE players ADD COLUMN draws integer NOT NULL DEFAULT 0;

CREATE TABLE player_ratings (
  player_id        text NOT NULL REFERENCES players (id) ON DELETE CASCADE,
  rating_key       text NOT NULL,
  rating           double precision NOT NULL DEFAULT 1500,
  rating_deviation double precision NOT NULL DEFAULT 350,
  volatility       double precision NOT NULL DEFAULT 0.06,
  wins             integer NOT NULL DEFAULT 0,
  losses           integer NOT NULL DEFAULT 0,
  draws            integer NOT NULL DEFAULT 0,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (player_id, rating_key)
);
`,
  },
];

export interface MigrationReport {
  applied: number[];
  current: number;
}

/** Brings the schema up to the newest migration. Safe to call from several processes at once. */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<MigrationReport> {
  return db.transaction(async (tx) => {
    await tx.query("SELECT pg_advisory_xact_lock($1)", [MIGRATION_LOCK_KEY]);
    await tx.execute(`CREATE TABLE IF NOT EXISTS schema_migrations (
      version    integer PRIMARY KEY,
      name       text NOT NULL,
      applied_at timestamptz NOT NULL DEFAULT now()
    )`);
    const rows = await tx.query<{ version: number }>("SELECT version FROM schema_migrations");
    const done = new Set(rows.map((row) => row.version));
    const applied: number[] = [];
    for (const migration of [...migrations].sort((a, b) => a.version - b.version)) {
      if (done.has(migration.version)) continue;
      // Statements run one by one: a prepared statement holds exactly one, on both drivers.
      for (const statement of splitStatements(migration.sql)) await tx.execute(statement);
      await tx.execute("INSERT INTO schema_migrations (version, name) VALUES ($1, $2)", [
        migration.version,
        migration.name,
      ]);
      applied.push(migration.version);
    }
    const current = Math.max(0, ...done, ...applied);
    return { applied, current };
  });
}

/** Splits a migration script on top-level semicolons. Migrations hold no function bodies or quoted semicolons. */
export function splitStatements(sql: string): string[] {
  return sql
    .split(/;\s*(?:\n|$)/)
    .map((statement) => statement.trim())
    .filter((statement) => statement.length > 0);
}
