/**
 * A {@link Database} that counts its failures for the metrics: `connection` when the database could not be reached
 * or did not answer (no SQLSTATE), `statement` when PostgreSQL refused a statement (a SQLSTATE; expected refusals
 * such as a unique violation the caller handles are counted too: the rate is what matters).
 */
import type { Database, DatabaseKind, Queryable } from "./Database.ts";

export type DatabaseErrorKind = "connection" | "statement";

/** SQLSTATEs are five characters with at least one digit (errnos such as EPIPE have none). */
function sqlState(error: unknown): string | undefined {
  const code = error !== null && typeof error === "object" ? (error as { code?: unknown }).code : undefined;
  return typeof code === "string" && /^[0-9A-Z]{5}$/.test(code) && /\d/.test(code) ? code : undefined;
}

/** Class 08 is "connection exception"; every other SQLSTATE is a refused statement. */
function errorKind(error: unknown): DatabaseErrorKind {
  const state = sqlState(error);
  return state !== undefined && !state.startsWith("08") ? "statement" : "connection";
}

/**
 * The database could not be reached or dropped the connection: a class-08 SQLSTATE, a server shutting down (57P),
 * too many connections (53300), a socket errno (ECONNREFUSED...), or node-pg's own connection errors and timeouts
 * (no code). Any other SQLSTATE means the database answered and refused the statement.
 */
export function isConnectionFailure(error: unknown): boolean {
  const state = sqlState(error);
  if (state !== undefined) return state.startsWith("08") || state.startsWith("57P") || state === "53300";
  const code = error !== null && typeof error === "object" ? (error as { code?: unknown }).code : undefined;
  if (typeof code === "string" && /^E[A-Z]{3,}$/.test(code)) return true;
  const message = error instanceof Error ? error.message : "";
  return /connect|terminat|timeout|did not answer|ECONN/i.test(message);
}

function isDatabaseFailure(error: unknown): boolean {
  const code = error !== null && typeof error === "object" ? (error as { code?: unknown }).code : undefined;
  return sqlState(error) !== undefined || (typeof code === "string" && /^E[A-Z]{3,}$/.test(code));
}

export class ObservedDatabase implements Database {
  readonly kind: DatabaseKind;

  constructor(
    private readonly inner: Database,
    private readonly onError: (kind: DatabaseErrorKind) => void,
  ) {
    this.kind = inner.kind;
  }

  query<Row = Record<string, unknown>>(text: string, params?: readonly unknown[]): Promise<Row[]> {
    return this.observe(this.inner.query<Row>(text, params));
  }

  execute(text: string, params?: readonly unknown[]): Promise<number> {
    return this.observe(this.inner.execute(text, params));
  }

  /**
   * Statements inside the transaction are observed one by one; the transaction as a whole counts only failures of
   * the database itself (a SQLSTATE, or a socket errno while connecting or committing), not the caller's own errors
   * thrown from `work`.
   */
  async transaction<T>(work: (tx: Queryable) => Promise<T>): Promise<T> {
    try {
      return await this.inner.transaction((tx) =>
        work({
          query: (text, params) => this.observe(tx.query(text, params)),
          execute: (text, params) => this.observe(tx.execute(text, params)),
        }),
      );
    } catch (error) {
      if (!this.counted.has(error as object) && isDatabaseFailure(error)) this.onError(errorKind(error));
      throw error;
    }
  }

  ping(timeoutMs: number): Promise<void> {
    return this.observe(this.inner.ping(timeoutMs));
  }

  close(): Promise<void> {
    return this.inner.close();
  }

  private readonly counted = new WeakSet<object>();

  private async observe<T>(promise: Promise<T>): Promise<T> {
    try {
      return await promise;
    } catch (error) {
      this.onError(errorKind(error));
      if (error !== null && typeof error === "object") this.counted.add(error);
      throw error;
    }
  }
}
