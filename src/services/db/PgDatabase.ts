import pg from "pg";
import type { Logger } from "../../logger.ts";
import { type Database, PG_TYPE, type Queryable, withTimeout } from "./Database.ts";

export interface PgDatabaseOptions {
  connectionString: string;
  maxConnections?: number;
  /** How long to wait for a new connection before failing the query. */
  connectTimeoutMs?: number;
  /** Server-side statement timeout; a stuck query never holds a pool slot forever. */
  statementTimeoutMs?: number;
}

function toQueryable(client: pg.Pool | pg.PoolClient, types: pg.CustomTypesConfig): Queryable {
  return {
    async query<Row>(text: string, params: readonly unknown[] = []): Promise<Row[]> {
      const result = await client.query({ text, values: params as unknown[], types });
      return result.rows as Row[];
    },
    async execute(text: string, params: readonly unknown[] = []): Promise<number> {
      const result = await client.query({ text, values: params as unknown[], types });
      return result.rowCount ?? 0;
    },
  };
}

/**
 * PostgreSQL through a node-pg pool. The pool has an error listener, so an idle connection dropped by a database
 * restart is logged and replaced rather than crashing the process; queries fail fast while the server is gone and
 * succeed again once it is back, with no restart of ours.
 */
export class PgDatabase implements Database {
  readonly kind = "postgres" as const;
  private readonly pool: pg.Pool;
  private readonly types: pg.CustomTypesConfig;
  private readonly root: Queryable;
  private readonly log: Logger;

  constructor(options: PgDatabaseOptions, log: Logger) {
    this.log = log;
    this.types = {
      getTypeParser: ((oid: number, format?: "text" | "binary") => {
        if (oid === PG_TYPE.INT8) return (value: string) => Number(value);
        return pg.types.getTypeParser(oid, format);
      }) as pg.CustomTypesConfig["getTypeParser"],
    };
    this.pool = new pg.Pool({
      connectionString: options.connectionString,
      max: options.maxConnections ?? 10,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 2000,
      idleTimeoutMillis: 30_000,
      statement_timeout: options.statementTimeoutMs ?? 10_000,
      keepAlive: true,
    });
    this.pool.on("error", (error) => {
      log.warn({ err: error.message }, "idle PostgreSQL connection lost; the pool will reconnect");
    });
    this.root = toQueryable(this.pool, this.types);
  }

  query<Row>(text: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.root.query<Row>(text, params);
  }

  execute(text: string, params?: readonly unknown[]): Promise<number> {
    return this.root.execute(text, params);
  }

  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    const client = await this.pool.connect();
    let broken = false;
    // A connection lost while checked out emits "error" on the client, not the pool: without this listener it
    // would be an uncaught exception. The pending query rejects on its own; the client is then discarded.
    const onError = (error: Error) => {
      broken = true;
      this.log.warn({ err: error.message }, "PostgreSQL connection lost during a transaction");
    };
    client.on("error", onError);
    try {
      await client.query("BEGIN");
      const result = await work(toQueryable(client, this.types));
      await client.query("COMMIT");
      return result;
    } catch (error) {
      await client.query("ROLLBACK").catch(() => {
        broken = true;
      });
      throw error;
    } finally {
      client.off("error", onError);
      // A connection that failed or whose ROLLBACK failed is in an unknown state: destroy it, do not pool it.
      client.release(broken ? true : undefined);
    }
  }

  async ping(timeoutMs: number): Promise<void> {
    await withTimeout(this.pool.query("SELECT 1"), timeoutMs, "PostgreSQL");
  }

  async close(): Promise<void> {
    await this.pool.end();
  }
}
