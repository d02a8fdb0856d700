/**
 * Input no handler should ever see: NUL characters (PostgreSQL refuses 0x00 in text, so they would surface as a
 * database error and a 500) anywhere in the body, the query or a path parameter, and path segments whose
 * percent-escapes do not decode. Refused before any route with 400 naming the field, so no route can forget it.
 */
import type { Application, RequestHandler } from "express";
import { AppError } from "../errors.ts";
import { ErrorCode } from "../protocol.ts";
import { type MountedRoute, mountedRoutes, paramAt } from "./routeTable.ts";

/**
 * How deeply a body or query may nest. No route reads deeper than two levels; the walk below recurses, and a
 * 16 KiB body of `[[[[...` would otherwise exhaust the stack (a RangeError, a 500).
 */
export const MAX_INPUT_DEPTH = 32;

/**
 * The dotted path of the first string (key or value) in `value` that holds a NUL, if any. Throws a 400 naming
 * the top-level field of input nested deeper than {@link MAX_INPUT_DEPTH}.
 */
function nulField(value: unknown, at: string, depth = 0, top = "body"): string | undefined {
  if (typeof value === "string") return value.includes("\u0000") ? at || "body" : undefined;
  if (value === null || typeof value !== "object") return undefined;
  if (depth >= MAX_INPUT_DEPTH) throw invalid(top, `must not be nested more than ${MAX_INPUT_DEPTH} levels deep`);
  for (const [key, inner] of Object.entries(value)) {
    const field = at === "" ? key : `${at}.${key}`;
    if (key.includes("\u0000")) return field;
    const found = nulField(inner, field, depth + 1, depth === 0 && !Array.isArray(value) ? key : top);
    if (found !== undefined) return found;
  }
  return undefined;
}

function invalid(field: string, message: string): AppError {
  return new AppError(ErrorCode.InvalidInput, `${field}: ${message}`, { field });
}

/** The index of the first raw path segment that does not decode, or decodes to something holding a NUL. */
function badSegment(rawPath: string): { index: number; reason: string } | undefined {
  const segments = rawPath.split("/");
  for (let index = 0; index < segments.length; index++) {
    const segment = segments[index] as string;
    if (!segment.includes("%")) continue;
    let decoded: string;
    try {
      decoded = decodeURIComponent(segment);
    } catch {
      return { index, reason: "malformed percent-escape" };
    }
    if (decoded.includes("\u0000")) return { index, reason: "must not contain NUL characters" };
  }
  return undefined;
}

/**
 * Refuses a parsed body (or join options) holding a NUL character in a key or value, or nested deeper than
 * {@link MAX_INPUT_DEPTH}: a 400 naming the field. The matchmaking edge, which reads its own bodies, uses it too.
 */
export function guardBody(body: unknown): void {
  const field = nulField(body, "");
  if (field !== undefined) throw invalid(field, "must not contain NUL characters");
}

/** Refuses NUL characters and undecodable path segments (see the module comment). Install after the body parser. */
export function inputGuard(app: Application): RequestHandler {
  // Read once, at the first request, when every route is mounted.
  let routes: MountedRoute[] | undefined;
  return (req, _res, next) => {
    const segment = badSegment(req.path);
    if (segment !== undefined) {
      routes ??= mountedRoutes(app);
      const param = paramAt(routes, req.path, segment.index) ?? "path";
      throw invalid(param, segment.reason);
    }
    const query = nulField(req.query, "");
    if (query !== undefined) throw invalid(query, "must not contain NUL characters");
    guardBody(req.body);
    next();
  };
}
