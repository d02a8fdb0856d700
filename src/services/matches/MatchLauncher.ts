/**
 * Starts matches of any registered game: signs the match (its game, mode, region, seed and roster), has Colyseus
 * create the room registered under the game's id (on whichever process its matchmaker picks), and reserves one seat
 * per human player. The seat reservations go to the players (through the matchmaking room); the room accepts nobody
 * else.
 */
import { randomInt } from "node:crypto";
import { matchMaker } from "@colyseus/core";
import type { GameRegistry } from "../games/GameDefinition.ts";
import { newId } from "../ids.ts";
import type { MatchSigner, MatchSpec, RosterEntry } from "./MatchTicket.ts";

export type SeatReservation = Awaited<ReturnType<typeof matchMaker.reserveSeatFor>>;

export interface LaunchedMatch {
  sessionId: string;
  /** Seat reservation per human playerId, for `client.consumeSeatReservation(seat)`. */
  seats: Map<string, SeatReservation>;
}

export class MatchLauncher {
  constructor(
    private readonly signer: MatchSigner,
    private readonly games: GameRegistry,
  ) {}

  /**
   * `game`: the game's id (default: the default game). `placeOn`: a process id to create the room on when it is
   * live (operations and tests); else placement decides.
   * @throws GameDefinitionError for a game that is not registered
   */
  async launch(match: {
    game?: string;
    mode: MatchSpec["mode"];
    region: string;
    roster: RosterEntry[];
    seed?: number;
    placeOn?: string;
  }): Promise<LaunchedMatch> {
    const game = match.game === undefined ? this.games.defaultGame : this.games.require(match.game);
    const spec: MatchSpec = {
      sessionId: newId(),
      game: game.id,
      mode: match.mode,
      region: match.region,
      seed: match.seed ?? randomInt(0, 2 ** 31),
      roster: match.roster,
    };
    const options = { ...this.signer.sign(spec), ...(match.placeOn === undefined ? {} : { placeOn: match.placeOn }) };
    const room = await matchMaker.createRoom(game.id, options);
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
