import { Router } from "express";
import { z } from "zod";
import { AppError } from "../errors.ts";
import { ErrorCode } from "../protocol.ts";
import type { LeaderboardService } from "../services/leaderboards/LeaderboardService.ts";
import { BoardList, BoardPage, EntryList, Rank } from "./answerSchemas.ts";
import { defineRoute, mount, routeGroup } from "./routeSpec.ts";
import { parseQuery } from "./validate.ts";

const Page = z.object({
  limit: z.coerce.number().int().min(1).max(100).default(50).meta({ description: "Entries per page." }),
  offset: z.coerce.number().int().min(0).max(10_000_000).default(0).meta({ description: "Entries to skip." }),
});
const Around = z.object({
  limit: z.coerce
    .number()
    .int()
    .min(1)
    .max(100)
    .default(11)
    .meta({ description: "Entries, the player's in the middle." }),
});
const board = z.string().meta({ description: "A board id from GET /leaderboards (`rating`, `rating:<game>`, ...)." });
const UNAVAILABLE = "PostgreSQL or Redis is not answering";

export const leaderboardApi = routeGroup("/leaderboards", "leaderboards", "Leaderboards (docs/LEADERBOARDS.md).", {
  listBoards: defineRoute({
    method: "get",
    path: "/",
    summary: "Every leaderboard",
    auth: "none",
    answers: { 200: { description: "The boards.", schema: BoardList } },
  }),
  topOfBoard: defineRoute({
    method: "get",
    path: "/:board",
    summary: "A page of a leaderboard",
    auth: "none",
    params: z.object({ board }),
    query: Page,
    answers: { 200: { description: "The entries of the page and the board's size.", schema: BoardPage } },
    errors: { 404: "no such board", 503: UNAVAILABLE },
  }),
  aroundPlayer: defineRoute({
    method: "get",
    path: "/:board/around/:playerId",
    summary: "The entries around a player",
    auth: "none",
    params: z.object({ board, playerId: z.string().meta({ description: "The player's id." }) }),
    query: Around,
    answers: { 200: { description: "Entries centred on the player.", schema: EntryList } },
    errors: { 404: "no such board, or the player has no entry on it", 503: UNAVAILABLE },
  }),
  rankOfPlayer: defineRoute({
    method: "get",
    path: "/:board/players/:playerId",
    summary: "A player's rank and score",
    auth: "none",
    params: z.object({ board, playerId: z.string().meta({ description: "The player's id." }) }),
    answers: { 200: { description: "The player's place.", schema: Rank } },
    errors: { 404: "no such board, or the player has no entry on it", 503: UNAVAILABLE },
  }),
});

/** GET /leaderboards, /leaderboards/:board, /leaderboards/:board/around/:playerId, /leaderboards/:board/players/:playerId. */
export function leaderboardRoutes(leaderboards: LeaderboardService): Router {
  const router = Router();
  const { listBoards, topOfBoard, aroundPlayer, rankOfPlayer } = leaderboardApi.routes;

  const boardOf = (id: string) => {
    const board = leaderboards.get(id);
    if (board === undefined) throw new AppError(ErrorCode.NotFound, `no leaderboard "${id}"`);
    return board;
  };

  mount(router, listBoards, (_req, res) => {
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

  mount(router, topOfBoard, async (req, res) => {
    const board = boardOf(req.params.board);
    const { limit, offset } = parseQuery(topOfBoard, req);
    res.json(await leaderboards.top(board, offset, limit));
  });

  mount(router, aroundPlayer, async (req, res) => {
    const board = boardOf(req.params.board);
    const { limit } = parseQuery(aroundPlayer, req);
    const entries = await leaderboards.around(board, req.params.playerId, limit);
    if (entries === undefined) throw new AppError(ErrorCode.NotFound, "player has no entry on this board");
    res.json({ entries });
  });

  mount(router, rankOfPlayer, async (req, res) => {
    const board = boardOf(req.params.board);
    const entry = await leaderboards.rankOf(board, req.params.playerId);
    if (entry === undefined) throw new AppError(ErrorCode.NotFound, "player has no entry on this board");
    res.json({ rank: entry.rank, score: entry.score });
  });

  return router;
}
