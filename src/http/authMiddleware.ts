import type { RequestHandler, Response } from "express";
import { AppError } from "../errors.ts";
import { ErrorCode } from "../protocol.ts";
import type { AuthService, Principal } from "../services/auth/AuthService.ts";
import { checkAdminBasic } from "./adminAuth.ts";

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

/** Admin routes: HTTP basic auth `admin` / ADMIN_PASSWORD, or the bearer token of an admin player. */
export function requireAdmin(adminPassword: string, auth: AuthService): RequestHandler {
  return async (req, res, next) => {
    if (checkAdminBasic(req.headers.authorization, adminPassword)) {
      next();
      return;
    }
    const token = bearer(req.headers.authorization);
    if (token === undefined) {
      res.setHeader("WWW-Authenticate", 'Basic realm="arena admin", charset="UTF-8"');
      throw new AppError(ErrorCode.Unauthorized, "admin credentials required");
    }
    const principal = await auth.authenticate(token);
    if (!principal.isAdmin) throw new AppError(ErrorCode.Forbidden, "admin only");
    res.locals.principal = principal;
    next();
  };
}
