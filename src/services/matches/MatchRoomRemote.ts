/**
 * The methods of a match room (src/rooms/MatchRoom.ts) that services call on whichever process runs the match,
 * through Colyseus' `remoteRoomCall`: typed here once, so a renamed method is a compile error, not a runtime 404.
 */
import { matchMaker } from "@colyseus/core";
import type { PlayerAuth } from "../../rooms/BaseRoom.ts";

/** A match room's methods other processes call. */
export interface MatchRoomRemote {
  rollback(version: number): Promise<{ version: number; tick: number }>;
  reserveRejoinSeat(player: PlayerAuth): Promise<string | false>;
}

/** Calls a {@link MatchRoomRemote} method of the match `sessionId` on whichever process runs it. */
export async function callMatchRoom<K extends keyof MatchRoomRemote>(
  sessionId: string,
  method: K,
  args: Parameters<MatchRoomRemote[K]>,
): Promise<Awaited<ReturnType<MatchRoomRemote[K]>>> {
  return (await matchMaker.remoteRoomCall(sessionId, method, args)) as Awaited<ReturnType<MatchRoomRemote[K]>>;
}
