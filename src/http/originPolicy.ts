/**
 * The optional Origin allowlist (ALLOWED_ORIGINS). Browsers send `Origin` on cross-site requests and on every
 * WebSocket handshake; a request whose Origin is not listed is refused — HTTP routes and matchmaking requests at
 * the edge (403 ORIGIN_NOT_ALLOWED, see installEdge.ts, which also answers CORS preflights), the rooms' `onAuth`
 * and WebSocket upgrades alike. Requests without an Origin (native game clients, servers, curl) are not
 * browser-originated and pass: the allowlist protects players' browsers from other sites, the access token
 * protects the rest. Allowed origins get CORS headers, so a client served elsewhere works.
 */

/** True when `origin` may use the server: no allowlist, no Origin header, or a listed origin. */
export function originAllowed(origin: string | null | undefined, allowed: readonly string[] | undefined): boolean {
  if (allowed === undefined || origin === undefined || origin === null || origin === "") return true;
  return allowed.includes(origin);
}

/** The WebSocket transport's `beforeUpgrade`: refuses handshakes from origins not listed. */
export function upgradeOriginGuard(allowed: readonly string[] | undefined) {
  return (request: Request): Response | undefined =>
    originAllowed(request.headers.get("origin"), allowed)
      ? undefined
      : new Response("origin not allowed", { status: 403 });
}
