import assert from "node:assert/strict";
import {
  balanceTeams,
  DEFAULT_SCHEDULE,
  matchPool,
  type Mode,
  poolsOf,
  ratingWindow,
  type Ticket,
} from "../../src/services/matchmaking/MatchmakerAlgorithm.ts";

const S = DEFAULT_SCHEDULE;

function ticket(id: string, rating: number, enqueuedAt = 0, over: Partial<Ticket> = {}): Ticket {
  return { playerId: id, username: id, rating, ratingDeviation: 100, region: "eu", mode: "duel", enqueuedAt, ...over };
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
    assert.deepEqual(matchPool(pool, 1000, S, 0), []);
    // Window = 50 + 25 × t ≥ 300 from t = 10 s.
    assert.deepEqual(matchPool(pool, 9_000, S, 0), []);
    assert.deepEqual(ids(matchPool(pool, 10_000, S, 0)), [["a", "b"]]);
  });

  it("prefers the tightest spread for the oldest ticket, and serves the oldest first", () => {
    const pool = [
      ticket("old", 1500, 0),
      ticket("near", 1510, 5_000),
      ticket("far", 1560, 1_000),
      ticket("other", 1565, 6_000),
    ];
    const matches = matchPool(pool, 6_000, S, 0);
    assert.deepEqual(ids(matches), [
      ["near", "old"],
      ["far", "other"],
    ]);
    assert.equal(matches[0]!.spread, 10);
  });

  it("oldest-first fairness: a long waiter is matched before a newer pair that fits better", () => {
    // At t=20 s "patient" (waited 20 s) accepts 1600; the newcomers fit each other better but the oldest goes first.
    const pool = [ticket("patient", 1400, 0), ticket("newA", 1600, 19_000), ticket("newB", 1601, 19_500)];
    const matches = matchPool(pool, 20_000, { ...S, deviationFactor: 0 }, 0);
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
    assert.deepEqual([...pools.keys()].sort(), ["eu:duel", "eu:ffa", "us:duel"]);
    const all = [...pools.values()].flatMap((pool) => matchPool(pool, 100_000, S, 0));
    assert.deepEqual(ids(all), [["eu-duel", "eu-duel-2"]]);
    for (const match of all)
      for (const t of match.teams.flat()) assert.equal(`${t.region}:${t.mode}`, `${match.region}:${match.mode}`);
  });

  it("ffa takes four; squad splits four into the two teams with the closest rating sums", () => {
    const squad = (id: string, r: number) => ticket(id, r, 0, { mode: "squad" as Mode });
    const [match] = matchPool([squad("a", 1000), squad("b", 1100), squad("c", 1200), squad("d", 1300)], 60_000, S, 0);
    assert.equal(match!.teams.length, 2);
    const sums = match!.teams.map((team) => team.reduce((s, t) => s + t.rating, 0));
    assert.equal(Math.abs(sums[0]! - sums[1]!), 0, "1000+1300 vs 1100+1200");
    assert.deepEqual(
      balanceTeams([squad("w", 2000), squad("x", 1000), squad("y", 1900), squad("z", 1100)]).map((t) =>
        t.map((p) => p.playerId).sort(),
      ),
      [
        ["w", "x"],
        ["y", "z"],
      ],
    );
    const ffa = matchPool(
      [1, 2, 3, 4, 5].map((i) => ticket(`f${i}`, 1500 + i, 0, { mode: "ffa" })),
      0,
      S,
      0,
    );
    assert.equal(ffa.length, 1);
    assert.equal(ffa[0]!.teams.length, 4);
  });

  it("fills with bots only after botFillSec, grouping the oldest waiters", () => {
    const pool = [ticket("lonely", 1500, 0, { mode: "ffa" }), ticket("other", 2500, 1_000, { mode: "ffa" })];
    assert.deepEqual(matchPool(pool, 9_000, S, 10), []);
    const [match] = matchPool(pool, 11_000, S, 10);
    assert.deepEqual(ids([match!]), [["other", "lonely"].sort()]);
    assert.equal(match!.bots, 2);
    assert.deepEqual(ids(matchPool(pool, 10_500, S, 10)), [["lonely"]], "only the one that waited 10 s");
    assert.deepEqual(matchPool(pool, 1_000_000, S, 0), [], "without bot fill two players never make a four-seat match");
  });

  it("is deterministic with a fixed clock, whatever the input order", () => {
    const tickets = Array.from({ length: 200 }, (_, i) =>
      ticket(`p${i}`, 1500 + ((i * 7919) % 600) - 300, (i * 37) % 5000),
    );
    const one = matchPool(tickets, 8_000, S, 0);
    const two = matchPool([...tickets].reverse(), 8_000, S, 0);
    assert.deepEqual(ids(one), ids(two));
    assert.ok(one.length > 50);
    const matched = one.flatMap((m) => m.teams.flat().map((t) => t.playerId));
    assert.equal(new Set(matched).size, matched.length, "nobody in two matches");
  });
});
