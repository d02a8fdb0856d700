import assert from "node:assert/strict";
import type { Room as ClientRoom } from "@colyseus/sdk";
import { arena } from "../../src/games/arena/index.ts";
import { CloseCode } from "../../src/protocol.ts";
import { ArenaRoom } from "../../src/games/arena/ArenaRoom.ts";
import { type GameDefinition, GameRegistry } from "../../src/services/games/GameDefinition.ts";
import { Matchmaker } from "../../src/services/matchmaking/Matchmaker.ts";
import { DEFAULT_SCHEDULE, poolKey } from "../../src/services/matchmaking/MatchmakerAlgorithm.ts";
import { InMemoryTicketStore } from "../../src/services/matchmaking/TicketStore.ts";
import { testLogger } from "../helpers/logger.ts";
import { bootTestServer, type Registered, registerPlayer, sdkFor, type TestServer } from "../helpers/server.ts";

function nextMessage<T = Record<string, unknown>>(room: ClientRoom, type: string, timeoutMs = 10_000): Promise<T> {
  return room.waitForMessage(type, timeoutMs) as Promise<T>;
}

/**
 * A second game for these suites: one duel mode without bot fill, played in an arena room registered under its own
 * id (any room class will do: what is tested is which room the seat leads into).
 */
const skirmish: GameDefinition = {
  id: "skirmish",
  title: "Skirmish (test)",
  room: ArenaRoom,
  messages: arena.messages,
  modes: [{ id: "duel", players: 2, teams: 2 }],
};
const TWO_GAMES = { games: new GameRegistry([arena, skirmish]), extraRooms: { skirmish: ArenaRoom } };

async function search(server: TestServer, player: Registered, options: Record<string, unknown>): Promise<ClientRoom> {
  const room = await sdkFor(server, player.accessToken).joinOrCreate("matchmaking", options);
  room.onMessage("*", () => {});
  return room;
}

