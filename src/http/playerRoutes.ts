import { Router } from "express";
import { AppError } from "../errors.ts";
import { BlockBody, ErrorCode, UpdatePlayerBody } from "../protocol.ts";
import type { AuthService } from "../services/auth/AuthService.ts";
import type { ChatService } from "../services/chat/ChatService.ts";
import type { PlayerStore } from "../services/stores/PlayerStore.ts";
import { principalOf, requireAuth } from "./authMiddleware.ts";
import { parse } from "./validate.ts";
import type { PlayerViews } from "./views.ts";

/** GET/PATCH /players/me, GET /players/:id, POST/DELETE /players/me/blocks. */
export function playerRoutes(
  auth: AuthService,
  players: PlayerStore,
  regions: readonly string[],
  chat: ChatService,
  views: PlayerViews,
): Router {
  const router = Router();

  router.post("/me/blocks", requireAuth(auth), async (req, res) => {
    const { playerId } = parse(BlockBody, req.body);
    const me = principalOf(res).playerId;
    if (playerId === me)
      throw new AppError(ErrorCode.InvalidInput, "playerId: you cannot block yourself", { field: "playerId" });
    if (!(await chat.block(me, playerId))) throw new AppError(ErrorCode.NotFound, "player not found");
    res.status(204).end();
  });

  router.delete("/me/blocks/:playerId", requireAuth(auth), async (req, res) => {
    await chat.unblock(principalOf(res).playerId, String(req.params.playerId));
    res.status(204).end();
  });

  router.get("/me", requireAuth(auth), async (_req, res) => {
    const player = await players.findById(principalOf(res).playerId);
    if (player === undefined) throw new AppError(ErrorCode.NotFound, "player not found");
    res.json(await views.player(player));
  });

  router.patch("/me", requireAuth(auth), async (req, res) => {
    const body = parse(UpdatePlayerBody, req.body);
    if (!regions.includes(body.region)) {
      throw new AppError(ErrorCode.InvalidInput, `region must be one of ${regions.join(", ")}`, { field: "region" });
    }
    const player = await players.updateRegion(principalOf(res).playerId, body.region);
    if (player === undefined) throw new AppError(ErrorCode.NotFound, "player not found");
    res.json(await views.player(player));
  });

  router.get("/:id", async (req, res) => {
    const player = await players.findById(req.params.id);
    if (player === undefined) throw new AppError(ErrorCode.NotFound, "player not found");
    res.json(await views.publicProfile(player));
  });

  return router;
}
