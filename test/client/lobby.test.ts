/**
 * The lobby's game picker (client/src/lobby.ts): only games with a view in this client are offered, modes read as
 * their seats, and the own rating comes from `ratings[<game>]` with a fallback for servers that do not send it.
 */
import assert from "node:assert/strict";
import type { Player } from "@arena/sdk";
import { FALLBACK_GAMES, modeLabel, playableGames, ratingLine } from "../../client/src/lobby.ts";

const BASE: Player = {
  id: "p1",
  username: "guest_1",
  region: "local",
  rating: 1523.4,
  ratingDeviation: 200,
  wins: 3,
  losses: 1,
  guest: true,
  currentSessionId: null,
};

describe("lobby game picker", () => {
  it("labels modes by their seats", () => {
    const [duel, ffa, squad] = FALLBACK_GAMES[0]!.modes;
    assert.equal(modeLabel(duel!), "duel (1v1)");
    assert.equal(modeLabel(ffa!), "ffa (free-for-all, 4)");
    assert.equal(modeLabel(squad!), "squad (2v2)");
    assert.equal(modeLabel({ id: "trio", players: 6, teams: 3 }), "trio (2v2v2)");
    assert.equal(modeLabel({ id: "solo", players: 1, teams: 1 }), "solo (1 player)");
  });

  it("offers the server's games that this client can show, in the server's order", () => {
    const listed = [
      { id: "arena", title: "Arena", modes: [{ id: "duel", players: 2, teams: 2 }] },
      { id: "chess", title: "Chess", modes: [{ id: "duel", players: 2, teams: 2 }] },
      { id: "connect4", title: "Connect Four", modes: [{ id: "duel", players: 2, teams: 2 }] },
      { id: "empty", title: "No modes", modes: [] },
    ];
    const views = new Set(["arena", "connect4", "empty"]);
    assert.deepEqual(
      playableGames(listed, views).map((game) => game.id),
      ["arena", "connect4"],
    );
  });

  it("shows the rating of the chosen game from ratings, with draws", () => {
    const player: Player = {
      ...BASE,
      ratings: {
        arena: { rating: 1523.4, ratingDeviation: 200, wins: 3, losses: 1, draws: 0 },
        connect4: { rating: 1611.6, ratingDeviation: 180, wins: 5, losses: 2, draws: 1 },
      },
    };
    assert.equal(ratingLine(player, "connect4", "duel", "arena"), "rating 1612 · 5 W 2 L 1 D");
    assert.equal(ratingLine(player, "arena", "squad", "arena"), "rating 1523 · 3 W 1 L 0 D");
    assert.equal(ratingLine({ ...player, ratings: {} }, "connect4", "duel", "arena"), "no rated games yet");
  });

  it("shows the rating of a mode rated on its own (key <game>:<mode>)", () => {
    const player: Player = {
      ...BASE,
      ratings: {
        arena: { rating: 1523.4, ratingDeviation: 200, wins: 3, losses: 1, draws: 0 },
        "arena:squad": { rating: 1400, ratingDeviation: 300, wins: 0, losses: 2, draws: 0 },
      },
    };
    assert.equal(ratingLine(player, "arena", "squad", "arena"), "rating 1400 · 0 W 2 L 0 D");
    assert.equal(ratingLine(player, "arena", "duel", "arena"), "rating 1523 · 3 W 1 L 0 D");
  });

  it("falls back to the top-level rating for the default game when the server sends no ratings", () => {
    assert.equal(ratingLine(BASE, "arena", "duel", "arena"), "rating 1523 · 3 W 1 L");
    assert.equal(ratingLine(BASE, "connect4", "duel", "arena"), "no rated games yet");
  });
});
