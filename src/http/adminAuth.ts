import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { AppError } from "../errors.ts";
import { ErrorCode } from "../protocol.ts";

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
 * `WWW-Authenticate` challenge so browsers prompt.
 */
export function adminBasicAuth(adminPassword: string): RequestHandler {
  return (req, res, next) => {
    if (checkAdminBasic(req.headers.authorization, adminPassword)) {
      next();
      return;
    }
    res.setHeader("WWW-Authenticate", 'Basic realm="arena admin", charset="UTF-8"');
    next(new AppError(ErrorCode.Unauthorized, "admin credentials required"));
  };
}
