import type { RequestHandler, Response } from "express";
import { AppError } from "../errors.ts";
import { ErrorCode } from "../protocol.ts";
import type { AuthService, Principal } from "../services/auth/AuthService.ts";
import { checkAdminBasic } from "./adminAuth.ts";
import { clientIp } from "./clientAddress.ts";

function bearer(header: string | undefined): string | undefined {
  return header?.startsWith("Bearer ") ? header.slice(7).trim() : undefined;
}

/** The principal that {@link requireAuth} attached to this response. */
export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (principal === undefined) throw new AppError(ErrorCode.Unauthorized, "access token required");
  return principal;
}

/** Requires `Authorization: Bearer <accessToken>`; 401 when missing, invalid, expired or revoked, 403 when banned. */
export function requireAuth(auth: AuthService): RequestHandler {
  return async (req, res, next) => {
    res.locals.principal = await auth.authenticate(bearer(req.headers.authorization));
    next();
  };
}

/**
 * Admin routes: HTTP basic auth `admin` / ADMIN_PASSWORD, or the bearer token of an admin player. Both paths are
 * throttled per client address (see {@link AuthService.checkAdminAttempt}); every refused credential is logged.
 */
export function requireAdmin(adminPassword: string, auth: AuthService): RequestHandler {
  return async (req, res, next) => {
    const ip = clientIp(req);
    await auth.checkAdminAttempt(ip);
    if (checkAdminBasic(req.headers.authorization, adminPassword)) {
      await auth.recordAdminSuccess(ip);
      next();
      return;
    }
    const token = bearer(req.headers.authorization);
    if (token === undefined) {
      if (req.headers.authorization !== undefined) await auth.recordAdminFailure(ip, "basic");
      res.setHeader("WWW-Authenticate", 'Basic realm="arena admin", charset="UTF-8"');
      throw new AppError(ErrorCode.Unauthorized, "admin credentials required");
    }
    let principal: Principal;
    try {
      principal = await auth.authenticate(token);
      if (!principal.isAdmin) throw new AppError(ErrorCode.Forbidden, "admin only");
    } catch (error) {
      if (error instanceof AppError && (error.status === 401 || error.status === 403)) {
        await auth.recordAdminFailure(ip, "bearer");
      }
      throw error;
    }
    await auth.recordAdminSuccess(ip);
    res.locals.principal = principal;
    next();
  };
}
