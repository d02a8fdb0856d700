/**
 * One declaration per HTTP route: method, path, summary, authentication, the zod schemas of its parameters, query and
 * body, and its answers. The route is mounted from it ({@link mount}), its handler parses its input with the very
 * schemas declared here (validate.ts `parseBody` / `parseQuery`), and the OpenAPI document (openApi.ts) is generated
 * from the same objects, so the description cannot drift from what the server accepts. A test checks that every
 * mounted route is declared and every declared route is mounted (test/http/openApi.test.ts).
 */
import type { RequestHandler, Router } from "express";
import type { RouteParameters } from "express-serve-static-core";
import type { z } from "zod";

export type HttpMethod = "get" | "post" | "patch" | "put" | "delete";

/**
 * Who may call the route: anyone; a player's access token (`Authorization: Bearer`); an admin — HTTP basic
 * `admin` / ADMIN_PASSWORD or an admin player's access token.
 */
export type RouteAuth = "none" | "bearer" | "admin";

/** A status the error handler answers with `{error:{code,message,field?}}`. */
export type ErrorStatus = 400 | 401 | 403 | 404 | 409 | 413 | 429 | 503;

/** One answer of a route. */
export interface AnswerSpec {
  description: string;
  /** The body's schema (JSON unless `contentType` says otherwise); none for an empty answer (204). */
  schema?: z.ZodType;
  /** The media type of the body; default `application/json`. */
  contentType?: string;
}

export interface RouteSpec {
  method: HttpMethod;
  /** The express path, relative to the group's prefix (`/:id`, `/`). */
  path: string;
  summary: string;
  description?: string;
  auth: RouteAuth;
  /** Path parameters, one property per `:name` of `path` (strings, each with a description). */
  params?: z.ZodObject;
  /** Query parameters: the handler parses `req.query` with this schema. */
  query?: z.ZodObject;
  /** The JSON body: the handler parses `req.body` with this schema. */
  body?: z.ZodType;
  /** Successful answers by status (and any non-error answer, e.g. GET /readyz's 503). */
  answers: Readonly<Partial<Record<number, AnswerSpec>>>;
  /**
   * Refusals by status, each saying when it happens; answered in the error shape. 400 for malformed input, 401/403
   * for authentication and 413 for a large body are added from `params`/`query`/`body` and `auth`; list them here
   * only to say more.
   */
  errors?: Readonly<Partial<Record<ErrorStatus, string>>>;
  /** The shape of this route's refusals, when it is not the error shape `{error:{code,message,field?}}`. */
  errorSchema?: z.ZodType;
}

/** The routes one router serves under `prefix`, grouped under one tag of the reference. */
export interface RouteGroup<R extends Record<string, RouteSpec> = Record<string, RouteSpec>> {
  prefix: string;
  tag: string;
  description: string;
  routes: R;
}

/** Declares a route (the identity, typed: its literal path types the handler's `req.params`). */
export function defineRoute<const S extends RouteSpec>(spec: S): S {
  return spec;
}

/** Declares the routes a router serves under `prefix`. */
export function routeGroup<const R extends Record<string, RouteSpec>>(
  prefix: string,
  tag: string,
  description: string,
  routes: R,
): RouteGroup<R> {
  return { prefix, tag, description, routes };
}

/** Mounts `handlers` on `router` at the route's method and path. */
export function mount<S extends RouteSpec>(
  router: Router,
  spec: S,
  ...handlers: RequestHandler<RouteParameters<S["path"]>>[]
): void {
  router[spec.method](spec.path, ...(handlers as RequestHandler[]));
}

/** `/players/:id` → `/players/{id}` (OpenAPI's path template). */
export function openApiPath(expressPath: string): string {
  return expressPath.replace(/:(\w+)/g, "{$1}");
}

/** The full path of a route of `group`, express style (`/players/:id`; the group's root is its prefix). */
export function fullPath(group: RouteGroup, spec: RouteSpec): string {
  const joined = `${group.prefix}/${spec.path}`.replace(/\/+/g, "/");
  return joined.length > 1 ? joined.replace(/\/$/, "") : joined;
}
