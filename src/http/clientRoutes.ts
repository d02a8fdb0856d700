/**
 * Serves the built browser client (dist/client, made by `npm run build:client`; `npm start` builds it when it is
 * missing or stale) at `/`. Hashed assets are cached for a year; index.html is always revalidated. Without a
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
});

export function clientRoutes(dir = CLIENT_DIST_DIR): Router {
  const router = express.Router();
  router.use(
    "/assets",
    express.static(path.join(dir, "assets"), { immutable: true, maxAge: "365d", index: false, fallthrough: true }),
  );
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
