/**
 * The optional Origin allowlist (ALLOWED_ORIGINS). Browsers send `Origin` on cross-site requests and on every
 * WebSocket handshake; a request whose Origin is not listed is refused — HTTP routes (403 ORIGIN_NOT_ALLOWED),
 * the matchmaking requests (in `onAuth`) and WebSocket upgrades alike. Requests without an Origin (native game
 * clients, servers, curl) are not browser-originated and pass: the allowlist protects players' browsers from other
 * sites, the access token protects the rest. Allowed origins get CORS headers, so a client served elsewhere works.
 */
import type { RequestHandler } from "express";
import { ErrorCode } from "../protocol.ts";

/** True when `origin` may use the server: no allowlist, no Origin header, or a listed origin. */
export function originAllowed(origin: string | null | undefined, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined || origin === undefined || origin === null || origin === "") return true;
  return allowed.includes(origin);
}

export function originGuard(allowed: readonly string[] | undefined): RequestHandler {
  return (req, res, next) => {
    const origin = req.headers.origin;
    if (allowed === undefined || origin === undefined) {
      next();
      return;
    }
    res.vary("Origin");
    if (!allowed.includes(origin)) {
      res.status(403).json({
        error: { code: ErrorCode.OriginNotAllowed, message: `origin ${origin} is not in ALLOWED_ORIGINS` },
      });
      return;
    }
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Access-Control-Allow-Credentials", "true");
    if (req.method === "OPTIONS") {
      res.setHeader("Access-Control-Allow-Methods", "GET, POST, PATCH, DELETE, OPTIONS");
      res.setHeader("Access-Control-Allow-Headers", "Authorization, Content-Type");
      res.setHeader("Access-Control-Max-Age", "600");
      res.status(204).end();
      return;
    }
    next();
  };
}

/** The WebSocket transport's `beforeUpgrade`: refuses handshakes from origins not listed. */
export function upgradeOriginGuard(allowed: readonly string[] | undefined) {
  return (request: Request): Response | undefined =>
    originAllowed(request.headers.get("origin"), allowed)
      ? undefined
      : new Response("origin not allowed", { status: 403 });
}
