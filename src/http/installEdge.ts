/**
 * The first thing every HTTP request meets, before Colyseus' router and express: it decides who the client is
 * (clientAddress), applies the Origin allowlist and answers CORS preflights, and serves the matchmaking route
 * (`POST /matchmake/:method/:roomName`) itself, so that
 * - a body larger than {@link MATCHMAKE_BODY_LIMIT_BYTES} is refused with 413 before it is buffered (a declared
 *   Content-Length up front; a chunked body as soon as it passes the limit), whoever sends it;
 * - the room's `onAuth` receives the client address of the one rule (peer address, X-Forwarded-For only from
 *   TRUSTED_PROXIES), not the first hop of a header any client can write;
 * - refusals have the project's error shape, `{error:{code,message,field?}}`, plus a top-level `message`, which
 *   is what @colyseus/sdk puts in its MatchMakeError (it reads `message ?? error`; its `code` is the HTTP status).
 * Colyseus' own listener would reflect any Origin with credentials and a 30-day preflight max-age, and buffer any
 * body before authentication.
 */
import type http from "node:http";
import { type AuthContext, ErrorCode as ColyseusErrorCode, matchMaker, ServerError } from "@colyseus/core";
import { z } from "zod";
import { AppError } from "../errors.ts";
import type { Logger } from "../logger.ts";
import { ErrorCode } from "../protocol.ts";
import { MatchmakeRefusal, SeatReservation } from "./answerSchemas.ts";
import { clientAddress, type TrustedProxies } from "./clientAddress.ts";
import { guardBody } from "./inputGuard.ts";
import { originAllowed } from "./originPolicy.ts";
import { defineRoute, routeGroup } from "./routeSpec.ts";

