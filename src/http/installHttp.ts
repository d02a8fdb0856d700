/**
 * The express side of the server: security headers, the body limit, the operational routes and the error edge.
 * Feature routes (auth, players, leaderboards, sessions, admin) are mounted here as their issues land.
 */
import { monitor } from "@colyseus/monitor";
import express, { type Application } from "express";
import helmet from "helmet";
import type { Services } from "../services/createServices.ts";
import { ErrorCode } from "../protocol.ts";
import { adminBasicAuth, refuseCrossSite } from "./adminAuth.ts";
import { adminRoutes } from "./adminRoutes.ts";
import { authRoutes } from "./authRoutes.ts";
import { clientRoutes } from "./clientRoutes.ts";
import { errorHandler, notFound } from "./errorHandling.ts";
import { inputGuard } from "./inputGuard.ts";
import { leaderboardRoutes } from "./leaderboardRoutes.ts";
import { loginMetrics, metricsRoute } from "./metricsRoutes.ts";
import { clientAddress, TrustedProxies } from "./clientAddress.ts";
import { playerRoutes } from "./playerRoutes.ts";
import { sessionRoutes } from "./sessionRoutes.ts";
import { PlayerViews } from "./views.ts";

export const BODY_LIMIT = "16kb";

export function installHttp(app: Application, services: Services): void {
  const log = services.log.child({ component: "http" });
  app.disable("x-powered-by");
  // Who the client is: one rule (clientAddress) for every per-IP limit, here and in the rooms' onAuth. `trust
  // proxy` with the same list keeps express' own reading (req.protocol, req.ips) consistent with it.
  const trusted = new TrustedProxies(services.config.trustedProxies);
  app.set("trust proxy", (address: string) => trusted.contains(address));
  app.use((req, _res, next) => {
    const ip = clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], trusted);
    Object.defineProperty(req, "ip", { value: ip, configurable: true, enumerable: true });
    next();
  });
  app.use(
    helmet({
      // The monitor panel and the browser client load only same-origin scripts; WebSockets go to the same host.
      contentSecurityPolicy: {
        directives: { "connect-src": ["'self'", "ws:", "wss:"], "upgrade-insecure-requests": null },
      },
      strictTransportSecurity: services.config.nodeEnv === "production",
    }),
  );
  app.use(express.json({ limit: BODY_LIMIT, strict: true }));
  app.use(inputGuard(app));

  app.get("/metrics", metricsRoute(services.metrics));

  app.get("/healthz", (_req, res) => {
    res.json({ status: "ok", uptimeSec: Math.round(process.uptime()) });
  });

  app.get("/readyz", async (_req, res) => {
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

  const views = new PlayerViews(services.stores.ratings, services.games);
  app.use("/auth", loginMetrics(services.metrics), authRoutes(services.auth, views));
  app.use(
    "/players",
    playerRoutes(services.auth, services.stores.players, services.config.regions, services.chat, views),
  );
  app.use("/leaderboards", leaderboardRoutes(services.leaderboards));
  // The registered games, their modes and seat layout: what a client may search for.
  const games = { games: services.games.summaries() };
  app.get("/games", (_req, res) => {
    res.json(games);
  });
  app.use("/sessions", sessionRoutes(services.sessions, services.auth));
  app.use(["/admin", "/colyseus"], refuseCrossSite());
  app.use(
    "/admin",
    adminRoutes(services.config.adminPassword, services.auth, services.stores.players, services.sessions),
  );

  app.use("/colyseus", adminBasicAuth(services.config.adminPassword, services.auth), monitor());

  app.use(clientRoutes());

  app.use(notFound());
  app.use(errorHandler(log));
}
