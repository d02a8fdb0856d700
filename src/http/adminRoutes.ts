import { Router } from "express";
import { BanBody } from "../protocol.ts";
import type { AuthService } from "../services/auth/AuthService.ts";
import { requireAdmin } from "./authMiddleware.ts";
import { parse } from "./validate.ts";

/** /admin/*: HTTP basic `admin` / ADMIN_PASSWORD, or an admin player's bearer token. */
export function adminRoutes(adminPassword: string, auth: AuthService): Router {
  const router = Router();
  router.use(requireAdmin(adminPassword, auth));

  router.post("/players/:id/ban", async (req, res) => {
    const body = parse(BanBody, req.body);
    await auth.ban(req.params.id, body.minutes, body.reason);
    res.status(204).end();
  });

  return router;
}