/** Largest matchmaking request body; the same as every other HTTP body. */
export const MATCHMAKE_BODY_LIMIT_BYTES = 16 * 1024;
/** How long a browser may cache a preflight answer. */
const PREFLIGHT_MAX_AGE_SEC = 600;
const MATCHMAKE_PATH = /^\/matchmake\/(\w+)\/([^/?#]+)$/;
const METHODS = ["joinOrCreate", "create", "join", "joinById", "reconnect"] as const;
type MatchmakeMethod = (typeof METHODS)[number];

/** The one route the edge serves itself (not express): described with the others in GET /openapi.json. */
export const edgeApi = routeGroup("/", "matchmaking", "Room requests of the Colyseus SDK.", {
  matchmake: defineRoute({
    method: "post",
    path: "/matchmake/:method/:roomName",
    summary: "Ask for a seat in a room",
    description:
      "What the Colyseus SDK sends for `joinOrCreate`, `create`, `join`, `joinById` and `reconnect`; the answer is " +
      "consumed by its `consumeSeatReservation`. Room joins carry the access token; `reconnect` carries the " +
      "reconnection token in the body instead. Colyseus' own refusals keep their statuses (520–526, e.g. 521 " +
      '`NOT_FOUND` "no rooms found").',
    auth: "bearer",
    params: z.object({
      method: z.enum(METHODS).meta({ description: "The SDK call." }),
      roomName: z
        .string()
        .meta({ description: "A room name (`matchmaking`, `chat`), or a room id for joinById/reconnect." }),
    }),
    body: z.record(z.string(), z.unknown()).meta({
      description:
        "The room's join options: `matchmaking` {game?, mode, region?}, `chat` {channel}; " +
        "`reconnect` {reconnectionToken}. Each room validates its own (docs/API.md, Rooms).",
    }),
    answers: { 200: { description: "A seat reservation.", schema: SeatReservation } },
    errors: {
      400: "the body is not a JSON object, or a join option is refused (`error.field` names it)",
      403: "the player is banned, a client may not create or join this room, or the Origin is not allowed",
      404: "unknown matchmaking method",
      409: "the player already searches",
      429: "too many room requests from this address, or the player holds MAX_CONNECTIONS_PER_PLAYER connections",
      503: "the server is shutting down, or it is at MAX_CCU (`SERVER_FULL`)",
    },
    errorSchema: MatchmakeRefusal,
  }),
});

export interface EdgeOptions {
  trustedProxies: TrustedProxies;
  /** ALLOWED_ORIGINS; undefined = any origin. */
  allowedOrigins: readonly string[] | undefined;
  /** Per-IP budget of reconnection requests: they run no onAuth, so the room-request budget never sees them. */
  reconnectAdmission: { admit(ip: string): Promise<number | undefined> };
  log: Logger;
}

type RequestListener = (req: http.IncomingMessage, res: http.ServerResponse) => void;

/**
 * Puts the edge in front of the request listeners `server` has now (Colyseus' router, which hands other requests
 * to express). Call once the server listens: Colyseus binds its router then.
 */
export function installEdge(server: http.Server, options: EdgeOptions): void {
  const listeners = server.listeners("request") as RequestListener[];
  server.removeAllListeners("request");
  server.on("request", (req: http.IncomingMessage, res: http.ServerResponse) => {
    if (!corsAllows(req, res, options.allowedOrigins)) return;
    const path = pathnameOf(req.url);
    const matchmake = req.method === "POST" ? MATCHMAKE_PATH.exec(path) : null;
    if (matchmake !== null) {
      void serveMatchmake(req, res, matchmake[1] ?? "", matchmake[2] ?? "", options);
      return;
    }
    if (path.startsWith("/matchmake/")) {
      // Nothing else under /matchmake/ is served; Colyseus' router would answer with its own CORS headers.
      sendError(res, new AppError(ErrorCode.NotFound, `no route for ${req.method} ${path}`));
      return;
    }
    for (const listener of listeners) listener.call(server, req, res);
  });
}

/**
 * The request's path as Colyseus' router reads it (WHATWG URL parsing: no query or fragment, dot segments resolved,
 * an absolute-form target reduced to its path), so that no spelling of the matchmaking path reaches Colyseus' own
 * handler, which buffers any body and believes any forwarding header.
 */
function pathnameOf(url: string | undefined): string {
  try {
    return new URL(url ?? "/", "http://edge.invalid").pathname;
  } catch {
    return "/";
  }
}

/**
 * The Origin allowlist and CORS: a request whose Origin is not allowed is refused (403, also a preflight) and
 * never sees its Origin reflected; an allowed one (or any, without ALLOWED_ORIGINS) gets it back with credentials.
 * Preflights are answered here. False when the request has been answered.
 */
function corsAllows(req: http.IncomingMessage, res: http.ServerResponse, allowed: readonly string[] | undefined) {
  const origin = req.headers.origin;
  if (allowed !== undefined) res.setHeader("Vary", "Origin");
  if (!originAllowed(origin, allowed)) {
    sendError(
      res,
      new AppError(ErrorCode.OriginNotAllowed, `origin ${origin} is not in ALLOWED_ORIGINS`, { field: "origin" }),
    );
    return false;
  }
  if (origin !== undefined) {
    res.setHeader("Access-Control-Allow-Origin", origin);
    res.setHeader("Access-Control-Allow-Credentials", "true");
  }
  if (req.method !== "OPTIONS") return true;
  res.writeHead(204, {
    "Access-Control-Allow-Methods": "GET, POST, PATCH, DELETE, OPTIONS",
    "Access-Control-Allow-Headers": "Authorization, Content-Type",
    "Access-Control-Max-Age": String(PREFLIGHT_MAX_AGE_SEC),
  });
  res.end();
  return false;
}

async function serveMatchmake(
  req: http.IncomingMessage,
  res: http.ServerResponse,
  method: string,
  roomName: string,
  options: EdgeOptions,
): Promise<void> {
  try {
    if (!(METHODS as readonly string[]).includes(method)) {
      throw new AppError(ErrorCode.NotFound, `unknown matchmaking method "${method}"`);
    }
    const body = await readJsonObject(req);
    const target = decodeRoomName(roomName);
    if (matchMaker.state === matchMaker.MatchMakerState.SHUTTING_DOWN) {
      throw new AppError(ErrorCode.Unavailable, "this server is shutting down");
    }
    const auth: AuthContext = {
      token: bearerToken(req.headers.authorization),
      ip: clientAddress(req.socket.remoteAddress, req.headers["x-forwarded-for"], options.trustedProxies),
      headers: toHeaders(req.headers),
    };
    if (method === "reconnect") {
      const retryAfterSec = await options.reconnectAdmission.admit(auth.ip ?? "unknown");
      if (retryAfterSec !== undefined) {
        throw new AppError(ErrorCode.RateLimited, `too many reconnection requests; retry in ${retryAfterSec} s`, {
          retryAfterSec,
        });
      }
    }
    const reservation = await invoke(method as MatchmakeMethod, target, body, auth);
    const json = JSON.stringify(reservation);
    res.writeHead(200, { "content-type": "application/json", "content-length": Buffer.byteLength(json) });
    res.end(json);
  } catch (error) {
    sendError(res, toEdgeError(error, options.log));
  }
}

function invoke(
  method: MatchmakeMethod,
  roomName: string,
  body: Record<string, unknown>,
  auth: AuthContext,
): Promise<unknown> {
  switch (method) {
    case "joinOrCreate":
      return matchMaker.joinOrCreate(roomName, body, auth);
    case "create":
      return matchMaker.create(roomName, body, auth);
    case "join":
      return matchMaker.join(roomName, body, auth);
    case "joinById":
      return matchMaker.joinById(roomName, body, auth);
    case "reconnect":
      return matchMaker.reconnect(roomName, body);
  }
}

/**
 * Reads a JSON object body of at most {@link MATCHMAKE_BODY_LIMIT_BYTES}: a larger declared length is refused
 * before a byte is read, a chunked body as soon as it passes the limit. An empty body is `{}`.
 */
function readJsonObject(req: http.IncomingMessage): Promise<Record<string, unknown>> {
  const tooLarge = () =>
    new AppError(ErrorCode.PayloadTooLarge, `request body is larger than ${MATCHMAKE_BODY_LIMIT_BYTES / 1024} KiB`);
  const declared = Number(req.headers["content-length"]);
  if (Number.isFinite(declared) && declared > MATCHMAKE_BODY_LIMIT_BYTES) return Promise.reject(tooLarge());
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const onData = (chunk: Buffer) => {
      size += chunk.length;
      if (size > MATCHMAKE_BODY_LIMIT_BYTES) {
        req.off("data", onData);
        chunks.length = 0;
        reject(tooLarge());
        return;
      }
      chunks.push(chunk);
    };
    req.on("data", onData);
    req.once("error", reject);
    req.once("end", () => {
      if (size > MATCHMAKE_BODY_LIMIT_BYTES) return;
      const text = Buffer.concat(chunks).toString("utf8");
      if (text.trim() === "") {
        resolve({});
        return;
      }
      let parsed: unknown;
      try {
        parsed = JSON.parse(text);
      } catch {
        reject(new AppError(ErrorCode.InvalidInput, "request body is not valid JSON", { field: "body" }));
        return;
      }
      if (parsed === null || typeof parsed !== "object" || Array.isArray(parsed)) {
        reject(
          new AppError(ErrorCode.InvalidInput, "request body must be a JSON object of join options", { field: "body" }),
        );
        return;
      }
      try {
        guardBody(parsed);
      } catch (error) {
        reject(error);
        return;
      }
      resolve(parsed as Record<string, unknown>);
    });
  });
}

