import { Router } from "express";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { ErrorCode, RegionName } from "../protocol.ts";
import type { AuthService } from "../services/auth/AuthService.ts";
import type { SessionService } from "../services/sessions/SessionService.ts";
import type { SessionRecord } from "../services/stores/GameSessionStore.ts";
import { Seat, Session, SessionList } from "./answerSchemas.ts";
import { principalOf, requireAuth } from "./authMiddleware.ts";
import { defineRoute, mount, routeGroup } from "./routeSpec.ts";
import { parseQuery } from "./validate.ts";

const SessionQuery = z.object({
  status: z.enum(["waiting", "active", "ended"]).optional().meta({ description: "Only sessions in this state." }),
  region: RegionName.optional().meta({ description: "Only sessions of this region." }),
  limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: "At most this many, newest first." }),
});
const id = z.string().meta({ description: "The session's id (its match room's roomId)." });
const UNAVAILABLE = "PostgreSQL or Redis is not answering";

export const sessionApi = routeGroup("/sessions", "sessions", "Matches, live and past (docs/RECOVERY.md).", {
  rejoinSession: defineRoute({
    method: "post",
    path: "/:id/rejoin",
    summary: "A seat back into a live match",
    description: "For a participant, wherever the match now runs (also after the process that held it died).",
    auth: "bearer",
    params: z.object({ id }),
    answers: { 200: { description: "A seat reservation into the match's room.", schema: Seat } },
    errors: {
      403: "the player is banned, or not a participant of this session",
      404: "no such session",
      409: "the match has ended, or every seat is taken or held for a reconnecting player (with Retry-After)",
      503: "the match is being recovered, or PostgreSQL or Redis is not answering",
    },
  }),
  listSessions: defineRoute({
    method: "get",
    path: "/",
    summary: "Recent sessions",
    auth: "none",
    query: SessionQuery,
    answers: { 200: { description: "Sessions, newest first.", schema: SessionList } },
    errors: { 503: UNAVAILABLE },
  }),
  getSession: defineRoute({
    method: "get",
    path: "/:id",
    summary: "One session",
    auth: "none",
    params: z.object({ id }),
    answers: { 200: { description: "The session.", schema: Session } },
    errors: { 404: "no such session", 503: UNAVAILABLE },
  }),
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
  const { rejoinSession, listSessions, getSession } = sessionApi.routes;

  mount(router, rejoinSession, requireAuth(auth), async (req, res) => {
    const principal = principalOf(res);
    res.json(
      await sessions.rejoin(String(req.params.id), {
        playerId: principal.playerId,
        username: principal.username,
        familyId: principal.familyId,
      }),
    );
  });

  mount(router, listSessions, async (req, res) => {
    const query = parseQuery(listSessions, req);
    res.json({ sessions: (await sessions.list(query)).map(sessionJson) });
  });

  mount(router, getSession, async (req, res) => {
    const session = await sessions.get(req.params.id);
    if (session === undefined) throw new AppError(ErrorCode.NotFound, "session not found");
    res.json(sessionJson(session));
  });

  return router;
}
