import assert from "node:assert/strict";
import { arena } from "../../src/games/arena/index.ts";
import type { ModeDefinition } from "../../src/services/games/GameDefinition.ts";
import {
  balanceTeams,
  DEFAULT_SCHEDULE,
  matchPool,
  poolsOf,
  ratingWindow,
  type Ticket,
} from "../../src/services/matchmaking/MatchmakerAlgorithm.ts";

const S = DEFAULT_SCHEDULE;

/** The arena's modes, as registered: the algorithm's results for them are pinned by these tests. */
function arenaMode(id: string): ModeDefinition {
  const mode = arena.modes.find((m) => m.id === id);
  assert.ok(mode, id);
  return mode;
}
const DUEL = arenaMode("duel");
const FFA = arenaMode("ffa");
const SQUAD = arenaMode("squad");

function ticket(id: string, rating: number, enqueuedAt = 0, over: Partial<Ticket> = {}): Ticket {
  return {
    playerId: id,
    username: id,
    rating,
    ratingDeviation: 100,
    game: "arena",
    region: "eu",
    mode: "duel",
    enqueuedAt,
    ...over,
  };
}

function ids(matches: ReturnType<typeof matchPool>): string[][] {
  return matches.map((m) =>
    m.teams
      .flat()
      .map((t) => t.playerId)
      .sort(),
  );
}

