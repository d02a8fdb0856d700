/**
 * Connect Four from a client's side, for the end-to-end suites: search, a matched duel with its clients by seat,
 * moves paced like a quick player, and waits on the synchronised state.
 */
import assert from "node:assert/strict";
import type { Room as ClientRoom } from "@colyseus/sdk";
import { type Registered, registerPlayer, sdkFor, type TestServer } from "./server.ts";
import { type AnyState, waitForState } from "./state.ts";

export { type AnyState, waitForState };

export interface Duel {
  sessionId: string;
  /** The clients by seat: [seat 1, seat 2]. */
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

/** Joins `matchmaking` with `options` as `player`. */
export async function search(
  server: TestServer,
  player: Registered,
  options: Record<string, unknown>,
): Promise<ClientRoom> {
  const room = await sdkFor(server, player.accessToken).joinOrCreate("matchmaking", options);
  room.onMessage("*", () => {});
  return room;
}

/** Two players search a Connect Four duel; both take their seats and the game is active. */
export async function matchDuel(server: TestServer, given?: [Registered, Registered]): Promise<Duel> {
  const players =
    given ?? ((await Promise.all([registerPlayer(server), registerPlayer(server)])) as [Registered, Registered]);
  const options = { game: "connect4", mode: "duel" };
  const searching = await Promise.all(players.map((p) => search(server, p, options)));
  const seats = await Promise.all(searching.map((room) => room.waitForMessage("seat", 15_000)));
  const rooms = await Promise.all(
    seats.map((seat, i) => sdkFor(server, players[i]!.accessToken).consumeSeatReservation(seat as never)),
  );
  for (const room of rooms) room.onMessage("*", () => {});
  assert.equal(rooms[0]!.name, "connect4", "the seat leads into the game's room");
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
