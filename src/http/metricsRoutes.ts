/** GET /metrics (Prometheus text format) and the login accounting of the /auth routes. */
import type { RequestHandler } from "express";
import type { LoginOutcome, Metrics } from "../services/Metrics.ts";

export function metricsRoute(metrics: Metrics): RequestHandler {
  return async (_req, res, next) => {
    try {
      const { contentType, body } = await metrics.render();
      res.setHeader("Content-Type", contentType);
      res.setHeader("Cache-Control", "no-store");
      res.send(body);
    } catch (error) {
      next(error);
    }
  };
}

const LOGIN_METHODS = new Set(["register", "login", "guest", "refresh"]);

/** Counts every login attempt (register, login, guest, refresh) by its outcome, once its answer is sent. */
export function loginMetrics(metrics: Metrics): RequestHandler {
  return (req, res, next) => {
    const method = req.path.replace(/^\/+/, "");
    if (req.method === "POST" && LOGIN_METHODS.has(method)) {
      res.once("finish", () => {
        const outcome: LoginOutcome =
          res.statusCode === 429 ? "throttled" : res.statusCode < 400 ? "success" : "failure";
        metrics.logins.inc({ method, outcome });
      });
    }
    next();
  };
}
