/**
 * The one place where errors become HTTP answers: `{error:{code,message}}` with a fitting status, never a stack
 * trace. Anything unrecognised is logged and answered as a generic 500.
 */
import type { ErrorRequestHandler, Request, RequestHandler } from "express";
import { AppError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { ErrorCode } from "../protocol.ts";
import { dependencyError } from "../services/dependencyError.ts";

/** Errors raised by express' body parser carry a `type` and a `status`. */
function bodyParserError(error: unknown): AppError | undefined {
  if (error === null || typeof error !== "object") return undefined;
  switch ((error as { type: unknown }).type) {
    case "entity.too.large":
      return new AppError(ErrorCode.PayloadTooLarge, "request body is larger than 16 KiB");
    case "entity.parse.failed":
      return new AppError(ErrorCode.InvalidInput, "request body is not valid JSON", { field: "body" });
    case "encoding.unsupported":
    case "charset.unsupported":
      return new AppError(ErrorCode.InvalidInput, "request body encoding is not supported", { field: "body" });
    default:
      break;
  }
  // A body that does not inflate under its Content-Encoding: zlib's Z_DATA_ERROR, Z_BUF_ERROR, ... (gzip,
  // deflate) or the Brotli decoder's ERR__ERROR_FORMAT_* (br).
  const code = (error as { code?: unknown }).code;
  if (typeof code === "string" && (code.startsWith("Z_") || code.startsWith("ERR__ERROR_"))) {
    return new AppError(ErrorCode.InvalidInput, "request body does not match its Content-Encoding", { field: "body" });
  }
  return undefined;
}

/** The client closed the connection before its request was read (body-parser's `request.aborted`, or a reset). */
function abandoned(error: unknown, req: Request): boolean {
  if (error === null || typeof error !== "object") return false;
  const { type, code } = error as { type?: unknown; code?: unknown };
  return type === "request.aborted" || (code === "ECONNRESET" && req.destroyed);
}

export function notFound(): RequestHandler {
  return (req, _res, next) => {
    next(new AppError(ErrorCode.NotFound, `no route for ${req.method} ${req.path}`));
  };
}

export function errorHandler(log: Logger): ErrorRequestHandler {
  return (error, req, res, _next) => {
    if (abandoned(error, req)) {
      // The client hung up mid-request: nobody is waiting for an answer, and nothing failed here.
      log.debug({ method: req.method, path: req.path }, "request aborted by the client");
      res.end();
      return;
    }
    const known = error instanceof AppError ? error : (bodyParserError(error) ?? dependencyError(error));
    if (known === undefined) {
      log.error({ err: error, method: req.method, path: req.path }, "unhandled error in HTTP handler");
    } else if (known.status >= 500) {
      log.warn({ err: known.cause ?? known, path: req.path }, known.message);
    }
    const answer = known ?? new AppError(ErrorCode.Internal, "internal error");
    if (res.headersSent) {
      res.end();
      return;
    }
    if (answer.details.retryAfterSec !== undefined) res.setHeader("Retry-After", String(answer.details.retryAfterSec));
    res.status(answer.status).json(answer.toBody());
  };
}
