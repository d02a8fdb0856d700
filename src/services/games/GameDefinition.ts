/**
 * What a game plugs into the framework: one {@link GameDefinition} per game, listed once in `src/games/index.ts`.
 * From it the framework derives the room registered under the game's id, the matchmaking pools and seat layout of
 * each mode, the leaderboards (the game's own and `rating:<key>`), the rating keys, and how a finished match's
 * result becomes wins, losses, draws and board scores. `GET /games` lists the definitions.
 *
 * This module is pure: no I/O, no Colyseus, no service. The framework never names a game; the default game (the
 * first registered, what a `matchmaking` join without `game` searches for) is a position in the list, not a name.
 */
import type { z } from "zod";
import type { BoardDefinition } from "../leaderboards/LeaderboardStore.ts";
import type { MatchResult, MatchResultPlayer } from "../matches/MatchResults.ts";

/** A game id is its room name and its rating key: lowercase, no `:` (keys and boards are built with it). */
export const GAME_ID = /^[a-z][a-z0-9_-]{1,31}$/;
/** A mode id: lowercase, no `:`. */
export const MODE_ID = /^[a-z][a-z0-9_-]{0,31}$/;

export type Outcome = "win" | "loss" | "draw";

/** One way to play a game: its seats and teams, and how the matchmaker fills it. */
export interface ModeDefinition {
  id: string;
  title?: string;
  /** Seats in one match. */
  players: number;
  /**
   * Number of teams; `players` must divide by it. `teams === players` is everyone on their own (a duel, a
   * free-for-all); seats go to teams in turn (seat i → team i % teams).
   */
  teams: number;
  /** Teams formed from humans only are balanced by rating (the smallest difference of team rating sums). */
  balanceTeams?: boolean;
  /** Seats still empty after BOT_FILL_SEC are filled with bots (such matches are unrated). Default false. */
  botFill?: boolean;
  /** Rated under a key of its own (`<game>:<mode>`) rather than the game's (`<game>`). Default false. */
  ratedSeparately?: boolean;
  /**
   * How this mode's rating windows widen (see MatchmakerAlgorithm's ExpansionSchedule): the fields given replace the
   * server's defaults, for a mode whose players should wait longer for a close match, or less.
   */
  schedule?: Partial<WideningSchedule>;
  /**
   * Whether a running match of this mode may take new players into seats left empty. Planned (docs/GAMES.md): only
   * `false` is accepted today, and a match's seats are fixed when it forms.
   */
  backfill?: false;
}

/** The widening of a ticket's rating window (the matchmaker's ExpansionSchedule, restated to keep this module pure). */
export interface WideningSchedule {
  baseWindow: number;
  deviationFactor: number;
  widenPerSec: number;
  maxWindow: number;
}

/**
 * A leaderboard the game declares, with the score one player's result gives it. Declared boards are created at
 * start-up; a result can only write boards its game declared, so an unknown board is an error when the game is
 * registered, never a result that cannot be stored.
 */
export interface BoardDeclaration extends BoardDefinition {
  /** The modes whose results write this board (default: every mode of the game). */
  modes?: readonly string[];
  /** The value submitted for one human player of a rated match; undefined writes nothing. */
  score(player: MatchResultPlayer, result: MatchResult): number | undefined;
}

/** How a finished match counts. Every field has a default that suits most games. */
export interface ResultPolicy {
  /**
   * Each player's outcome. Default {@link outcomesFromPlacements}: best placement alone wins, a best placement
   * shared by every team is a draw for all, a best placement shared by some teams is a draw for those, the rest lose.
   */
  outcomes?(result: MatchResult): Map<string, Outcome>;
}

/** The class registered under the game's id; the framework binds its services in (see BaseRoom.bindRoom). */
export type GameRoomClass = abstract new () => object;

export interface GameDefinition {
  /** The room name, the `game` of a `matchmaking` join, `session.gameType`, the rating key. */
  id: string;
  title: string;
  room: GameRoomClass;
  modes: readonly ModeDefinition[];
  /** The game's leaderboards besides `rating:<key>`, which every rating key gets. */
  boards?: readonly BoardDeclaration[];
  result?: ResultPolicy;
  /** Client → server messages by name, with the schema their payload must pass (documentation and validation). */
  messages?: Readonly<Record<string, z.ZodType>>;
}

/** What `GET /games` says of a game. */
export interface GameSummary {
  id: string;
  title: string;
  modes: Array<{ id: string; players: number; teams: number }>;
}

/** Thrown at registration: the definition is not usable, and the server does not start with it. */
export class GameDefinitionError extends Error {
  override name = "GameDefinitionError";
}

/** The rating key of a match of `game` in `mode`: the game's id, or `<game>:<mode>` for a mode rated on its own. */
export function ratingKey(game: GameDefinition, mode: string): string {
  return game.modes.find((m) => m.id === mode)?.ratedSeparately === true ? `${game.id}:${mode}` : game.id;
}

/** Every rating key a game uses. */
export function ratingKeys(game: GameDefinition): string[] {
  return [...new Set(game.modes.map((mode) => ratingKey(game, mode.id)))];
}

/** The leaderboard of a rating key. */
export function ratingBoard(key: string): string {
  return `rating:${key}`;
}

/** The default outcomes: see {@link ResultPolicy.outcomes}. */
export function outcomesFromPlacements(result: MatchResult): Map<string, Outcome> {
  const best = Math.min(...result.players.map((p) => p.placement));
  const teamsAtBest = new Set(result.players.filter((p) => p.placement === best).map((p) => p.team));
  const outcomes = new Map<string, Outcome>();
  for (const player of result.players) {
    outcomes.set(player.playerId, player.placement !== best ? "loss" : teamsAtBest.size > 1 ? "draw" : "win");
  }
  return outcomes;
}

