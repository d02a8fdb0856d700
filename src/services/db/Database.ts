/**
 * The query layer: plain parameterised SQL (`$1`, `$2`, ...) over an interface with two implementations, node-pg
 * against PostgreSQL and PGlite (PostgreSQL compiled to WASM) embedded in the process. Both run the same server
 * code, so one SQL text, one schema and one set of store classes serve both; docs/PERSISTENCE.md says why no ORM.
 *
 * Values come back normalised: int8 as number, timestamptz as Date, bytea as Buffer.
 */

/** Something that runs queries: the database itself or an open transaction. */
export interface Queryable {
  /** Runs one parameterised statement and returns its rows. */
  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]>;
  /** Runs one parameterised statement and returns the number of rows it affected. */
  execute(text: string, params?: readonly unknown[]): Promise<number>;
}

export type DatabaseKind = "postgres" | "pglite";

export interface Database extends Queryable {
  readonly kind: DatabaseKind;
  /** Runs `work` in one transaction: committed when it resolves, rolled back when it throws. */
  transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T>;
  /** Resolves when the database answers `SELECT 1` within `timeoutMs`; rejects otherwise. */
  ping(timeoutMs: number): Promise<void>;
  close(): Promise<void>;
}

/** int8 and bytea normalisation shared by both implementations. */
export const PG_TYPE = { INT8: 20, BYTEA: 17 } as const;

/** Rejects with a timeout error when `promise` has not settled after `ms`. */
/** What {@link withTimeout} rejects with when the work did not settle in time. */
export class TimeoutError extends Error {
  override readonly name = "TimeoutError";
}

export function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new TimeoutError(`${what} did not answer within ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
