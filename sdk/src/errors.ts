/**
 * An HTTP error with the server's `{error:{code,message}}` body: `status` is the HTTP status (0 when the server
 * could not be reached), `code` the body's code (`NETWORK_ERROR` for an unreachable server, `HTTP` for a body
 * without one), `retryAfter` the `Retry-After` header in seconds (429, 503) when present.
 * Room joins that the server refuses at their HTTP step (matchmaking) are reported the same way.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";

  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly retryAfter?: number,
    /** The offending input field of a 400, when the server names one. */
    readonly field?: string,
  ) {
    super(message);
  }
}

/** `findMatch(...).match` rejects with this after `cancel()`. */
export class SearchCancelledError extends Error {
  override readonly name = "SearchCancelledError";
  constructor() {
    super("the search was cancelled");
  }
}

/** A room closed with `code` before it gave what was awaited (a search closed without a seat, say). */
export class RoomClosedError extends Error {
  override readonly name = "RoomClosedError";
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

/**
 * The status and code of an error from the Colyseus SDK or this one: `ApiError`'s own, a Colyseus
 * `MatchMakeError`/`ServerError` (`code` = the HTTP status or close code), or a network failure (status 0).
 */
export function asApiError(error: unknown): ApiError {
  if (error instanceof ApiError) return error;
  const record = (error ?? {}) as { code?: unknown; status?: unknown; message?: unknown };
  const status = typeof record.status === "number" ? record.status : typeof record.code === "number" ? record.code : 0;
  const message = typeof record.message === "string" ? record.message : String(error);
  const code = /^([A-Z_]{3,})\b/.exec(message)?.[1] ?? (status === 0 ? "NETWORK_ERROR" : "HTTP");
  return new ApiError(status, code, message);
}