/** The registered games, checked once; the first is the default game. */
export class GameRegistry {
  private readonly byId = new Map<string, GameDefinition>();

  constructor(games: readonly GameDefinition[]) {
    if (games.length === 0) throw new GameDefinitionError("no game registered");
    for (const game of games) {
      check(game);
      if (this.byId.has(game.id)) throw new GameDefinitionError(`game ${game.id} is registered twice`);
      this.byId.set(game.id, game);
    }
    const boards = new Set<string>();
    for (const board of this.boards()) {
      if (boards.has(board.id)) throw new GameDefinitionError(`leaderboard ${board.id} is declared twice`);
      boards.add(board.id);
    }
  }

  /** The game a `matchmaking` join without `game` searches for: the first registered. */
  get defaultGame(): GameDefinition {
    return this.byId.values().next().value as GameDefinition;
  }

  get(id: string): GameDefinition | undefined {
    return this.byId.get(id);
  }

  /** @throws GameDefinitionError for an unknown game id. */
  require(id: string): GameDefinition {
    const game = this.byId.get(id);
    if (game === undefined) throw new GameDefinitionError(`unknown game ${id}`);
    return game;
  }

  /** The mode of a game, or undefined when either is unknown. */
  mode(gameId: string, modeId: string): ModeDefinition | undefined {
    return this.byId.get(gameId)?.modes.find((mode) => mode.id === modeId);
  }

  list(): GameDefinition[] {
    return [...this.byId.values()];
  }

  summaries(): GameSummary[] {
    return this.list().map((game) => ({
      id: game.id,
      title: game.title,
      modes: game.modes.map((mode) => ({ id: mode.id, players: mode.players, teams: mode.teams })),
    }));
  }

  /**
   * Every leaderboard: `rating:<key>` for every rating key of every game, then each game's declared boards. The
   * default game's rating is the account's top-level rating, whose board keeps its historic id `rating` as well.
   */
  boards(): BoardDeclaration[] {
    const rating = (id: string, title: string): BoardDeclaration => ({
      id,
      title,
      order: "desc",
      operator: "set",
      score: () => undefined,
    });
    const boards: BoardDeclaration[] = [rating("rating", `Skill rating (${this.defaultGame.title})`)];
    for (const game of this.byId.values()) {
      for (const key of ratingKeys(game)) boards.push(rating(ratingBoard(key), `Skill rating (${titleOf(game, key)})`));
    }
    for (const game of this.byId.values()) boards.push(...(game.boards ?? []));
    return boards;
  }

  /** Outcomes of a finished match under its game's policy. */
  outcomes(result: MatchResult): Map<string, Outcome> {
    const policy = this.get(gameOf(result, this))?.result?.outcomes ?? outcomesFromPlacements;
    return policy(result);
  }
}

/** A result's game; results journaled before games were plug-ins carry none and are the default game's. */
export function gameOf(result: { game?: string }, registry: GameRegistry): string {
  return result.game ?? registry.defaultGame.id;
}

function titleOf(game: GameDefinition, key: string): string {
  const mode = key.includes(":") ? game.modes.find((m) => `${game.id}:${m.id}` === key) : undefined;
  return mode === undefined ? game.title : `${game.title}, ${mode.title ?? mode.id}`;
}

function check(game: GameDefinition): void {
  const fail = (why: string): never => {
    throw new GameDefinitionError(`game ${JSON.stringify(game.id)}: ${why}`);
  };
  if (typeof game.id !== "string" || !GAME_ID.test(game.id)) fail(`id must match ${GAME_ID}`);
  if (typeof game.room !== "function") fail("room must be a room class");
  if (game.modes.length === 0) fail("declares no mode");
  const modes = new Set<string>();
  for (const mode of game.modes) {
    if (!MODE_ID.test(mode.id)) fail(`mode id ${JSON.stringify(mode.id)} must match ${MODE_ID}`);
    if (modes.has(mode.id)) fail(`mode ${mode.id} is declared twice`);
    modes.add(mode.id);
    if (!Number.isInteger(mode.players) || mode.players < 1 || mode.players > 64) {
      fail(`mode ${mode.id}: players must be an integer from 1 to 64`);
    }
    if (!Number.isInteger(mode.teams) || mode.teams < 1 || mode.players % mode.teams !== 0) {
      fail(`mode ${mode.id}: teams must divide players`);
    }
    if ((mode as { backfill?: unknown }).backfill === true) fail(`mode ${mode.id}: backfill is not supported yet`);
    for (const [field, value] of Object.entries(mode.schedule ?? {})) {
      if (!["baseWindow", "deviationFactor", "widenPerSec", "maxWindow"].includes(field)) {
        fail(`mode ${mode.id}: schedule has no field ${field}`);
      }
      if (typeof value !== "number" || !Number.isFinite(value) || value < 0) {
        fail(`mode ${mode.id}: schedule.${field} must be a number ≥ 0`);
      }
    }
  }
  for (const board of game.boards ?? []) {
    if (board.id === "rating" || board.id.startsWith("rating:"))
      fail(`board ${board.id}: rating boards are the framework's`);
    if (typeof board.score !== "function") fail(`board ${board.id} has no score function`);
    for (const mode of board.modes ?? []) if (!modes.has(mode)) fail(`board ${board.id} names unknown mode ${mode}`);
  }
}