/** Colyseus' matchmaking error codes (HTTP statuses 520-526 on this route) in the project's vocabulary. */
const COLYSEUS_CODES: Record<number, ErrorCode> = {
  [ColyseusErrorCode.MATCHMAKE_NO_HANDLER]: ErrorCode.NotFound,
  [ColyseusErrorCode.MATCHMAKE_INVALID_CRITERIA]: ErrorCode.NotFound,
  [ColyseusErrorCode.MATCHMAKE_INVALID_ROOM_ID]: ErrorCode.NotFound,
  [ColyseusErrorCode.MATCHMAKE_EXPIRED]: ErrorCode.NotFound,
  [ColyseusErrorCode.AUTH_FAILED]: ErrorCode.Unauthorized,
};

const BY_STATUS: Record<number, ErrorCode> = {
  400: ErrorCode.InvalidInput,
  401: ErrorCode.Unauthorized,
  403: ErrorCode.Forbidden,
  404: ErrorCode.NotFound,
  409: ErrorCode.Conflict,
  413: ErrorCode.PayloadTooLarge,
  429: ErrorCode.RateLimited,
};

/** An answer for the error: its own status, and a project code derived from it. */
type EdgeError = { status: number; code: ErrorCode; message: string; field?: string; retryAfterSec?: number };