for (const setup of [
  { database: "pglite", redis: false },
  { database: "postgres", redis: true },
] as const) {
  describe(`matchmaking room [${setup.database}, ${setup.redis ? "redis" : "in-process"}]`, function () {
    this.timeout(60_000);
    let server: TestServer;
    before(async () => {
      server = await bootTestServer({ ...setup, ...TWO_GAMES, env: { BOT_FILL_SEC: "0", REGIONS: "local,eu" } });
    });
    after(() => server.close());
    afterEach(() => server.colyseus.cleanup());

    it("refuses anonymous clients, bad options and unknown regions", async () => {
      await assert.rejects(
        sdkFor(server).joinOrCreate("matchmaking", { mode: "duel" }),
        (e: { code?: number }) => e.code === 401,
      );
      const p = await registerPlayer(server);
      await assert.rejects(search(server, p, { mode: "battle-royale" }), (e: { code?: number }) => e.code === 400);
      await assert.rejects(
        search(server, p, { mode: "duel", region: "mars" }),
        (e: { code?: number }) => e.code === 400,
      );
      await assert.rejects(
        search(server, p, { game: "chess", mode: "duel" }),
        (e: { code?: number; message?: string }) =>
          e.code === 400 && /game: must be one of arena, skirmish/.test(e.message ?? ""),
      );
      await assert.rejects(
        search(server, p, { game: "skirmish", mode: "ffa" }),
        (e: { code?: number; message?: string }) =>
          e.code === 400 && /skirmish has the modes duel/.test(e.message ?? ""),
        "ffa is a mode of the arena, not of this game",
      );
    });

    it("a join without game searches the default game; searchers of two games never meet", async () => {
      const [a, b, c, d] = await Promise.all([1, 2, 3, 4].map(() => registerPlayer(server)));
      const roomA = await search(server, a!, { game: "skirmish", mode: "duel" });
      const roomB = await search(server, b!, { mode: "duel" });
      const status = await nextMessage<{ queued: number }>(roomB, "status");
      assert.equal(status.queued, 1, "the arena's duel pool holds only B");
      await Promise.all(
        [roomA, roomB].map((room) =>
          assert.rejects(nextMessage(room, "seat", 1500), /timed out/, "not matched together"),
        ),
      );
      const roomC = await search(server, c!, { game: "skirmish", mode: "duel" });
      const roomD = await search(server, d!, { game: "arena", mode: "duel" });
      const seats = await Promise.all([roomA, roomB, roomC, roomD].map((room) => nextMessage(room, "seat")));
      await Promise.all([roomA, roomB, roomC, roomD].map((room) => room.leave()));
      const joined = [];
      for (const seat of seats) joined.push(await sdkFor(server).consumeSeatReservation(seat as never));
      const [inA, inB, inC, inD] = joined as [ClientRoom, ClientRoom, ClientRoom, ClientRoom];
      assert.equal(inA.roomId, inC.roomId);
      assert.equal(inA.name, "skirmish", "the seat leads into the game's room");
      assert.equal(inB.roomId, inD.roomId);
      assert.equal(inB.name, "arena", "a join without game searched the arena's duel");
      await Promise.all(joined.map((room) => room.leave()));
    });

    it("two players searching a duel each get a seat for the same arena and join it by the seat", async () => {
      const [a, b] = [await registerPlayer(server), await registerPlayer(server)];
      const roomA = await search(server, a, { mode: "duel" });
      const status = await nextMessage<{ waitedMs: number; ratingWindow: number; queued: number }>(roomA, "status");
      assert.deepEqual(Object.keys(status).sort(), ["queued", "ratingWindow", "waitedMs"]);
      assert.ok(status.ratingWindow >= 50);
      const roomB = await search(server, b, { mode: "duel" });
      const [seatA, seatB] = await Promise.all([nextMessage(roomA, "seat"), nextMessage(roomB, "seat")]);
      await Promise.all([roomA.leave(), roomB.leave()]);
      const arenaA = await sdkFor(server).consumeSeatReservation(seatA as never);
      const arenaB = await sdkFor(server).consumeSeatReservation(seatB as never);
      assert.equal(arenaA.roomId, arenaB.roomId);
      assert.equal(arenaA.name, "arena");
      const arena = server.colyseus.getRoomById(arenaA.roomId);
      assert.deepEqual(
        [...arena.clients].map((c) => (c.auth as { playerId: string }).playerId).sort(),
        [a.player.id, b.player.id].sort(),
      );
    });

    it("a seat carries the login searched with: once that login is revoked, the dropped player cannot reconnect", async () => {
      const [a, b] = [await registerPlayer(server), await registerPlayer(server)];
      const [roomA, roomB] = [await search(server, a, { mode: "duel" }), await search(server, b, { mode: "duel" })];
      const [seatA, seatB] = await Promise.all([nextMessage(roomA, "seat"), nextMessage(roomB, "seat")]);
      await Promise.all([roomA.leave(), roomB.leave()]);
      const arenas = [
        await sdkFor(server, a.accessToken).consumeSeatReservation(seatA as never),
        await sdkFor(server, b.accessToken).consumeSeatReservation(seatB as never),
      ];
      const tokens = arenas.map((arena) => arena.reconnectionToken);
      const serverRoom = server.colyseus.getRoomById(arenas[0]!.roomId);
      for (const arena of arenas) {
        arena.onMessage("*", () => {});
        arena.reconnection.enabled = false;
        const left = new Promise((resolve) => arena.onLeave(resolve));
        const client = serverRoom.clients.find((c) => c.sessionId === arena.sessionId)!;
        (client.ref as unknown as { terminate(): void }).terminate();
        await left;
      }
      // Revoked in the database only, as if the logout's disconnect order never reached this process.
      await server.services.stores.refreshTokens.revokeAllOfPlayer(a.player.id, new Date());
      await assert.rejects(sdkFor(server, a.accessToken).reconnect(tokens[0]!), /revoked/);
      const back = await sdkFor(server, b.accessToken).reconnect(tokens[1]!);
      assert.equal(back.roomId, arenas[1]!.roomId, "a login still valid reconnects");
    });

    it("status arrives at least once a second while searching", async () => {
      const p = await registerPlayer(server);
      const room = await search(server, p, { mode: "squad" });
      const times: number[] = [];
      for (let i = 0; i < 3; i++) {
        await nextMessage(room, "status", 1500);
        times.push(Date.now());
      }
      assert.ok(times[2]! - times[0]! <= 2500, `${times[2]! - times[0]!} ms for two intervals`);
    });

    it("one ticket per player; leaving cancels it, so the player can search again and is never matched", async () => {
      const p = await registerPlayer(server);
      const first = await search(server, p, { mode: "ffa" });
      await assert.rejects(search(server, p, { mode: "duel" }), (e: { code?: number }) => e.code === 409);
      await first.leave();
      // The cancelled ticket is gone: a new search in another mode is accepted.
      const again = await search(server, p, { mode: "duel", region: "eu" });
      await again.leave();
      const other = await registerPlayer(server);
      const lonely = await search(server, other, { mode: "duel", region: "eu" });
      await assert.rejects(nextMessage(lonely, "seat", 1500), /timed out/);
    });

    it("a no-show cancels the duel: the player who came is told to search again and keeps its place", async () => {
      const [a, b] = [await registerPlayer(server), await registerPlayer(server)];
      const roomA = await search(server, a, { mode: "duel" });
      const roomB = await search(server, b, { mode: "duel" });
      const [seatA] = await Promise.all([nextMessage(roomA, "seat"), nextMessage(roomB, "seat")]);
      await Promise.all([roomA.leave(), roomB.leave()]);
      const arena = await sdkFor(server).consumeSeatReservation(seatA as never);
      arena.onMessage("*", () => {});
      arena.reconnection.enabled = false;
      // b never comes: after the seat reservation time the match is off.
      const code = await new Promise<number>((resolve) => arena.onLeave((c) => resolve(c)));
      assert.equal(code, CloseCode.MatchCancelled);
      const again = await search(server, a, { mode: "duel" });
      const status = await nextMessage<{ waitedMs: number }>(again, "status");
      assert.ok(status.waitedMs >= 15_000, `waited ${status.waitedMs} ms: the earlier wait counts`);
      await again.leave();
    });

    it("a cancel racing a pass: the cancelled player is not matched and the others stay queued", async () => {
      // A store in which a cancel lands between the pass' list and its claim, as when a player leaves mid-pass.
      class CancelDuringPass extends InMemoryTicketStore {
        victim: string | undefined;
        override async claim(pool: string, ids: readonly string[], lease: string) {
          if (this.victim !== undefined) await this.cancel(this.victim);
          this.victim = undefined;
          return super.claim(pool, ids, lease);
        }
      }
      const store = new CancelDuringPass();
      const matchmaker = new Matchmaker(
        store,
        server.services.launcher,
        server.services.presence,
        server.services.stores.players,
        {
          owner: "test",
          regions: ["local"],
          schedule: DEFAULT_SCHEDULE,
          botFillSec: 0,
          ticketTtlMs: 60_000,
          leaseTtlMs: 5_000,
          games: server.services.games,
          ratingOf: async () => ({ rating: 1500, ratingDeviation: 100 }),
        },
        testLogger,
      );
      const players = await Promise.all([1, 2, 3].map(() => registerPlayer(server)));
      const now = Date.now();
      for (const [i, p] of players.entries())
        await matchmaker.enqueue({ playerId: p.player.id, mode: "duel" }, now + i);
      store.victim = players[1]!.player.id; // in the pair the oldest ticket is matched with
      const first = await matchmaker.process(now + 10);
      assert.deepEqual(first, [], "the claim failed: nobody matched with the cancelled player");
      const queued = (await store.list(poolKey("arena", "local", "duel"), now + 10)).map((t) => t.playerId).sort();
      assert.deepEqual(queued, [players[0]!.player.id, players[2]!.player.id].sort(), "the others stay queued");
      const second = await matchmaker.process(now + 20);
      assert.deepEqual(second.flatMap((m) => m.teams.flat().map((t) => t.playerId)).sort(), queued);
    });

    it("a mode's own widening schedule replaces the server's: a patient mode matches far-apart ratings at once", async () => {
      const patient: GameDefinition = {
        ...skirmish,
        modes: [{ id: "duel", players: 2, teams: 2, schedule: { baseWindow: 2_000, maxWindow: 2_000 } }],
      };
      const players = await Promise.all([1, 2, 3, 4].map(() => registerPlayer(server)));
      // Two far apart (1200 and 2400) per game: the arena's duel keeps its default window, the patient mode does not.
      const ratings = new Map(players.map((p, i) => [p.player.id, i % 2 === 0 ? 1200 : 2400]));
      const matchmaker = new Matchmaker(
        new InMemoryTicketStore(),
        server.services.launcher,
        server.services.presence,
        server.services.stores.players,
        {
          owner: "test",
          regions: ["local"],
          schedule: DEFAULT_SCHEDULE,
          botFillSec: 0,
          ticketTtlMs: 60_000,
          leaseTtlMs: 5_000,
          games: new GameRegistry([arena, patient]),
          ratingOf: async (playerId) => ({ rating: ratings.get(playerId) ?? 1500, ratingDeviation: 50 }),
        },
        testLogger,
      );
      const now = Date.now();
      const [a, b, c, d] = players as [Registered, Registered, Registered, Registered];
      const arenaTicket = await matchmaker.enqueue({ playerId: a.player.id, game: "arena", mode: "duel" }, now);
      await matchmaker.enqueue({ playerId: b.player.id, game: "arena", mode: "duel" }, now);
      const patientTicket = await matchmaker.enqueue({ playerId: c.player.id, game: "skirmish", mode: "duel" }, now);
      await matchmaker.enqueue({ playerId: d.player.id, game: "skirmish", mode: "duel" }, now);
      assert.equal((await matchmaker.status(patientTicket, now)).ratingWindow, 2_000);
      assert.ok((await matchmaker.status(arenaTicket, now)).ratingWindow < 200, "the arena keeps the server's window");
      const formed = await matchmaker.process(now + 10);
      assert.deepEqual(
        formed.map((match) => [
          match.game,
          match.teams
            .flat()
            .map((t) => t.playerId)
            .sort(),
        ]),
        [["skirmish", [c.player.id, d.player.id].sort()]],
      );
    });
  });
}

