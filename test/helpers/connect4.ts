/**
 * Connect Four from a client's side, for the end-to-end suites: search, a matched duel with its clients by seat,
 * moves paced like a quick player, and waits on the synchronised state.
 */
import assert from "node:assert/strict";
import type { MatchHandle } from "@arena/sdk";
import type { Room as ClientRoom } from "@colyseus/sdk";
import type { Connect4Protocol } from "../../src/games/connect4/protocol.ts";
import { type Registered, registerPlayer, sdkFor, type TestServer } from "./server.ts";
import { type AnyState, waitForState } from "./state.ts";

export { type AnyState, waitForState };

export interface Duel {
  sessionId: string;
  /**
   * The clients by seat: [seat 1, seat 2]: the rooms of the players' SDK match handles, which do not get back in by
   * themselves (Registered.arena), so a test drops, rejoins and reads close codes on them as on raw rooms.
   */
  bySeat: [ClientRoom, ClientRoom];
  /** The players by seat. */
  players: [Registered, Registered];
}

/** The close code of the room's next leave. */
export function nextLeave(room: ClientRoom): Promise<number> {
  return new Promise((resolve) => room.onLeave((code) => resolve(code)));
}

/** The seat (1 or 2) the client plays. */
export function seatOf(room: ClientRoom): number {
  return (room.state as AnyState).players.get(room.sessionId).seat;
}

/** Pieces on the board. */
export function pieces(state: AnyState): number {
  return state.board.filter((cell: number) => cell !== 0).length;
}

/**
 * Joins `matchmaking` with `options` as `player`: the raw room, for tests of the search itself (its `seat`, refusals);
 * a test that just needs a match takes it with `player.arena.findMatch` (matchDuel).
 */
export async function search(
  server: TestServer,
  player: Registered,
  options: Record<string, unknown>,
): Promise<ClientRoom> {
  const room = await sdkFor(server, player.accessToken).joinOrCreate("matchmaking", options);
  room.onMessage("*", () => {});
  return room;
}

/** Players search Connect Four duels through the SDK (`findMatch`); resolves with their match handles once seated. */
export function findDuels(players: readonly Registered[]): Promise<MatchHandle<Connect4Protocol>[]> {
  return Promise.all(players.map((p) => p.arena.findMatch<Connect4Protocol>({ game: "connect4", mode: "duel" }).match));
}

/** Two players search a Connect Four duel (through the SDK); both take their seats and the game is active. */
export async function matchDuel(server: TestServer, given?: [Registered, Registered]): Promise<Duel> {
  const players =
    given ?? ((await Promise.all([registerPlayer(server), registerPlayer(server)])) as [Registered, Registered]);
  const handles = await findDuels(players);
  const rooms = handles.map((handle) => handle.room as ClientRoom);
  assert.equal(rooms[0]!.name, "connect4", "the seat leads into the game's room");
  assert.equal(rooms[0]!.roomId, rooms[1]!.roomId, "one match");
  await Promise.all(rooms.map((room) => waitForState(room, (s) => s.phase === "active" && s.players.size === 2)));
  const first = seatOf(rooms[0]!) === 1 ? 0 : 1;
  return {
    sessionId: rooms[0]!.roomId,
    bySeat: [rooms[first]!, rooms[1 - first]!],
    players: [players[first]!, players[1 - first]!],
  };
}

/**
 * Plays `columns` alternately, the seat to move first, each once both clients showed the previous one; paced like
 * a quick player (the room kicks a client past 10 messages a second).
 */
export async function playColumns(duel: Duel, columns: readonly number[]): Promise<void> {
  const base = pieces(duel.bySeat[0].state);
  const firstSeat = (duel.bySeat[0].state as AnyState).turn as number;
  for (const [i, column] of columns.entries()) {
    const seat = ((firstSeat - 1 + i) % 2) + 1;
    const mover = duel.bySeat[seat - 1]!;
    await waitForState(mover, (s) => pieces(s) === base + i && s.turn === seat);
    mover.send("move", { column });
    await Promise.all([
      ...duel.bySeat.map((room) => waitForState(room, (s) => pieces(s) === base + i + 1 || s.winner !== 0)),
      new Promise((resolve) => setTimeout(resolve, 110)),
    ]);
  }
}
