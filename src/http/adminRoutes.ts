import { Router } from "express";
import { AppError } from "../errors.ts";
import { BanBody, ErrorCode, MuteBody, RollbackBody } from "../protocol.ts";
import type { AuthService } from "../services/auth/AuthService.ts";
import type { SessionService } from "../services/sessions/SessionService.ts";
import type { PlayerStore } from "../services/stores/PlayerStore.ts";
import { requireAdmin } from "./authMiddleware.ts";
import { parse } from "./validate.ts";

/** /admin/*: HTTP basic `admin` / ADMIN_PASSWORD, or an admin player's bearer token. */
export function adminRoutes(
  adminPassword: string,
  auth: AuthService,
  players: PlayerStore,
  sessions: SessionService,
): Router {
  const router = Router();
  router.use(requireAdmin(adminPassword, auth));

  router.post("/players/:id/mute", async (req, res) => {
    const { minutes } = parse(MuteBody, req.body);
    const muted = await players.setMute(req.params.id, new Date(Date.now() + minutes * 60_000));
    if (muted === undefined) throw new AppError(ErrorCode.NotFound, "player not found");
    res.status(204).end();
  });

  router.post("/sessions/:id/rollback", async (req, res) => {
    const { version } = parse(RollbackBody, req.body);
    res.json(await sessions.rollback(req.params.id, version));
  });

  router.post("/players/:id/ban", async (req, res) => {
    const body = parse(BanBody, req.body);
    await auth.ban(req.params.id, body.minutes, body.reason);
    res.status(204).end();
  });

  return router;
}
