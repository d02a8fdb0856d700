import { Router } from "express";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { ErrorCode } from "../protocol.ts";
import type { LeaderboardService } from "../services/leaderboards/LeaderboardService.ts";
import { parse } from "./validate.ts";

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0),
});
const Around = z.object({ limit: z.coerce.number().int().min(1).max(100).default(11) });

/** GET /leaderboards, /leaderboards/:board, /leaderboards/:board/around/:playerId, /leaderboards/:board/players/:playerId. */
export function leaderboardRoutes(leaderboards: LeaderboardService): Router {
  const router = Router();

  const boardOf = (id: string) => {
    const board = leaderboards.get(id);
    if (board === undefined) throw new AppError(ErrorCode.NotFound, `no leaderboard "${id}"`);
    return board;
  };

  router.get("/", (_req, res) => {
    res.json({
      boards: leaderboards.list().map((b) => ({
        id: b.id,
        title: b.title,
        order: b.order,
        operator: b.operator,
        ...(b.resetSchedule === undefined ? {} : { resetSchedule: b.resetSchedule }),
        season: b.season,
        ...(b.nextResetAt === null ? {} : { nextResetAt: b.nextResetAt.toISOString() }),
      })),
    });
  });

  router.get("/:board", async (req, res) => {
    const board = boardOf(req.params.board);
    const { limit, offset } = parse(Page, req.query);
    res.json(await leaderboards.top(board, offset, limit));
  });

  router.get("/:board/around/:playerId", async (req, res) => {
    const board = boardOf(req.params.board);
    const { limit } = parse(Around, req.query);
    const entries = await leaderboards.around(board, req.params.playerId, limit);
    if (entries === undefined) throw new AppError(ErrorCode.NotFound, "player has no entry on this board");
    res.json({ entries });
  });

  router.get("/:board/players/:playerId", async (req, res) => {
    const board = boardOf(req.params.board);
    const entry = await leaderboards.rankOf(board, req.params.playerId);
    if (entry === undefined) throw new AppError(ErrorCode.NotFound, "player has no entry on this board");
    res.json({ rank: entry.rank, score: entry.score });
  });

  return router;
}
