import assert from "node:assert/strict";
import { rateMatch, updateRating } from "../../src/logic/glicko2.ts";

const close = (actual: number, expected: number, tolerance: number, what: string) =>
  assert.ok(Math.abs(actual - expected) <= tolerance, `${what}: ${actual} vs ${expected}`);

describe("Glicko-2", () => {
  it("reproduces the worked example of Glickman's paper", () => {
    const after = updateRating({ rating: 1500, deviation: 200, volatility: 0.06 }, [
      { opponent: { rating: 1400, deviation: 30, volatility: 0.06 }, score: 1 },
      { opponent: { rating: 1550, deviation: 100, volatility: 0.06 }, score: 0 },
      { opponent: { rating: 1700, deviation: 300, volatility: 0.06 }, score: 0 },
    ]);
    close(after.rating, 1464.06, 0.01, "rating");
    close(after.deviation, 151.52, 0.01, "deviation");
    close(after.volatility, 0.05999, 0.00001, "volatility");
  });

  it("a period without games only widens the deviation", () => {
    const after = updateRating({ rating: 1600, deviation: 50, volatility: 0.06 }, []);
    assert.equal(after.rating, 1600);
    assert.ok(after.deviation > 50);
  });

  it("duel: the winner gains what the loser loses when equal; ffa by placement; squad team vs team", () => {
    const fresh = { rating: 1500, deviation: 350, volatility: 0.06 };
    const duel = rateMatch(
      [
        { id: "w", team: 0, placement: 1, rating: fresh },
        { id: "l", team: 1, placement: 2, rating: fresh },
      ],
      false,
    );
    close(duel.get("w")!.rating - 1500, 1500 - duel.get("l")!.rating, 1e-9, "symmetric");
    assert.ok(duel.get("w")!.rating > 1500);

    const ffa = rateMatch(
      [1, 2, 3, 4].map((placement) => ({ id: `p${placement}`, team: placement, placement, rating: fresh })),
      false,
    );
    const ratings = [1, 2, 3, 4].map((p) => ffa.get(`p${p}`)!.rating);
    assert.deepEqual(
      [...ratings].sort((a, b) => b - a),
      ratings,
      "better placement, higher rating",
    );

    const squad = rateMatch(
      [
        { id: "a", team: 0, placement: 1, rating: fresh },
        { id: "b", team: 0, placement: 1, rating: { ...fresh, rating: 1700 } },
        { id: "c", team: 1, placement: 2, rating: fresh },
        { id: "d", team: 1, placement: 2, rating: fresh },
      ],
      true,
    );
    assert.ok(squad.get("a")!.rating > 1500 && squad.get("b")!.rating > 1700);
    assert.ok(squad.get("c")!.rating < 1500);
    close(squad.get("c")!.rating, squad.get("d")!.rating, 1e-9, "same team, same start, same change");
  });
});
