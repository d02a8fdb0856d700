/**
 * Serves the built browser client (dist/client, made by `npm run build:client`; `npm start` builds it when it is
 * missing or stale) at `/`. Hashed assets are cached for a year; index.html is always revalidated. The icon is
 * `/favicon.svg` (client/public/), and `/favicon.ico`, which browsers ask for by themselves, redirects to it. Without a
 * build, `/` answers 503 naming the command that makes one, and every other path falls through to the API.
 */
import { existsSync } from "node:fs";
import path from "node:path";
import express, { type Router } from "express";
import { z } from "zod";
import { ErrorCode } from "../protocol.ts";
import { defineRoute, mount, routeGroup } from "./routeSpec.ts";

/** Where Vite writes the client (vite.config.ts). */
export const CLIENT_DIST_DIR = path.resolve(import.meta.dirname, "../../dist/client");

export const clientApi = routeGroup("/", "client", "The browser client.", {
  clientPage: defineRoute({
    method: "get",
    path: "/",
    summary: "The browser client",
    description: "Its build files (content-hashed) are served under /assets/.",
    auth: "none",
    answers: { 200: { description: "The client's page.", schema: z.string(), contentType: "text/html" } },
    errors: { 503: "the client is not built (`npm run build:client`)" },
  }),
  favicon: defineRoute({
    method: "get",
    path: "/favicon.svg",
    summary: "The client's icon",
    auth: "none",
    answers: { 200: { description: "The icon (cached a day).", schema: z.string(), contentType: "image/svg+xml" } },
    errors: { 404: "the client is not built" },
  }),
  faviconIco: defineRoute({
    method: "get",
    path: "/favicon.ico",
    summary: "Where browsers look for an icon by themselves",
    auth: "none",
    answers: {
      301: { description: "Redirects to /favicon.svg.", schema: z.string(), contentType: "text/plain" },
    },
  }),
});

export function clientRoutes(dir = CLIENT_DIST_DIR): Router {
  const router = express.Router();
  router.use(
    "/assets",
    express.static(path.join(dir, "assets"), { immutable: true, maxAge: "365d", index: false, fallthrough: true }),
  );
  mount(router, clientApi.routes.favicon, (_req, res, next) => {
    const icon = path.join(dir, "favicon.svg");
    if (!existsSync(icon)) {
      next();
      return;
    }
    res.setHeader("Cache-Control", "public, max-age=86400");
    res.type("image/svg+xml").sendFile(icon);
  });
  // Browsers ask for /favicon.ico on their own (a page without a `<link rel="icon">`, a JSON answer opened directly).
  mount(router, clientApi.routes.faviconIco, (_req, res) => {
    // One body whatever the Accept header (express' redirect answers browsers in HTML): the described text/plain.
    res.status(301).location("/favicon.svg").type("text/plain").send("Moved Permanently. Redirecting to /favicon.svg");
  });
  mount(router, clientApi.routes.clientPage, (_req, res) => {
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
