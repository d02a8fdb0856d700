import { createHash, timingSafeEqual } from "node:crypto";
import type { RequestHandler } from "express";
import { AppError } from "../errors.ts";
import { ErrorCode } from "../protocol.ts";

function digest(value: string): Buffer {
  return createHash("sha256").update(value).digest();
}

/**
 * HTTP basic auth for the admin user (`admin` / ADMIN_PASSWORD), compared in constant time. Answers 401 with a
 * `WWW-Authenticate` challenge so browsers prompt for the monitor panel.
 */
export function adminBasicAuth(adminPassword: string): RequestHandler {
  const expected = digest(`admin:${adminPassword}`);
  return (req, res, next) => {
    const header = req.headers.authorization ?? "";
    if (header.startsWith("Basic ")) {
      const given = Buffer.from(header.slice(6), "base64").toString("utf8");
      if (timingSafeEqual(digest(given), expected)) {
        next();
        return;
      }
    }
    res.setHeader("WWW-Authenticate", 'Basic realm="arena admin", charset="UTF-8"');
    next(new AppError(ErrorCode.Unauthorized, "admin credentials required"));
  };
}