function fromAppError(error: AppError): EdgeError {
  return {
    status: error.status,
    code: error.code,
    message: error.message,
    ...(error.details.field === undefined ? {} : { field: error.details.field }),
    ...(error.details.retryAfterSec === undefined ? {} : { retryAfterSec: error.details.retryAfterSec }),
  };
}

function toEdgeError(error: unknown, log: Logger): EdgeError {
  if (error instanceof AppError) return fromAppError(error);
  if (!(error instanceof ServerError)) {
    // Not a refusal but a fault (a dependency such as Redis away, or a bug): logged; the client learns nothing of
    // its internals and is told to retry, as for any dependency that is down.
    log.warn({ err: error }, "matchmaking request failed");
    return {
      status: 503,
      code: ErrorCode.Unavailable,
      message: "matchmaking could not answer; try again",
      retryAfterSec: 1,
    };
  }
  const status =
    Number.isInteger(error.code) && error.code >= 400 && error.code < 600
      ? error.code
      : ColyseusErrorCode.MATCHMAKE_UNHANDLED;
  const prefixed = [ErrorCode.ServerFull, ErrorCode.OriginNotAllowed, ErrorCode.TooManyConnections].find((code) =>
    error.message.startsWith(`${code}:`),
  );
  const code = prefixed ?? COLYSEUS_CODES[status] ?? BY_STATUS[status] ?? ErrorCode.Unavailable;
  return { status, code, message: error.message };
}

function sendError(res: http.ServerResponse, error: EdgeError | AppError): void {
  const answer = error instanceof AppError ? fromAppError(error) : error;
  const body = JSON.stringify({
    error: {
      code: answer.code,
      message: answer.message,
      ...(answer.field === undefined ? {} : { field: answer.field }),
    },
    message: answer.message,
  });
  if (res.headersSent) {
    res.end();
    return;
  }
  const headers: http.OutgoingHttpHeaders = {
    "content-type": "application/json",
    "content-length": Buffer.byteLength(body),
  };
  if (answer.retryAfterSec !== undefined) headers["retry-after"] = String(answer.retryAfterSec);
  // A refused body is not read: the connection closes after the answer instead of draining it.
  if (answer.status === 413) headers.connection = "close";
  res.writeHead(answer.status, headers);
  res.end(body);
}

function bearerToken(header: string | undefined): string | undefined {
  const match = /^Bearer\s+(\S+)$/i.exec(header ?? "");
  return match?.[1];
}

function toHeaders(raw: http.IncomingHttpHeaders): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(raw)) {
    if (value === undefined) continue;
    for (const item of Array.isArray(value) ? value : [value]) headers.append(name, item);
  }
  return headers;
}

function decodeRoomName(raw: string): string {
  try {
    return decodeURIComponent(raw);
  } catch {
    throw new AppError(ErrorCode.InvalidInput, "room name is not a valid percent-encoded string", {
      field: "roomName",
    });
  }
}
