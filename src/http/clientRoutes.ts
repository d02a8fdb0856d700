/**
 * Serves the built browser client (dist/client, made by `npm run build:client`; `npm start` builds it when it is
 * missing or stale) at `/`. Hashed assets are cached for a year; index.html is always revalidated. The icon is
 * `/favicon.svg` (client/public/), and `/favicon.ico`, which browsers ask for by themselves, redirects to it. Without a
 * build, `/` answers 503 naming the command that makes one, and every other path falls through to the API.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import express, { type Router } from "express";
import { ErrorCode } from "../protocol.ts";

/** Where Vite writes the client (vite.config.ts). */
export const CLIENT_DIST_DIR = path.resolve(import.meta.dirname, "../../dist/client");

export function clientRoutes(dir = CLIENT_DIST_DIR): Router {
  const router = express.Router();
  router.use(
    "/assets",
    express.static(path.join(dir, "assets"), { immutable: true, maxAge: "365d", index: false, fallthrough: true }),
  );
  router.get("/favicon.svg", (_req, res, next) => {
    const icon = path.join(dir, "favicon.svg");
    if (!existsSync(icon)) {
      next();
      return;
    }
    res.setHeader("Cache-Control", "public, max-age=86400");
    res.type("image/svg+xml").sendFile(icon);
  });
  // Browsers ask for /favicon.ico on their own (a page without a `<link rel="icon">`, a JSON answer opened directly).
  router.get("/favicon.ico", (_req, res) => {
    res.redirect(301, "/favicon.svg");
  });
  router.get("/", (_req, res) => {
    const index = path.join(dir, "index.html");
    if (!existsSync(index)) {
      res.status(503).json({
        error: { code: ErrorCode.Unavailable, message: "the browser client is not built: run npm run build:client" },
      });
      return;
    }
    res.setHeader("Cache-Control", "no-cache");
    res.sendFile(index);
  });
  return router;
}
