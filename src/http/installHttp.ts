/**
 * The express side of the server: security headers, the body limit, the operational routes and the error edge.
 * Feature routes (auth, players, leaderboards, sessions, admin) are mounted here as their issues land.
 */
import { monitor } from "@colyseus/monitor";
import express, { type Application } from "express";
import helmet from "helmet";
import type { Services } from "../services/createServices.ts";
import { adminBasicAuth, refuseCrossSite } from "./adminAuth.ts";
import { adminApi, adminRoutes } from "./adminRoutes.ts";
import { API_GROUPS } from "./apiGroups.ts";
import { referenceRoutes } from "./apiReference.ts";
import { authApi, authRoutes } from "./authRoutes.ts";
import { clientRoutes } from "./clientRoutes.ts";
import { errorHandler, notFound } from "./errorHandling.ts";
import { inputGuard } from "./inputGuard.ts";
import { leaderboardApi, leaderboardRoutes } from "./leaderboardRoutes.ts";
import { loginMetrics } from "./metricsRoutes.ts";
import { clientAddress, TrustedProxies } from "./clientAddress.ts";
import { buildOpenApi, packageVersion } from "./openApi.ts";
import { operationalRoutes } from "./operationalRoutes.ts";
import { playerApi, playerRoutes } from "./playerRoutes.ts";
import { sessionApi, sessionRoutes } from "./sessionRoutes.ts";
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

  // GET /healthz, /readyz, /metrics, /games.
  app.use(operationalRoutes(services));

  const views = new PlayerViews(services.stores.ratings, services.games);
  app.use(authApi.prefix, loginMetrics(services.metrics), authRoutes(services.auth, views));
  app.use(
    playerApi.prefix,
    playerRoutes(services.auth, services.stores.players, services.config.regions, services.chat, views),
  );
  app.use(leaderboardApi.prefix, leaderboardRoutes(services.leaderboards));
  app.use(sessionApi.prefix, sessionRoutes(services.sessions, services.auth));
  app.use(["/admin", "/colyseus"], refuseCrossSite());
  app.use(
    adminApi.prefix,
    adminRoutes(services.config.adminPassword, services.auth, services.stores.players, services.sessions),
  );

  app.use("/colyseus", adminBasicAuth(services.config.adminPassword, services.auth), monitor());

  // GET /openapi.json, described from the same declarations the routes above were mounted from, and its page.
  app.use(referenceRoutes(buildOpenApi(API_GROUPS, { version: packageVersion() })));

  app.use(clientRoutes());

  app.use(notFound());
  app.use(errorHandler(log));
}
