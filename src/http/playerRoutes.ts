import { Router } from "express";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { BlockBody, ErrorCode, UpdatePlayerBody } from "../protocol.ts";
import type { AuthService } from "../services/auth/AuthService.ts";
import type { ChatService } from "../services/chat/ChatService.ts";
import type { PlayerStore } from "../services/stores/PlayerStore.ts";
import { Player, PublicProfile } from "./answerSchemas.ts";
import { principalOf, requireAuth } from "./authMiddleware.ts";
import { defineRoute, mount, routeGroup } from "./routeSpec.ts";
import { parseBody } from "./validate.ts";
import type { PlayerViews } from "./views.ts";

const UNAVAILABLE = "PostgreSQL or Redis is not answering";

export const playerApi = routeGroup("/players", "players", "The signed-in player, public profiles, blocks.", {
  blockPlayer: defineRoute({
    method: "post",
    path: "/me/blocks",
    summary: "Block a player's chat",
    description: "That player's chat is no longer delivered to me.",
    auth: "bearer",
    body: BlockBody,
    answers: { 204: { description: "Blocked." } },
    errors: {
      400: "`playerId` is malformed, or is oneself",
      404: "no such player",
      409: "the player already blocks 500 others",
      503: UNAVAILABLE,
    },
  }),
  unblockPlayer: defineRoute({
    method: "delete",
    path: "/me/blocks/:playerId",
    summary: "Unblock a player",
    auth: "bearer",
    params: z.object({ playerId: z.string().meta({ description: "The blocked player's id." }) }),
    answers: { 204: { description: "Not blocked (also when it was not)." } },
    errors: { 503: UNAVAILABLE },
  }),
  getMe: defineRoute({
    method: "get",
    path: "/me",
    summary: "The signed-in player",
    auth: "bearer",
    answers: { 200: { description: "The player.", schema: Player } },
    errors: { 404: "the account no longer exists", 503: UNAVAILABLE },
  }),
  updateMe: defineRoute({
    method: "patch",
    path: "/me",
    summary: "Change the signed-in player's region",
    auth: "bearer",
    body: UpdatePlayerBody,
    answers: { 200: { description: "The player.", schema: Player } },
    errors: {
      400: "`region` is malformed or not one of the server's REGIONS",
      404: "the account no longer exists",
      503: UNAVAILABLE,
    },
  }),
  getPlayer: defineRoute({
    method: "get",
    path: "/:id",
    summary: "A player's public profile",
    auth: "none",
    params: z.object({ id: z.string().meta({ description: "The player's id." }) }),
    answers: { 200: { description: "The public profile.", schema: PublicProfile } },
    errors: { 404: "no such player", 503: UNAVAILABLE },
  }),
});

/** GET/PATCH /players/me, GET /players/:id, POST/DELETE /players/me/blocks. */
export function playerRoutes(
  auth: AuthService,
  players: PlayerStore,
  regions: readonly string[],
  chat: ChatService,
  views: PlayerViews,
): Router {
  const router = Router();
  const { blockPlayer, unblockPlayer, getMe, updateMe, getPlayer } = playerApi.routes;

  mount(router, blockPlayer, requireAuth(auth), async (req, res) => {
    const { playerId } = parseBody(blockPlayer, req);
    const me = principalOf(res).playerId;
    if (playerId === me)
      throw new AppError(ErrorCode.InvalidInput, "playerId: you cannot block yourself", { field: "playerId" });
    if (!(await chat.block(me, playerId))) throw new AppError(ErrorCode.NotFound, "player not found");
    res.status(204).end();
  });

  mount(router, unblockPlayer, requireAuth(auth), async (req, res) => {
    await chat.unblock(principalOf(res).playerId, String(req.params.playerId));
    res.status(204).end();
  });

  mount(router, getMe, requireAuth(auth), async (_req, res) => {
    const player = await players.findById(principalOf(res).playerId);
    if (player === undefined) throw new AppError(ErrorCode.NotFound, "player not found");
    res.json(await views.player(player));
  });

  mount(router, updateMe, requireAuth(auth), async (req, res) => {
    const body = parseBody(updateMe, req);
    if (!regions.includes(body.region)) {
      throw new AppError(ErrorCode.InvalidInput, `region must be one of ${regions.join(", ")}`, { field: "region" });
    }
    const player = await players.updateRegion(principalOf(res).playerId, body.region);
    if (player === undefined) throw new AppError(ErrorCode.NotFound, "player not found");
    res.json(await views.player(player));
  });

  mount(router, getPlayer, async (req, res) => {
    const player = await players.findById(req.params.id);
    if (player === undefined) throw new AppError(ErrorCode.NotFound, "player not found");
    res.json(await views.publicProfile(player));
  });

  return router;
}
