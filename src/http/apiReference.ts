/**
 * The API's own description: `GET /openapi.json` (openApi.ts) and a reference page at `GET /docs/api`, Swagger UI
 * served from this server (swagger-ui-dist, no CDN) under the Content-Security-Policy's same-origin scripts: the page
 * and its initializer are files in ./apiReference/, the bundle and stylesheet come from the package.
 */
import { createRequire } from "node:module";
import path from "node:path";
import { Router } from "express";
import { z } from "zod";
import { defineRoute, mount, routeGroup } from "./routeSpec.ts";

const PAGE_DIR = path.resolve(import.meta.dirname, "apiReference");
const SWAGGER_UI_DIR = path.dirname(createRequire(import.meta.url).resolve("swagger-ui-dist/package.json"));
/** The files the page loads, and where each lives: nothing else of either folder is served. */
const ASSETS: Record<string, string> = {
  "swagger-ui-bundle.js": SWAGGER_UI_DIR,
  "swagger-ui.css": SWAGGER_UI_DIR,
  "favicon-32x32.png": SWAGGER_UI_DIR,
  "init.js": PAGE_DIR,
};

export const referenceApi = routeGroup("/", "reference", "This description and its reference page.", {
  openApi: defineRoute({
    method: "get",
    path: "/openapi.json",
    summary: "This document",
    description: "OpenAPI 3.1, generated at start-up from the schemas that validate the requests.",
    auth: "none",
    answers: { 200: { description: "The OpenAPI document.", schema: z.record(z.string(), z.unknown()) } },
  }),
  apiReference: defineRoute({
    method: "get",
    path: "/docs/api",
    summary: "The API reference page",
    description: "A browser page (Swagger UI) that renders GET /openapi.json; its assets are under /docs/api/assets/.",
    auth: "none",
    answers: { 200: { description: "The page.", schema: z.string(), contentType: "text/html" } },
  }),
});

/** Serves `document` at GET /openapi.json and the reference page at GET /docs/api. */
export function referenceRoutes(document: object): Router {
  const router = Router();
  const { openApi, apiReference } = referenceApi.routes;
  const body = JSON.stringify(document);

  mount(router, openApi, (_req, res) => {
    res.setHeader("Cache-Control", "no-cache");
    res.type("application/json").send(body);
  });

  mount(router, apiReference, (_req, res) => {
    res.setHeader("Cache-Control", "no-cache");
    res.sendFile(path.join(PAGE_DIR, "index.html"));
  });

  router.use("/docs/api/assets", (req, res, next) => {
    const file = req.path.slice(1);
    if ((req.method !== "GET" && req.method !== "HEAD") || !Object.hasOwn(ASSETS, file)) {
      next();
      return;
    }
    res.setHeader("Cache-Control", "public, max-age=3600");
    res.sendFile(path.join(ASSETS[file] as string, file));
  });
  return router;
}
