/**
 * Starts arena matches: signs the match, has Colyseus create the `arena` room (on whichever process its
 * matchmaker picks), and reserves one seat per human player. The seat reservations go to the players (through
 * the matchmaking room); the room accepts nobody else.
 */
import { randomInt } from "node:crypto";
import { matchMaker } from "@colyseus/core";
import { RoomName } from "../../protocol.ts";
import { newId } from "../ids.ts";
import type { MatchSigner, MatchSpec, RosterEntry } from "./MatchTicket.ts";

export type SeatReservation = Awaited<ReturnType<typeof matchMaker.reserveSeatFor>>;

export interface LaunchedMatch {
  sessionId: string;
  /** Seat reservation per human playerId, for `client.consumeSeatReservation(seat)`. */
  seats: Map<string, SeatReservation>;
}

export class ArenaLauncher {
  constructor(private readonly signer: MatchSigner) {}

  /** `placeOn`: a process id to create the arena on when it is live (operations and tests); else placement decides. */
  async launch(match: {
    mode: MatchSpec["mode"];
    region: string;
    roster: RosterEntry[];
    seed?: number;
    placeOn?: string;
  }): Promise<LaunchedMatch> {
    const spec: MatchSpec = {
      sessionId: newId(),
      mode: match.mode,
      region: match.region,
      seed: match.seed ?? randomInt(0, 2 ** 31),
      roster: match.roster,
    };
    const options = { ...this.signer.sign(spec), ...(match.placeOn === undefined ? {} : { placeOn: match.placeOn }) };
    const room = await matchMaker.createRoom(RoomName.Arena, options);
    const seats = new Map<string, SeatReservation>();
    for (const entry of spec.roster) {
      if (entry.bot) continue;
      seats.set(
        entry.playerId,
        await matchMaker.reserveSeatFor(
          room,
          {},
          {
            playerId: entry.playerId,
            username: entry.username,
            ...(entry.familyId === undefined ? {} : { familyId: entry.familyId }),
          },
        ),
      );
    }
    return { sessionId: room.roomId, seats };
  }
}
