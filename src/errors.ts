/**
 * Typed errors, raised where they arise and mapped once at the edge: the HTTP error handler turns an
 * {@link AppError} into its status and `{error:{code,message}}` body; rooms turn it into an `error` message or a
 * close code (see protocol.ts).
 */
import { ServerError } from "@colyseus/core";
import { ErrorCode } from "./protocol.ts";

const STATUS: Record<ErrorCode, number> = {
  [ErrorCode.InvalidInput]: 400,
  [ErrorCode.Unauthorized]: 401,
  [ErrorCode.Forbidden]: 403,
  [ErrorCode.NotFound]: 404,
  [ErrorCode.Conflict]: 409,
  [ErrorCode.PayloadTooLarge]: 413,
  [ErrorCode.RateLimited]: 429,
  [ErrorCode.Internal]: 500,
  [ErrorCode.Unavailable]: 503,
  [ErrorCode.ServerFull]: 503,
  [ErrorCode.OriginNotAllowed]: 403,
  [ErrorCode.TooManyConnections]: 429,
};

export class AppError extends Error {
  readonly status: number;

  constructor(
    readonly code: ErrorCode,
    message: string,
    readonly details: { field?: string; retryAfterSec?: number } = {},
  ) {
    super(message);
    this.name = "AppError";
    this.status = STATUS[code];
  }

  toBody(): { error: { code: ErrorCode; message: string; field?: string } } {
    const error: { code: ErrorCode; message: string; field?: string } = { code: this.code, message: this.message };
    if (this.details.field !== undefined) error.field = this.details.field;
    return { error };
  }
}

/** A dependency (database, Redis) did not answer. Mapped to 503. */
export class DependencyError extends AppError {
  constructor(
    readonly dependency: "database" | "redis",
    cause: unknown,
  ) {
    super(ErrorCode.Unavailable, `${dependency} is unavailable; retry shortly`, { retryAfterSec: 2 });
    this.cause = cause;
  }
}

/**
 * A deliberate refusal of a room request (this server or region is full, ...): the client is told, and it is not a
 * fault, so rooms log it at info without a stack whatever its code (a 503 SERVER_FULL included).
 */
export class RoomRefusal extends ServerError {}
