import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { AppError } from "../errors.ts";
import { ErrorCode } from "../protocol.ts";
import type { AuthService } from "../services/auth/AuthService.ts";
import { clientIp } from "./clientAddress.ts";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/** True when the header carries HTTP basic `admin:<adminPassword>` (compared in constant time). */
export function checkAdminBasic(header: string | undefined, adminPassword: string): boolean {
  if (header === undefined || !header.startsWith("Basic ")) return false;
  const given = Buffer.from(header.slice(6), "base64").toString("utf8");
  return timingSafeEqual(digest(given), digest(`admin:${adminPassword}`));
}

/**
 * HTTP basic auth for the admin user only (the monitor panel, which browsers open directly). Answers 401 with a
 * `WWW-Authenticate` challenge so browsers prompt; throttled and logged like the admin routes.
 */
export function adminBasicAuth(adminPassword: string, auth: AuthService): RequestHandler {
  return async (req, res, next) => {
    const ip = clientIp(req);
    await auth.checkAdminAttempt(ip);
    if (checkAdminBasic(req.headers.authorization, adminPassword)) {
      await auth.recordAdminSuccess(ip);
      next();
      return;
    }
    if (req.headers.authorization !== undefined) await auth.recordAdminFailure(ip, "basic");
    res.setHeader("WWW-Authenticate", 'Basic realm="arena admin", charset="UTF-8"');
    throw new AppError(ErrorCode.Unauthorized, "admin credentials required");
  };
}

/**
 * Refuses browser requests that another site made (Fetch metadata: `Sec-Fetch-Site: cross-site` or `same-site`) to
 * the admin routes and the monitor. A browser attaches the basic credentials it cached for this server to such
 * requests, and the monitor's room-call API is a GET an `<img>` can send: without this, any page an admin opens
 * could ban players or call room methods as the admin. The admin's own panel (`same-origin`), a typed address
 * (`none`) and non-browser clients (no header) pass.
 */
export function refuseCrossSite(): RequestHandler {
  return (req, _res, next) => {
    const site = req.headers["sec-fetch-site"];
    if (site === "cross-site" || site === "same-site") {
      throw new AppError(ErrorCode.Forbidden, "admin routes do not answer requests made by other sites");
    }
    next();
  };
}
