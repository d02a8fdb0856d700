/**
 * Results and ratings per game, on real PostgreSQL and PGlite: the store takes everything from the game registry —
 * the rating key (the game's, or the mode's when rated separately), outcomes (a tie is a draw), team rating, the
 * boards written — and keeps the default game's rating in the account's columns. The registry here is the real arena
 * (the default game) plus two test games whose rooms are never started (a plain class stands in for the room).
 */
import assert from "node:assert/strict";
import { arena } from "../../src/games/arena/index.ts";
import { PlayerViews } from "../../src/http/views.ts";
import { rateMatch } from "../../src/logic/glicko2.ts";
import type { Database } from "../../src/services/db/Database.ts";
import { type GameDefinition, GameRegistry } from "../../src/services/games/GameDefinition.ts";
import { boardDefinitions, LeaderboardService } from "../../src/services/leaderboards/LeaderboardService.ts";
import { SqlLeaderboardStore } from "../../src/services/leaderboards/LeaderboardStore.ts";
import { InMemoryRankIndex } from "../../src/services/leaderboards/RankIndex.ts";
import type { MatchResult, MatchResultPlayer } from "../../src/services/matches/MatchResults.ts";
import { MatchResultStore } from "../../src/services/results/MatchResultStore.ts";
import { SqlPlayerStore } from "../../src/services/stores/PlayerStore.ts";
import { SqlRatingStore, STARTING_RATING } from "../../src/services/stores/RatingStore.ts";
import { forEachDatabase } from "../helpers/databases.ts";
import { testLogger } from "../helpers/logger.ts";

/** Stands in for a game room: registered in the registry, never started by these tests. */
class UnusedRoom {}

/** A turn-based duel game with one declared board, scored only in its `classic` mode. */
const duelGame: GameDefinition = {
  id: "tiles",
  title: "Tiles",
  room: UnusedRoom,
  modes: [
    { id: "classic", players: 2, teams: 2 },
    { id: "blitz", players: 2, teams: 2, ratedSeparately: true },
  ],
  boards: [
    {
      id: "moves:classic",
      title: "Fewest moves (classic)",
      order: "asc",
      operator: "best",
      modes: ["classic"],
      score: (player) => (typeof player.moves === "number" ? player.moves : undefined),
    },
    {
      id: "moves:blitz",
      title: "Fewest moves (blitz)",
      order: "asc",
      operator: "best",
      modes: ["blitz"],
      score: (player) => (typeof player.moves === "number" ? player.moves : undefined),
    },
  ],
};

/** A second game, never played here: the player view still lists its rating. */
const unplayed: GameDefinition = {
  id: "quiet",
  title: "Quiet",
  room: UnusedRoom,
  modes: [{ id: "solo", players: 2, teams: 2 }],
};

const games = new GameRegistry([arena, duelGame, unplayed]);

let sessions = 0;

interface Seat {
  id: string;
  team: number;
  placement: number;
  stats?: Record<string, number>;
}

function result(game: string | undefined, mode: string, seats: Seat[], over: Partial<MatchResult> = {}): MatchResult {
  sessions += 1;
  const now = Date.now();
  return {
    sessionId: `games-${process.pid}-${sessions}`,
    ...(game === undefined ? {} : { game }),
    mode,
    region: "local",
    seed: 1,
    durationMs: 60_000,
    startedAt: now - 60_000,
    endedAt: now,
    rated: true,
    players: seats.map(
      (seat): MatchResultPlayer => ({
        playerId: seat.id,
        username: seat.id,
        team: seat.team,
        bot: false,
        placement: seat.placement,
        ...seat.stats,
      }),
    ),
    ...over,
  };
}

/** A duel between a and b: a wins unless `tie`. */
function duel(
  game: string | undefined,
  mode: string,
  a: string,
  b: string,
  tie = false,
  stats: Array<Record<string, number>> = [],
) {
  return result(game, mode, [
    { id: a, team: 0, placement: 1, stats: stats[0] ?? {} },
    { id: b, team: 1, placement: tie ? 1 : 2, stats: stats[1] ?? {} },
  ]);
}

