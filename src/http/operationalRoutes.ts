/** GET /healthz, /readyz, /metrics and /games: what operators, balancers and clients ask before anything else. */
import { Router } from "express";
import { z } from "zod";
import { ErrorCode } from "../protocol.ts";
import type { Services } from "../services/createServices.ts";
import { GameList, Health, NotReady, Ready } from "./answerSchemas.ts";
import { metricsRoute } from "./metricsRoutes.ts";
import { defineRoute, mount, routeGroup } from "./routeSpec.ts";

export const operationalApi = routeGroup("/", "operations", "Health, readiness, metrics and the registered games.", {
  healthz: defineRoute({
    method: "get",
    path: "/healthz",
    summary: "Liveness",
    auth: "none",
    answers: { 200: { description: "The process lives.", schema: Health } },
  }),
  readyz: defineRoute({
    method: "get",
    path: "/readyz",
    summary: "Readiness",
    description:
      "Whether this process can take players: the database and, if configured, Redis answer. Each check is bounded to 1 s.",
    auth: "none",
    answers: {
      200: { description: "Ready.", schema: Ready },
      503: { description: "Not ready: `error.message` names what is unreachable.", schema: NotReady },
    },
  }),
  metrics: defineRoute({
    method: "get",
    path: "/metrics",
    summary: "Prometheus metrics",
    description: "Prometheus text exposition format; names in docs/OBSERVABILITY.md. No authentication.",
    auth: "none",
    answers: { 200: { description: "The metrics.", schema: z.string(), contentType: "text/plain" } },
  }),
  listGames: defineRoute({
    method: "get",
    path: "/games",
    summary: "The registered games",
    description: "Their modes and seat layout: what a client may search for (matchmaking option `game`).",
    auth: "none",
    answers: { 200: { description: "The games, the default game first.", schema: GameList } },
  }),
});

export function operationalRoutes(services: Services): Router {
  const router = Router();
  const { healthz, readyz, metrics, listGames } = operationalApi.routes;

  mount(router, metrics, metricsRoute(services.metrics));

  mount(router, healthz, (_req, res) => {
    res.json({ status: "ok", uptimeSec: Math.round(process.uptime()) });
  });

  mount(router, readyz, async (_req, res) => {
    const readiness = await services.health.readiness();
    if (readiness.ready) {
      res.json({ status: "ready", database: readiness.database, redis: readiness.redis });
      return;
    }
    const down = [
      readiness.database.ok ? undefined : "database",
      readiness.redis.configured && !readiness.redis.ok ? "redis" : undefined,
    ].filter((name) => name !== undefined);
    res.status(503).json({
      error: { code: ErrorCode.Unavailable, message: `not ready: ${down.join(" and ")} unreachable` },
      status: "unavailable",
      database: readiness.database,
      redis: readiness.redis,
    });
  });

  // The registered games, their modes and seat layout: what a client may search for.
  const games = { games: services.games.summaries() };
  mount(router, listGames, (_req, res) => {
    res.json(games);
  });

  return router;
}
