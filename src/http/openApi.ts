/**
 * The OpenAPI 3.1 document of the HTTP API, generated from the route declarations (routeSpec.ts) and the zod schemas
 * they name: request schemas as the handlers read them (`io: "input"`: defaults make a field optional, coerced query
 * numbers are numbers), answers as the server writes them (`io: "output"`). OpenAPI 3.1's schema dialect is JSON
 * Schema 2020-12, which zod emits itself. Built once at start-up and served at `GET /openapi.json`.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { ErrorAnswer } from "./answerSchemas.ts";
import { type ErrorStatus, fullPath, openApiPath, type RouteGroup, type RouteSpec } from "./routeSpec.ts";

type Json = Record<string, unknown>;

/**
 * What the server serves but the document deliberately does not describe, by path prefix, with the reason. The
 * coverage test reads this list: a mounted route under one of these prefixes needs no description, and each
 * prefix must really be served.
 */
export const UNDESCRIBED: readonly { prefix: string; reason: string }[] = [
  {
    prefix: "/colyseus",
    reason:
      "the Colyseus monitor panel (GET /colyseus, admin basic auth): a browser UI whose internal API belongs to " +
      "@colyseus/monitor, not to this server's contract",
  },
  {
    prefix: "/assets/",
    reason: "the browser client's build files (content-hashed names, served as static files under GET /)",
  },
  {
    prefix: "/docs/api/assets/",
    reason: "the API reference page's scripts and styles (swagger-ui-dist and its initializer)",
  },
];

/** The version in package.json. */
export function packageVersion(): string {
  const file = path.resolve(import.meta.dirname, "../../package.json");
  return (JSON.parse(readFileSync(file, "utf8")) as { version: string }).version;
}

const ERROR_NAMES: Record<ErrorStatus, string> = {
  400: "invalid input",
  401: "not authenticated",
  403: "not allowed",
  404: "not found",
  409: "conflict",
  413: "body too large",
  429: "throttled",
  503: "unavailable",
};

/** Turns zod schemas into the document's schemas, collecting the named ones into `components.schemas`. */
class SchemaCollector {
  readonly components: Record<string, Json> = {};

  convert(schema: z.ZodType, io: "input" | "output"): Json {
    const json = z.toJSONSchema(schema, { target: "draft-2020-12", io, unrepresentable: "throw" }) as Json;
    const defs = (json.$defs ?? {}) as Record<string, Json>;
    delete json.$defs;
    delete json.$schema;
    for (const [id, def] of Object.entries(defs)) {
      const moved = relink(def) as Json;
      const known = this.components[id];
      if (known !== undefined && JSON.stringify(known) !== JSON.stringify(moved)) {
        // The same name for two shapes (or one shape read as input and as output, differently): refs would lie.
        throw new Error(`OpenAPI: component schema "${id}" has two different shapes`);
      }
      this.components[id] = moved;
    }
    return relink(json) as Json;
  }
}