describe("matchmaking bot fill [pglite, in-process]", function () {
  this.timeout(30_000);
  let server: TestServer;
  before(async () => {
    server = await bootTestServer({ database: "pglite", redis: false, ...TWO_GAMES, env: { BOT_FILL_SEC: "1" } });
  });
  after(() => server.close());

  it("after BOT_FILL_SEC a lone searcher gets a seat in an arena filled with bots", async () => {
    const p = await registerPlayer(server);
    const room = await search(server, p, { mode: "ffa" });
    const seat = await nextMessage(room, "seat", 5000);
    await room.leave();
    const arena = await sdkFor(server).consumeSeatReservation(seat as never);
    arena.onMessage("*", () => {});
    const serverRoom = server.colyseus.getRoomById(arena.roomId);
    const players = [...(serverRoom.state as { players: Map<string, { bot: boolean }> }).players.values()];
    assert.equal(players.length, 4);
    assert.equal(players.filter((player) => player.bot).length, 3);
    await arena.leave();
  });

  it("a lone searcher of a mode without bot fill keeps searching past BOT_FILL_SEC", async () => {
    const p = await registerPlayer(server);
    const room = await search(server, p, { game: "skirmish", mode: "duel" });
    await assert.rejects(nextMessage(room, "seat", 3000), /timed out/);
    const status = await nextMessage<{ waitedMs: number }>(room, "status");
    assert.ok(status.waitedMs >= 2500, `still searching after ${status.waitedMs} ms`);
    await room.leave();
  });
});
