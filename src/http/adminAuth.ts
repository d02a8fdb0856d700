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