forEachDatabase("results and ratings per game", (db: () => Database) => {
  let store: MatchResultStore;
  let players: SqlPlayerStore;
  let ratings: SqlRatingStore;
  let created = 0;

  before(async () => {
    const leaderboards = new LeaderboardService(new SqlLeaderboardStore(db()), new InMemoryRankIndex(), testLogger);
    await leaderboards.init(boardDefinitions(games));
    ratings = new SqlRatingStore(db(), games.defaultGame.id);
    store = new MatchResultStore(db(), leaderboards, games, ratings);
    players = new SqlPlayerStore(db());
  });

  const newPlayers = async (n: number) =>
    Promise.all(
      Array.from({ length: n }, async () => {
        created += 1;
        return (await players.create({ username: `gamer_${created}`, region: "local" })).id;
      }),
    );

  /** The boards the player has an entry on. */
  const boardsOf = async (playerId: string) =>
    (
      await db().query<{ board_id: string }>(
        "SELECT board_id FROM leaderboard_entries WHERE player_id = $1 ORDER BY board_id",
        [playerId],
      )
    ).map((row) => row.board_id);

  const counts = async (playerId: string) => {
    const [row] = await db().query<{ wins: number; losses: number; draws: number }>(
      "SELECT wins, losses, draws FROM players WHERE id = $1",
      [playerId],
    );
    return row;
  };

  it("a tied duel is a draw for both: draws counted, no win, no loss", async () => {
    const [a, b] = (await newPlayers(2)) as [string, string];
    const outcome = await store.record(
      duel("arena", "duel", a, b, true, [
        { kills: 3, deaths: 3 },
        { kills: 3, deaths: 3 },
      ]),
    );
    assert.equal(outcome.recorded, true);
    for (const id of [a, b]) {
      const player = await players.findById(id);
      assert.equal(player?.wins, 0, "a tie is not a win");
      assert.equal(player?.losses, 0);
      assert.deepEqual(await counts(id), { wins: 0, losses: 0, draws: 1 });
    }
    // Equal ratings drawn: nobody gains or loses rating.
    for (const change of outcome.changes) assert.ok(Math.abs(change.ratingAfter - 1500) < 1e-9);

    const [c, d] = (await newPlayers(2)) as [string, string];
    await store.record(duel("tiles", "classic", c, d, true));
    for (const id of [c, d]) {
      const tiles = (await ratings.ratingsOf(id)).get("tiles");
      assert.deepEqual([tiles?.wins, tiles?.losses, tiles?.draws], [0, 0, 1], "a draw under the game's key too");
    }
  });

  it("a second game's result rates under its own key, writes rating:<game> only, and leaves the account's rating", async () => {
    const [a, b] = (await newPlayers(2)) as [string, string];
    const match = duel("tiles", "classic", a, b);
    const outcome = await store.record(match);
    assert.equal(outcome.recorded, true);
    const winner = outcome.changes.find((c) => c.playerId === a)!;
    assert.equal(winner.ratingBefore, 1500);
    assert.ok(winner.ratingAfter > 1500);

    const account = await players.findById(a);
    assert.deepEqual(
      [account?.rating, account?.ratingDeviation, account?.wins, account?.losses],
      [1500, 350, 0, 0],
      "the top-level (default game's) rating is untouched",
    );
    const tiles = (await ratings.ratingsOf(a)).get("tiles");
    assert.equal(tiles?.rating, winner.ratingAfter);
    assert.deepEqual([tiles?.wins, tiles?.losses, tiles?.draws], [1, 0, 0]);
    assert.deepEqual([(await ratings.ratingsOf(b)).get("tiles")?.losses], [1]);
    assert.equal((await ratings.ratingOf(a, "tiles")).rating, winner.ratingAfter, "what the matchmaker searches by");
    assert.deepEqual(await boardsOf(a), ["rating:tiles"], "neither `rating` nor `rating:arena`");

    const [session] = await db().query<{ game_type: string }>("SELECT game_type FROM game_sessions WHERE id = $1", [
      match.sessionId,
    ]);
    assert.equal(session?.game_type, "tiles");
  });

  it("a mode rated separately has a key of its own (<game>:<mode>) and its board; the game's key is untouched", async () => {
    const [a, b] = (await newPlayers(2)) as [string, string];
    const outcome = await store.record(duel("tiles", "blitz", a, b, false, [{ moves: 12 }, { moves: 15 }]));
    const after = outcome.changes.find((c) => c.playerId === a)!.ratingAfter;
    const mine = await ratings.ratingsOf(a);
    assert.equal(mine.get("tiles:blitz")?.rating, after);
    assert.equal(mine.get("tiles:blitz")?.wins, 1);
    assert.equal(mine.has("tiles"), false, "the game's own key was not rated");
    assert.deepEqual(await boardsOf(a), ["moves:blitz", "rating:tiles:blitz"]);
  });

  it("the arena's boards are still written (rating, rating:arena, kills of its mode); a board of another mode is not", async () => {
    const [a, b] = (await newPlayers(2)) as [string, string];
    const outcome = await store.record(
      duel("arena", "duel", a, b, false, [
        { kills: 5, deaths: 1 },
        { kills: 1, deaths: 5 },
      ]),
    );
    const after = outcome.changes.find((c) => c.playerId === a)!.ratingAfter;
    assert.equal((await players.findById(a))?.rating, after, "the default game's rating is the account's");
    assert.equal((await players.findById(a))?.wins, 1);
    assert.deepEqual(await boardsOf(a), ["kills:duel", "rating", "rating:arena"]);
    assert.deepEqual(
      (
        await db().query<{ board_id: string; score: number }>(
          "SELECT board_id, score FROM leaderboard_entries WHERE player_id = $1 ORDER BY board_id",
          [a],
        )
      ).map((row) => [row.board_id, row.score]),
      [
        ["kills:duel", 5],
        ["rating", after],
        ["rating:arena", after],
      ],
    );
    assert.equal((await ratings.ratingsOf(a)).get("arena")?.rating, after);

    // The tiles board declared for `classic` only: a classic result writes it; nothing writes moves:blitz from classic.
    const [c, d] = (await newPlayers(2)) as [string, string];
    await store.record(duel("tiles", "classic", c, d, false, [{ moves: 20 }, { moves: 30 }]));
    assert.deepEqual(await boardsOf(c), ["moves:classic", "rating:tiles"]);
    // A player whose score function gives nothing (no `moves` figure) gets no entry on the declared board.
    const [e, f] = (await newPlayers(2)) as [string, string];
    await store.record(duel("tiles", "classic", e, f, false, [{}, { moves: 9 }]));
    assert.deepEqual(await boardsOf(e), ["rating:tiles"]);
    assert.deepEqual(await boardsOf(f), ["moves:classic", "rating:tiles"]);
  });

  it("a team mode (fewer teams than seats) rates team against team, as the squad always did", async () => {
    const ids = (await newPlayers(4)) as [string, string, string, string];
    const seats = ids.map((id, i) => ({
      id,
      team: i % 2,
      placement: i % 2 === 0 ? 1 : 2,
      stats: { kills: 1, deaths: 1 },
    }));
    const outcome = await store.record(result("arena", "squad", seats));
    const expected = rateMatch(
      seats.map((s) => ({
        id: s.id,
        team: s.team,
        placement: s.placement,
        rating: { rating: 1500, deviation: 350, volatility: 0.06 },
      })),
      true,
    );
    for (const change of outcome.changes) assert.equal(change.ratingAfter, expected.get(change.playerId)?.rating);
  });

  it("a result journaled before games were plug-ins (no game) is the default game's", async () => {
    const [a, b] = (await newPlayers(2)) as [string, string];
    const old = duel(undefined, "duel", a, b, false, [
      { kills: 2, deaths: 0 },
      { kills: 0, deaths: 2 },
    ]);
    const outcome = await store.record(old);
    assert.equal(outcome.recorded, true);
    assert.equal((await players.findById(a))?.wins, 1);
    const [session] = await db().query<{ game_type: string }>("SELECT game_type FROM game_sessions WHERE id = $1", [
      old.sessionId,
    ]);
    assert.equal(session?.game_type, "arena");
    // Delivered again with its game named, it is the same result: a duplicate, not a conflict.
    const again = await store.record({ ...old, game: "arena" });
    assert.deepEqual([again.recorded, again.refused], [false, undefined]);
  });

  it("a result of an unregistered game or mode is refused (unregistered) and nothing of it is stored", async () => {
    const [a, b] = (await newPlayers(2)) as [string, string];
    for (const unknown of [duel("chess", "duel", a, b), duel("tiles", "marathon", a, b)]) {
      const outcome = await store.record(unknown);
      assert.deepEqual(outcome, { recorded: false, refused: "unregistered", changes: [], ranks: [] });
      assert.deepEqual(await db().query("SELECT 1 FROM match_results WHERE session_id = $1", [unknown.sessionId]), []);
      assert.deepEqual(await db().query("SELECT 1 FROM game_sessions WHERE id = $1", [unknown.sessionId]), []);
    }
    assert.deepEqual(await counts(a), { wins: 0, losses: 0, draws: 0 });
    assert.equal((await ratings.ratingsOf(a)).size, 1, "only the account's own (default game) rating");
  });

  it("a second delivery differing in any game figure (not only kills and deaths) is a conflict", async () => {
    const [a, b] = (await newPlayers(2)) as [string, string];
    const first = duel("tiles", "classic", a, b, false, [{ moves: 20 }, { moves: 30 }]);
    await store.record(first);
    const phantom = { ...first, players: first.players.map((p) => ({ ...p, moves: 25 })) };
    assert.equal((await store.record(phantom)).refused, "conflict");
    const renamed = { ...first, players: first.players.map((p) => ({ ...p, username: `${p.username}_renamed` })) };
    assert.equal((await store.record(renamed)).refused, undefined, "a username is not what happened");
  });

  it("an unrated (bot) match of a second game changes no rating and writes no board", async () => {
    const [a, b] = (await newPlayers(2)) as [string, string];
    const outcome = await store.record({ ...duel("tiles", "classic", a, b), rated: false });
    assert.equal(outcome.recorded, true);
    assert.deepEqual(
      outcome.changes.map((c) => [c.ratingBefore, c.ratingAfter]),
      [
        [1500, 1500],
        [1500, 1500],
      ],
    );
    assert.deepEqual(outcome.ranks, []);
    assert.equal((await ratings.ratingsOf(a)).has("tiles"), false);
  });

  it("results of different games sharing players, recorded at once, all count (players locked in id order)", async () => {
    const [a, b, c] = (await newPlayers(3)) as [string, string, string];
    const results = [
      duel("tiles", "classic", a, b),
      duel("arena", "duel", b, c),
      duel("tiles", "classic", c, a),
      duel("arena", "duel", a, c),
    ];
    const outcomes = await Promise.all(results.map((r) => store.record(r)));
    assert.ok(outcomes.every((o) => o.recorded));
    const tiles = (id: string) => ratings.ratingsOf(id).then((m) => m.get("tiles"));
    assert.deepEqual([(await tiles(a))?.wins, (await tiles(a))?.losses], [1, 1]);
    assert.deepEqual(await counts(c), { wins: 0, losses: 2, draws: 0 });
  });

  it("the player view lists every rating key of every game, the starting rating where the player has none", async () => {
    const [a, b] = (await newPlayers(2)) as [string, string];
    await store.record(duel("tiles", "classic", a, b, true));
    await store.record(
      duel("arena", "duel", a, b, false, [
        { kills: 1, deaths: 0 },
        { kills: 0, deaths: 1 },
      ]),
    );
    const record = (await players.findById(a))!;
    const view = await new PlayerViews(ratings, games).player(record);
    assert.deepEqual(Object.keys(view.ratings).sort(), ["arena", "quiet", "tiles", "tiles:blitz"]);
    assert.deepEqual(view.ratings.arena, {
      rating: record.rating,
      ratingDeviation: record.ratingDeviation,
      wins: 1,
      losses: 0,
      draws: 0,
    });
    assert.deepEqual([view.rating, view.wins, view.losses], [record.rating, 1, 0], "top-level: the default game's");
    assert.equal(view.ratings.tiles?.draws, 1);
    const start = { rating: 1500, ratingDeviation: 350, wins: 0, losses: 0, draws: 0 };
    assert.deepEqual(view.ratings.quiet, start);
    assert.deepEqual(view.ratings["tiles:blitz"], start);
    const profile = await new PlayerViews(ratings, games).publicProfile(record);
    assert.equal("currentSessionId" in profile, false);
    assert.deepEqual(profile.ratings, view.ratings);
    assert.deepEqual(await ratings.ratingOf("nobody", "tiles"), STARTING_RATING);
  });
});
