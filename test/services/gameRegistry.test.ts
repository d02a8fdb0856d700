/**
 * The registry's checks at start-up (docs/GAMES.md "The definition"): a definition the framework cannot serve stops
 * the server with a GameDefinitionError naming what is wrong, never a failure later in a match or a result.
 */
import assert from "node:assert/strict";
import {
  type GameDefinition,
  GameDefinitionError,
  GameRegistry,
  outcomesFromPlacements,
  ratingKey,
} from "../../src/services/games/GameDefinition.ts";

class AnyRoom {}

const game = (overrides: Partial<GameDefinition> = {}): GameDefinition => ({
  id: "tictac",
  title: "Tic-tac",
  room: AnyRoom,
  modes: [{ id: "duel", players: 2, teams: 2 }],
  ...overrides,
});

const board = (id: string, modes?: string[]) => ({
  id,
  title: id,
  order: "desc" as const,
  operator: "incr" as const,
  ...(modes === undefined ? {} : { modes }),
  score: () => 1,
});

function refused(games: GameDefinition[], pattern: RegExp): void {
  assert.throws(
    () => new GameRegistry(games),
    (error: unknown) => error instanceof GameDefinitionError && pattern.test(error.message),
  );
}

describe("GameRegistry", () => {
  it("refuses definitions it cannot serve, naming what is wrong", () => {
    refused([], /no game registered/);
    refused([game({ id: "Bad:id" })], /id must match/);
    refused([game({ room: undefined as unknown as GameDefinition["room"] })], /room must be a room class/);
    refused([game({ modes: [] })], /declares no mode/);
    refused([game({ modes: [{ id: "duel", players: 3, teams: 2 }] })], /teams must divide players/);
    refused([game({ modes: [{ id: "duel", players: 0, teams: 1 }] })], /players must be an integer from 1 to 64/);
    refused(
      [
        game({
          modes: [
            { id: "duel", players: 2, teams: 2 },
            { id: "duel", players: 2, teams: 2 },
          ],
        }),
      ],
      /mode duel is declared twice/,
    );
    refused(
      [game({ modes: [{ id: "duel", players: 2, teams: 2, backfill: true as unknown as false }] })],
      /backfill is not supported yet/,
    );
    refused(
      [game({ modes: [{ id: "duel", players: 2, teams: 2, schedule: { patience: 3 } as never }] })],
      /schedule has no field patience/,
    );
    refused(
      [game({ modes: [{ id: "duel", players: 2, teams: 2, schedule: { baseWindow: -1 } }] })],
      /schedule.baseWindow must be a number/,
    );
    refused([game({ boards: [board("rating:tictac")] })], /rating boards are the framework's/);
    refused([game({ boards: [board("wins", ["ffa"])] })], /names unknown mode ffa/);
    refused([game(), game()], /registered twice/);
    refused([game({ boards: [board("wins")] }), game({ id: "other", boards: [board("wins")] })], /declared twice/);
  });

  it("derives the default game, rating keys and boards from the definitions", () => {
    const registry = new GameRegistry([
      game(),
      game({
        id: "other",
        title: "Other",
        modes: [
          { id: "duel", players: 2, teams: 2 },
          { id: "ranked", players: 2, teams: 2, ratedSeparately: true },
        ],
        boards: [board("wins:other")],
      }),
    ]);
    assert.equal(registry.defaultGame.id, "tictac");
    assert.equal(ratingKey(registry.require("other"), "ranked"), "other:ranked");
    assert.equal(ratingKey(registry.require("other"), "duel"), "other");
    assert.deepEqual(
      registry.boards().map((b) => b.id),
      ["rating", "rating:tictac", "rating:other", "rating:other:ranked", "wins:other"],
    );
    assert.deepEqual(registry.summaries()[1]!.modes, [
      { id: "duel", players: 2, teams: 2 },
      { id: "ranked", players: 2, teams: 2 },
    ]);
  });

  it("outcomes from placements: a best placement alone wins, shared by every team is a draw", () => {
    const result = (placements: number[]) => ({
      sessionId: "s",
      mode: "duel",
      region: "local",
      seed: 1,
      durationMs: 1,
      startedAt: 0,
      endedAt: 1,
      rated: true,
      players: placements.map((placement, i) => ({
        playerId: `p${i}`,
        username: `p${i}`,
        team: i,
        bot: false,
        placement,
      })),
    });
    assert.deepEqual([...outcomesFromPlacements(result([1, 2])).values()], ["win", "loss"]);
    assert.deepEqual([...outcomesFromPlacements(result([1, 1])).values()], ["draw", "draw"]);
    assert.deepEqual([...outcomesFromPlacements(result([1, 1, 3, 4])).values()], ["draw", "draw", "loss", "loss"]);
  });
});
