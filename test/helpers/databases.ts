/**
 * Real databases for tests: a fresh PostgreSQL database per suite (created on the server at TEST_DATABASE_URL,
 * dropped afterwards) and an in-memory PGlite; full servers on PGlite start from a copy of a migrated template.
 * Contract suites run once per kind through {@link forEachDatabase}.
 */
import { randomBytes } from "node:crypto";
import { rmSync } from "node:fs";
import { cp, mkdtemp } from "node:fs/promises";
import { tmpdir } from "node:os";
import path from "node:path";
import pg from "pg";
import type { Database, DatabaseKind } from "../../src/services/db/Database.ts";
import { migrate } from "../../src/services/db/migrations.ts";
import { PgDatabase } from "../../src/services/db/PgDatabase.ts";
import { PgliteDatabase } from "../../src/services/db/PgliteDatabase.ts";
import { testLogger } from "./logger.ts";

export const TEST_DATABASE_URL = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/test";

/** Which kinds to run: TEST_DATABASES=postgres,pglite (default both). */
export const DATABASE_KINDS: DatabaseKind[] = (process.env.TEST_DATABASES ?? "postgres,pglite")
  .split(",")
  .map((kind) => kind.trim())
  .filter((kind): kind is DatabaseKind => kind === "postgres" || kind === "pglite");

async function admin<T>(work: (client: pg.Client) => Promise<T>): Promise<T> {
  const client = new pg.Client({ connectionString: TEST_DATABASE_URL });
  await client.connect();
  try {
    return await work(client);
  } finally {
    await client.end();
  }
}

let pgliteTemplate: Promise<string> | undefined;

/**
 * The data directory of a migrated, empty PGlite database, made once per test process and removed when it exits.
 * A new PGlite database on disk takes about 3 s (its initdb); a copy of this one opens in about half a second.
 */
function migratedPgliteTemplate(): Promise<string> {
  pgliteTemplate ??= (async () => {
    const dir = await mkdtemp(path.join(tmpdir(), "arena-pglite-template-"));
    process.once("exit", () => rmSync(dir, { recursive: true, force: true }));
    const db = await PgliteDatabase.open(dir);
    try {
      await migrate(db);
    } finally {
      await db.close();
    }
    return dir;
  })();
  return pgliteTemplate;
}

/** Fills `dataDir` (a server's DATA_DIR) with a copy of the migrated, empty PGlite database, as `<dataDir>/pglite`. */
export async function seedPgliteDataDir(dataDir: string): Promise<void> {
  await cp(await migratedPgliteTemplate(), path.join(dataDir, "pglite"), { recursive: true });
}

/** A PostgreSQL database made for one suite. */
export interface ScratchPostgres {
  url: string;
  name: string;
  drop(): Promise<void>;
}

export async function createScratchPostgres(): Promise<ScratchPostgres> {
  const name = `arena_test_${process.pid}_${randomBytes(4).toString("hex")}`;
  await admin((client) => client.query(`CREATE DATABASE ${name}`));
  const url = new URL(TEST_DATABASE_URL);
  url.pathname = `/${name}`;
  return {
    url: url.toString(),
    name,
    drop: () => admin((client) => client.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`)).then(() => undefined),
  };
}

export interface TestDatabase {
  db: Database;
  /** The PostgreSQL URL when kind is postgres. */
  url: string | undefined;
  close(): Promise<void>;
}

/** A migrated, empty database of the given kind. */
export async function openTestDatabase(kind: DatabaseKind): Promise<TestDatabase> {
  if (kind === "pglite") {
    const db = await PgliteDatabase.open(undefined);
    await migrate(db);
    return { db, url: undefined, close: () => db.close() };
  }
  const scratch = await createScratchPostgres();
  const db = new PgDatabase({ connectionString: scratch.url }, testLogger);
  await migrate(db);
  return {
    db,
    url: scratch.url,
    close: async () => {
      await db.close();
      await scratch.drop();
    },
  };
}

/**
 * Declares `suite` once per database kind, each with its own migrated database, opened before and closed after.
 * `get()` returns the database of the running suite.
 */
export function forEachDatabase(title: string, suite: (get: () => Database, kind: DatabaseKind) => void): void {
  for (const kind of DATABASE_KINDS) {
    describe(`${title} [${kind}]`, function () {
      this.timeout(30_000);
      let current: TestDatabase | undefined;
      before(async () => {
        current = await openTestDatabase(kind);
      });
      after(async () => {
        await current?.close();
      });
      suite(() => {
        if (current === undefined) throw new Error("database not open");
        return current.db;
      }, kind);
    });
  }
}
