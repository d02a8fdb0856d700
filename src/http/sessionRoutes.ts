import { Router } from "express";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { ErrorCode, RegionName } from "../protocol.ts";
import type { AuthService } from "../services/auth/AuthService.ts";
import type { SessionService } from "../services/sessions/SessionService.ts";
import type { SessionRecord } from "../services/stores/GameSessionStore.ts";
import { principalOf, requireAuth } from "./authMiddleware.ts";
import { parse } from "./validate.ts";

const SessionQuery = z.object({
  status: z.enum(["waiting", "active", "ended"]).optional(),
  region: RegionName.optional(),
  limit: z.coerce.number().int().min(1).max(100).default(50),
});

/** The `session` shape of ../shared/API.md. */
export function sessionJson(session: SessionRecord) {
  return {
    id: session.id,
    gameType: session.gameType,
    mode: session.mode,
    region: session.region,
    serverId: session.serverId,
    status: session.status,
    createdAt: session.createdAt.toISOString(),
    startedAt: session.startedAt?.toISOString() ?? null,
    endedAt: session.endedAt?.toISOString() ?? null,
    players: session.players.map((p) => ({
      playerId: p.playerId,
      username: p.username,
      ...(p.team === null ? {} : { team: p.team }),
    })),
  };
}

/** GET /sessions?status=&region=&limit=, GET /sessions/:id, POST /sessions/:id/rejoin. */
export function sessionRoutes(sessions: SessionService, auth: AuthService): Router {
  const router = Router();

  router.post("/:id/rejoin", requireAuth(auth), async (req, res) => {
    const principal = principalOf(res);
    res.json(
      await sessions.rejoin(String(req.params.id), {
        playerId: principal.playerId,
        username: principal.username,
        familyId: principal.familyId,
      }),
    );
  });

  router.get("/", async (req, res) => {
    const query = parse(SessionQuery, req.query);
    res.json({ sessions: (await sessions.list(query)).map(sessionJson) });
  });

  router.get("/:id", async (req, res) => {
    const session = await sessions.get(req.params.id);
    if (session === undefined) throw new AppError(ErrorCode.NotFound, "session not found");
    res.json(sessionJson(session));
  });

  return router;
}
