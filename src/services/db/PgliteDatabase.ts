import fs from "node:fs";
import { PGlite, type Transaction, types } from "@electric-sql/pglite";
import { type Database, type Queryable, withTimeout } from "./Database.ts";

function normaliseRow(row: Record<string, unknown>): Record<string, unknown> {
  for (const key in row) {
    const value = row[key];
    // bytea arrives as Uint8Array here and as Buffer from node-pg; stores see Buffer from both.
    if (value instanceof Uint8Array && !Buffer.isBuffer(value)) row[key] = Buffer.from(value);
  }
  return row;
}

function toQueryable(target: PGlite | Transaction): Queryable {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
      const result = await target.query<Record<string, unknown>>(text, params as unknown[]);
      return result.rows.map(normaliseRow) as Row[];
    },
    async execute(text: string, params: readonly unknown[] = []): Promise<number> {
      const result = await target.query(text, params as unknown[]);
      return result.affectedRows ?? 0;
    },
  };
}

/**
 * The embedded database: PostgreSQL compiled to WASM, persisted under a directory (or in memory when `dataDir` is
 * undefined, which tests use). One connection, so statements are serialised; transactions are exclusive.
 */
export class PgliteDatabase implements Database {
  readonly kind = "pglite" as const;
  private readonly root: Queryable;

  private constructor(private readonly db: PGlite) {
    this.root = toQueryable(db);
  }

  static async open(dataDir: string | undefined): Promise<PgliteDatabase> {
    if (dataDir !== undefined) fs.mkdirSync(dataDir, { recursive: true });
    const db = await PGlite.create({
      ...(dataDir === undefined ? {} : { dataDir }),
      parsers: { [types.INT8]: (value: string) => Number(value) },
    });
    return new PgliteDatabase(db);
  }

  query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.root.query<Row>(text, params);
  }

  execute(text: string, params?: readonly unknown[]): Promise<number> {
    return this.root.execute(text, params);
  }

  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    return this.db.transaction((tx) => work(toQueryable(tx)));
  }

  async ping(timeoutMs: number): Promise<void> {
    await withTimeout(this.db.query("SELECT 1"), timeoutMs, "PGlite");
  }

  async close(): Promise<void> {
    if (!this.db.closed) await this.db.close();
  }
}