/** Rewrites zod's `#/$defs/<id>` refs to `#/components/schemas/<id>`. */
function relink(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(relink);
  if (value === null || typeof value !== "object") return value;
  const out: Json = {};
  for (const [key, inner] of Object.entries(value)) {
    out[key] =
      key === "$ref" && typeof inner === "string"
        ? inner.replace(/^#\/\$defs\//, "#/components/schemas/")
        : relink(inner);
  }
  return out;
}

function errorAnswer(status: ErrorStatus, description: string, schema: Json): Json {
  const answer: Json = {
    description: `${ERROR_NAMES[status]}: ${description}`,
    content: { "application/json": { schema } },
  };
  if (status === 429 || status === 503) answer.headers = { "Retry-After": { $ref: "#/components/headers/RetryAfter" } };
  return answer;
}

/** The refusals every route of its kind has, described once; a route's own `errors` say more. */
function implicitErrors(spec: RouteSpec): Partial<Record<ErrorStatus, string>> {
  const errors: Partial<Record<ErrorStatus, string>> = {};
  if (spec.params !== undefined || spec.query !== undefined || spec.body !== undefined) {
    errors[400] = "a field is malformed or missing; `error.field` names it";
  }
  if (spec.body !== undefined) errors[413] = "the body is larger than 16 KiB";
  if (spec.auth === "bearer") {
    errors[401] = "no access token, or it is invalid, expired or revoked";
    errors[403] = "the player is banned";
  }
  if (spec.auth === "admin") {
    errors[401] = "no admin credentials, or wrong ones (with a `WWW-Authenticate: Basic` challenge)";
    errors[403] = "the token is not an admin player's, or another site made the request (`Sec-Fetch-Site`)";
    errors[429] = "too many refused admin credentials from this client address";
  }
  return errors;
}

function parameters(collector: SchemaCollector, group: RouteGroup, spec: RouteSpec, where: string): Json[] {
  const names = [...fullPath(group, spec).matchAll(/:(\w+)/g)].map((match) => match[1] as string);
  const declared = spec.params === undefined ? [] : Object.keys(spec.params.shape);
  if (names.join() !== declared.join()) {
    throw new Error(`OpenAPI: ${where} declares params [${declared}] for path parameters [${names}]`);
  }
  const out: Json[] = [];
  if (spec.params !== undefined) {
    const json = collector.convert(spec.params, "input");
    const properties = json.properties as Record<string, Json>;
    for (const name of names) {
      const { description, ...schema } = properties[name] ?? {};
      out.push({ name, in: "path", required: true, description, schema });
    }
  }
  if (spec.query !== undefined) {
    const json = collector.convert(spec.query, "input");
    const required = new Set((json.required ?? []) as string[]);
    for (const [name, property] of Object.entries(json.properties as Record<string, Json>)) {
      const { description, ...schema } = property;
      out.push({ name, in: "query", required: required.has(name), ...(description ? { description } : {}), schema });
    }
  }
  return out;
}

function operation(collector: SchemaCollector, group: RouteGroup, id: string, spec: RouteSpec): Json {
  const where = `${spec.method.toUpperCase()} ${fullPath(group, spec)}`;
  const op: Json = { operationId: id, summary: spec.summary, tags: [group.tag] };
  if (spec.description !== undefined) op.description = spec.description;
  if (spec.auth === "bearer") op.security = [{ bearerAuth: [] }];
  if (spec.auth === "admin") op.security = [{ adminBasic: [] }, { bearerAuth: [] }];
  const params = parameters(collector, group, spec, where);
  if (params.length > 0) op.parameters = params;
  if (spec.body !== undefined) {
    op.requestBody = {
      required: true,
      content: { "application/json": { schema: collector.convert(spec.body, "input") } },
    };
  }
  const responses: Json = {};
  for (const [status, answer] of Object.entries(spec.answers)) {
    if (answer === undefined) continue;
    const response: Json = { description: answer.description };
    if (answer.schema !== undefined) {
      response.content = {
        [answer.contentType ?? "application/json"]: { schema: collector.convert(answer.schema, "output") },
      };
    }
    responses[status] = response;
  }
  const errors = { ...implicitErrors(spec), ...spec.errors };
  const errorSchema = collector.convert(spec.errorSchema ?? ErrorAnswer, "output");
  for (const [status, description] of Object.entries(errors)) {
    if (description === undefined) continue;
    if (responses[status] !== undefined) throw new Error(`OpenAPI: ${where} describes ${status} twice`);
    responses[status] = errorAnswer(Number(status) as ErrorStatus, description, errorSchema);
  }
  op.responses = responses;
  return op;
}

export interface OpenApiOptions {
  version: string;
}

/**
 * The OpenAPI 3.1 document of `groups`. Throws on a declaration it cannot describe truthfully: path parameters
 * that differ from the declared ones, a duplicate operation id or route, one component name for two shapes.
 */
export function buildOpenApi(groups: readonly RouteGroup[], options: OpenApiOptions): Json {
  const collector = new SchemaCollector();
  collector.convert(ErrorAnswer, "output");
  const paths: Record<string, Record<string, Json>> = {};
  const ids = new Set<string>();
  for (const group of groups) {
    for (const [id, spec] of Object.entries(group.routes)) {
      if (ids.has(id)) throw new Error(`OpenAPI: operation id "${id}" is used twice`);
      ids.add(id);
      const key = openApiPath(fullPath(group, spec));
      paths[key] ??= {};
      if (paths[key][spec.method] !== undefined) throw new Error(`OpenAPI: ${spec.method} ${key} is declared twice`);
      paths[key][spec.method] = operation(collector, group, id, spec);
    }
  }
  return {
    openapi: "3.1.0",
    info: {
      title: "Game server HTTP API",
      version: options.version,
      description:
        "Accounts, players, leaderboards, sessions, games and administration of the game server. Errors are " +
        "`{error:{code,message,field?}}`. Rooms (WebSocket) are described in docs/API.md.",
      license: { name: "MIT", identifier: "MIT" },
    },
    servers: [{ url: "/" }],
    tags: groups
      .filter((group, index) => groups.findIndex((other) => other.tag === group.tag) === index)
      .map((group) => ({ name: group.tag, description: group.description })),
    paths,
    components: {
      schemas: collector.components,
      securitySchemes: {
        bearerAuth: { type: "http", scheme: "bearer", bearerFormat: "JWT", description: "A player's access token." },
        adminBasic: { type: "http", scheme: "basic", description: "User `admin`, password ADMIN_PASSWORD." },
      },
      headers: {
        RetryAfter: {
          description: "Seconds to wait before trying again.",
          schema: { type: "integer", minimum: 0 },
        },
      },
    },
  };
}
