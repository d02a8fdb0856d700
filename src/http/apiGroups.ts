/**
 * Every route group the server serves, in the order of the reference: GET /openapi.json is generated from this list
 * (installHttp), and test/http/openApi.test.ts checks it against the routes the running server has mounted.
 */
import { adminApi } from "./adminRoutes.ts";
import { referenceApi } from "./apiReference.ts";
import { authApi } from "./authRoutes.ts";
import { clientApi } from "./clientRoutes.ts";
import { edgeApi } from "./installEdge.ts";
import { leaderboardApi } from "./leaderboardRoutes.ts";
import { operationalApi } from "./operationalRoutes.ts";
import { playerApi } from "./playerRoutes.ts";
import type { RouteGroup } from "./routeSpec.ts";
import { sessionApi } from "./sessionRoutes.ts";

export const API_GROUPS: readonly RouteGroup[] = [
  authApi,
  playerApi,
  leaderboardApi,
  sessionApi,
  edgeApi,
  operationalApi,
  adminApi,
  referenceApi,
  clientApi,
];