describe("matchmaker algorithm", () => {
  it("the window starts narrow, scales with rating deviation, widens with waiting and stops at the maximum", () => {
    const certain = ticket("a", 1500, 0, { ratingDeviation: 0 });
    const unsure = ticket("b", 1500, 0, { ratingDeviation: 350 });
    assert.equal(ratingWindow(certain, 0, S), 50);
    assert.equal(ratingWindow(unsure, 0, S), 50 + 0.25 * 350);
    assert.equal(ratingWindow(certain, 10_000, S), 50 + 250);
    assert.equal(ratingWindow(certain, 1_000_000, S), S.maxWindow);
  });

  it("widening over time: two distant players are not matched at first, and are once the older has waited", () => {
    const pool = [ticket("a", 1500, 0, { ratingDeviation: 0 }), ticket("b", 1800, 0, { ratingDeviation: 0 })];
    assert.deepEqual(matchPool(pool, DUEL, 1000, S, 0), []);
    // Window = 50 + 25 × t ≥ 300 from t = 10 s.
    assert.deepEqual(matchPool(pool, DUEL, 9_000, S, 0), []);
    assert.deepEqual(ids(matchPool(pool, DUEL, 10_000, S, 0)), [["a", "b"]]);
  });

  it("prefers the tightest spread for the oldest ticket, and serves the oldest first", () => {
    const pool = [
      ticket("old", 1500, 0),
      ticket("near", 1510, 5_000),
      ticket("far", 1560, 1_000),
      ticket("other", 1565, 6_000),
    ];
    const matches = matchPool(pool, DUEL, 6_000, S, 0);
    assert.deepEqual(ids(matches), [
      ["near", "old"],
      ["far", "other"],
    ]);
    assert.equal(matches[0]!.spread, 10);
  });

  it("oldest-first fairness: a long waiter is matched before a newer pair that fits better", () => {
    // At t=20 s "patient" (waited 20 s) accepts 1600; the newcomers fit each other better but the oldest goes first.
    const pool = [ticket("patient", 1400, 0), ticket("newA", 1600, 19_000), ticket("newB", 1601, 19_500)];
    const matches = matchPool(pool, DUEL, 20_000, { ...S, deviationFactor: 0 }, 0);
    assert.equal(matches.length, 1);
    assert.ok(matches[0]!.teams.flat().some((t) => t.playerId === "patient"));
  });

  it("never matches across regions or modes", () => {
    const tickets = [
      ticket("eu-duel", 1500, 0),
      ticket("us-duel", 1500, 0, { region: "us" }),
      ticket("eu-ffa", 1500, 0, { mode: "ffa" }),
      ticket("eu-duel-2", 1500, 0),
    ];
    const pools = poolsOf(tickets);
    assert.deepEqual([...pools.keys()].sort(), ["arena:eu:duel", "arena:eu:ffa", "arena:us:duel"]);
    const all = [...pools.values()].flatMap((pool) => matchPool(pool, arenaMode(pool[0]!.mode), 100_000, S, 0));
    assert.deepEqual(ids(all), [["eu-duel", "eu-duel-2"]]);
    for (const match of all)
      for (const t of match.teams.flat()) assert.equal(`${t.region}:${t.mode}`, `${match.region}:${match.mode}`);
  });

  it("ffa takes four; squad splits four into the two teams with the closest rating sums", () => {
    const squad = (id: string, r: number) => ticket(id, r, 0, { mode: "squad" });
    const [match] = matchPool(
      [squad("a", 1000), squad("b", 1100), squad("c", 1200), squad("d", 1300)],
      SQUAD,
      60_000,
      S,
      0,
    );
    assert.equal(match!.teams.length, 2);
    const sums = match!.teams.map((team) => team.reduce((s, t) => s + t.rating, 0));
    assert.equal(Math.abs(sums[0]! - sums[1]!), 0, "1000+1300 vs 1100+1200");
    assert.deepEqual(
      balanceTeams([squad("w", 2000), squad("x", 1000), squad("y", 1900), squad("z", 1100)], 2).map((t) =>
        t.map((p) => p.playerId).sort(),
      ),
      [
        ["w", "x"],
        ["y", "z"],
      ],
    );
    const ffa = matchPool(
      [1, 2, 3, 4, 5].map((i) => ticket(`f${i}`, 1500 + i, 0, { mode: "ffa" })),
      FFA,
      0,
      S,
      0,
    );
    assert.equal(ffa.length, 1);
    assert.equal(ffa[0]!.teams.length, 4);
  });

  it("fills with bots only after botFillSec, grouping the oldest waiters", () => {
    const pool = [ticket("lonely", 1500, 0, { mode: "ffa" }), ticket("other", 2500, 1_000, { mode: "ffa" })];
    assert.deepEqual(matchPool(pool, FFA, 9_000, S, 10), []);
    const [match] = matchPool(pool, FFA, 11_000, S, 10);
    assert.deepEqual(ids([match!]), [["other", "lonely"].sort()]);
    assert.equal(match!.bots, 2);
    assert.deepEqual(ids(matchPool(pool, FFA, 10_500, S, 10)), [["lonely"]], "only the one that waited 10 s");
    assert.deepEqual(
      matchPool(pool, FFA, 1_000_000, S, 0),
      [],
      "without bot fill two players never make a four-seat match",
    );
  });

  it("never matches across games: a connect4 and an arena searcher of one region and mode wait in two pools", () => {
    const tickets = [ticket("arena-1", 1500, 0), ticket("c4-1", 1500, 0, { game: "connect4" })];
    const pools = poolsOf(tickets);
    assert.deepEqual([...pools.keys()].sort(), ["arena:eu:duel", "connect4:eu:duel"]);
    assert.deepEqual(
      [...pools.values()].flatMap((pool) => matchPool(pool, DUEL, 100_000, S, 0)),
      [],
    );
    const more = poolsOf([...tickets, ticket("arena-2", 1900, 0), ticket("c4-2", 1100, 0, { game: "connect4" })]);
    const matches = [...more.values()].flatMap((pool) => matchPool(pool, DUEL, 100_000, S, 0));
    assert.deepEqual(ids(matches).sort(), [
      ["arena-1", "arena-2"],
      ["c4-1", "c4-2"],
    ]);
    for (const match of matches) for (const t of match.teams.flat()) assert.equal(t.game, match.game);
  });

  it("a mode of three teams of two gets the teams with the closest rating sums", () => {
    const trios: ModeDefinition = { id: "trios", players: 6, teams: 3, balanceTeams: true };
    const pool = [1000, 1100, 1200, 1300, 1400, 1500].map((r, i) => ticket(`t${i}`, r, 0, { mode: "trios" }));
    const [match] = matchPool(pool, trios, 60_000, S, 0);
    assert.ok(match);
    assert.equal(match.teams.length, 3);
    for (const team of match.teams) {
      assert.equal(team.length, 2);
      assert.equal(
        team.reduce((sum, t) => sum + t.rating, 0),
        2500,
        "1000+1500, 1100+1400, 1200+1300",
      );
    }
    assert.deepEqual(
      match.seats.map((seat) => seat.team),
      [0, 0, 1, 1, 2, 2],
      "the roster lists each team's seats together",
    );
    // Without balancing, seat i (rating order) plays in team i % 3.
    const [plain] = matchPool(pool, { ...trios, balanceTeams: false }, 60_000, S, 0);
    assert.deepEqual(
      plain!.teams.map((team) => team.map((t) => t.rating)),
      [
        [1000, 1300],
        [1100, 1400],
        [1200, 1500],
      ],
    );
  });

  it("balanceTeams finds the best split of small matches and a close greedy one of large ones", () => {
    const spread = (teams: Ticket[][]) => {
      const sums = teams.map((team) => team.reduce((sum, t) => sum + t.rating, 0));
      return Math.max(...sums) - Math.min(...sums);
    };
    // Every assignment of seats to teams, for comparison.
    const bruteForce = (group: Ticket[], teams: number): number => {
      let best = Number.POSITIVE_INFINITY;
      const size = group.length / teams;
      const assign = (i: number, split: Ticket[][]): void => {
        if (i === group.length) {
          best = Math.min(best, spread(split));
          return;
        }
        for (const team of split) {
          if (team.length === size) continue;
          team.push(group[i]!);
          assign(i + 1, split);
          team.pop();
        }
      };
      assign(
        0,
        Array.from({ length: teams }, () => []),
      );
      return best;
    };
    let seed = 7;
    const rating = () => {
      seed = (seed * 48271) % 2147483647;
      return 1000 + (seed % 1000);
    };
    for (const [players, teams] of [
      [6, 3],
      [8, 2],
      [8, 4],
      [6, 2],
    ] as const) {
      for (let round = 0; round < 20; round++) {
        const group = Array.from({ length: players }, (_, i) => ticket(`b${i}`, rating()));
        const split = balanceTeams(group, teams);
        assert.deepEqual(
          split.map((team) => team.length),
          new Array(teams).fill(players / teams),
        );
        assert.equal(spread(split), bruteForce(group, teams), `${players} players in ${teams} teams`);
      }
    }
    // Four teams of four: 2.6 million splits, so greedy; still one of each player, close sums.
    const sixteen = Array.from({ length: 16 }, (_, i) => ticket(`g${i}`, 1000 + i * 50));
    const split = balanceTeams(sixteen, 4);
    assert.deepEqual(
      split
        .flat()
        .map((t) => t.playerId)
        .sort(),
      sixteen.map((t) => t.playerId).sort(),
    );
    assert.ok(split.every((team) => team.length === 4));
    assert.ok(spread(split) <= 100, `spread ${spread(split)}`);
  });

  it("fills with bots only in modes that allow it; bots take the seats after the players, team i % teams", () => {
    const lonely = [ticket("lonely", 1500, 0)];
    assert.deepEqual(matchPool(lonely, { ...DUEL, botFill: false }, 60_000, S, 10), [], "no bot fill in this mode");
    assert.deepEqual(matchPool(lonely, { ...DUEL, botFill: undefined }, 60_000, S, 10), [], "the default is none");
    const [duel] = matchPool(lonely, DUEL, 60_000, S, 10);
    assert.equal(duel!.bots, 1);
    const squad = [ticket("s1", 1500, 0, { mode: "squad" }), ticket("s2", 1500, 1, { mode: "squad" })];
    const [match] = matchPool(squad, SQUAD, 60_000, S, 10);
    assert.deepEqual(
      match!.seats.map((seat) => [seat.ticket?.playerId ?? "bot", seat.team]),
      [
        ["s1", 0],
        ["s2", 1],
        ["bot", 0],
        ["bot", 1],
      ],
    );
  });

  it("four squad players grouped by bot fill without a bot are still split into two balanced teams", () => {
    // Too far apart for their windows at 10 s, so only bot fill groups them: all four seats are players.
    const pool = [1000, 1400, 1800, 2200].map((r, i) => ticket(`far${i}`, r, 0, { mode: "squad", ratingDeviation: 0 }));
    assert.deepEqual(matchPool(pool, SQUAD, 10_000, S, 0), []);
    const [match] = matchPool(pool, SQUAD, 10_000, S, 10);
    assert.equal(match!.bots, 0);
    assert.deepEqual(
      match!.teams.map((team) => team.map((t) => t.rating)),
      [
        [1000, 2200],
        [1400, 1800],
      ],
    );
  });

  it("is deterministic with a fixed clock, whatever the input order", () => {
    const tickets = Array.from({ length: 200 }, (_, i) =>
      ticket(`p${i}`, 1500 + ((i * 7919) % 600) - 300, (i * 37) % 5000),
    );
    const one = matchPool(tickets, DUEL, 8_000, S, 0);
    const two = matchPool([...tickets].reverse(), DUEL, 8_000, S, 0);
    assert.deepEqual(ids(one), ids(two));
    assert.ok(one.length > 50);
    const matched = one.flatMap((m) => m.teams.flat().map((t) => t.playerId));
    assert.equal(new Set(matched).size, matched.length, "nobody in two matches");
  });
});
