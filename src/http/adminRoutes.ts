import { Router } from "express";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { BanBody, ErrorCode, MuteBody, RollbackBody } from "../protocol.ts";
import type { AuthService } from "../services/auth/AuthService.ts";
import type { SessionService } from "../services/sessions/SessionService.ts";
import type { PlayerStore } from "../services/stores/PlayerStore.ts";
import { RolledBack } from "./answerSchemas.ts";
import { requireAdmin } from "./authMiddleware.ts";
import { defineRoute, mount, routeGroup } from "./routeSpec.ts";
import { parseBody } from "./validate.ts";

const UNAVAILABLE = "PostgreSQL or Redis is not answering";
const playerId = z.object({ id: z.string().meta({ description: "The player's id." }) });

export const adminApi = routeGroup(
  "/admin",
  "admin",
  "Moderation and operations: HTTP basic `admin` / ADMIN_PASSWORD, or an admin player's token.",
  {
    mutePlayer: defineRoute({
      method: "post",
      path: "/players/:id/mute",
      summary: "Mute a player's chat",
      auth: "admin",
      params: playerId,
      body: MuteBody,
      answers: { 204: { description: "Muted for `minutes`." } },
      errors: { 404: "no such player", 503: UNAVAILABLE },
    }),
    rollbackSession: defineRoute({
      method: "post",
      path: "/sessions/:id/rollback",
      summary: "Return a live match to a snapshot",
      description: "Every client of the match sees the state of that snapshot.",
      auth: "admin",
      params: z.object({ id: z.string().meta({ description: "The session's id." }) }),
      body: RollbackBody,
      answers: { 200: { description: "The snapshot the match now plays from.", schema: RolledBack } },
      errors: { 404: "no live session with that id, or it has no such snapshot version", 503: UNAVAILABLE },
    }),
    banPlayer: defineRoute({
      method: "post",
      path: "/players/:id/ban",
      summary: "Ban a player",
      description: "Live sockets are closed (4104) and tokens refused; without `minutes`, for good.",
      auth: "admin",
      params: playerId,
      body: BanBody,
      answers: { 204: { description: "Banned." } },
      errors: { 404: "no such player", 503: UNAVAILABLE },
    }),
  },
);

/** /admin/*: HTTP basic `admin` / ADMIN_PASSWORD, or an admin player's bearer token. */
export function adminRoutes(
  adminPassword: string,
  auth: AuthService,
  players: PlayerStore,
  sessions: SessionService,
): Router {
  const router = Router();
  const { mutePlayer, rollbackSession, banPlayer } = adminApi.routes;
  router.use(requireAdmin(adminPassword, auth));

  mount(router, mutePlayer, async (req, res) => {
    const { minutes } = parseBody(mutePlayer, req);
    const muted = await players.setMute(req.params.id, new Date(Date.now() + minutes * 60_000));
    if (muted === undefined) throw new AppError(ErrorCode.NotFound, "player not found");
    res.status(204).end();
  });

  mount(router, rollbackSession, async (req, res) => {
    const { version } = parseBody(rollbackSession, req);
    res.json(await sessions.rollback(req.params.id, version));
  });

  mount(router, banPlayer, async (req, res) => {
    const body = parseBody(banPlayer, req);
    await auth.ban(req.params.id, body.minutes, body.reason);
    res.status(204).end();
  });

  return router;
}
