/**
 * The routes an express application has mounted, read from its router: every `METHOD path` with its path
 * parameters. The input guard uses it to name the parameter a malformed path segment was meant for; the edge test
 * walks it, so a route added later is tested with hostile input without anyone listing it.
 */
import type { Application } from "express";

export interface MountedRoute {
  method: string;
  /** The full path pattern, e.g. `/players/:id`. */
  path: string;
  /** The names of its `:parameters`, in order. */
  params: string[];
}

/** The minimal shape of router 2.x layers this walk reads (`rawPath`, `route`, a nested router's `stack`). */
interface LayerLike {
  rawPath?: unknown;
  route?: { path: unknown; methods: Record<string, boolean> };
  handle?: { stack?: LayerLike[] };
}

function join(prefix: string, path: string): string {
  const joined = `${prefix}/${path}`.replace(/\/+/g, "/");
  return joined.length > 1 ? joined.replace(/\/$/, "") : joined;
}

function walk(stack: readonly LayerLike[], prefix: string, into: MountedRoute[]): void {
  for (const layer of stack) {
    const raw = typeof layer.rawPath === "string" ? layer.rawPath : undefined;
    if (layer.route !== undefined) {
      if (typeof layer.route.path !== "string") continue;
      const path = join(prefix, layer.route.path);
      const params = [...path.matchAll(/:(\w+)/g)].map((match) => match[1] as string);
      for (const [method, on] of Object.entries(layer.route.methods)) {
        // `router.all(...)` answers every method: listed as ALL, so a route mounted that way cannot escape the
        // OpenAPI coverage test.
        if (on) into.push({ method: method === "_all" ? "ALL" : method.toUpperCase(), path, params });
      }
    } else if (Array.isArray(layer.handle?.stack)) {
      // A router mounted at one path, or at several (`app.use(["/a", "/b"], router)`).
      const mounts = raw !== undefined ? [raw] : Array.isArray(layer.rawPath) ? layer.rawPath : [];
      for (const at of mounts) if (typeof at === "string") walk(layer.handle.stack, join(prefix, at), into);
    }
  }
}

/** Every route mounted on `app`, nested routers included (in mounting order). */
export function mountedRoutes(app: Application): MountedRoute[] {
  const routes: MountedRoute[] = [];
  const router = (app as unknown as { router?: { stack?: LayerLike[] } }).router;
  walk(router?.stack ?? [], "", routes);
  return routes;
}

/**
 * The parameter of the mounted route that the raw (undecoded) path's segment `index` stands for, if a route of
 * that shape exists.
 */
export function paramAt(routes: readonly MountedRoute[], rawPath: string, index: number): string | undefined {
  const segments = rawPath.split("/");
  for (const route of routes) {
    const pattern = route.path.split("/");
    if (pattern.length !== segments.length) continue;
    const fits = pattern.every((part, i) => part.startsWith(":") || part === segments[i]);
    const part = pattern[index];
    if (fits && part?.startsWith(":")) return part.slice(1);
  }
  return undefined;
}
