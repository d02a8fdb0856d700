/**
 * Match rooms (of every game) are created by the server only. The creator signs the match (game, roster, mode,
 * region, seed) with an HMAC under the server's secret; the room refuses to start without a valid signature, so a
 * client's `create("<game>", ...)` fails whatever options it sends. Works across processes: every process has the
 * secret.
 */
import { createHmac, timingSafeEqual } from "node:crypto";

export interface RosterEntry {
  playerId: string;
  username: string;
  team: number;
  bot: boolean;
  /** When the player started searching (epoch ms): kept if the match is cancelled and the player searches again. */
  queuedSince?: number;
  /**
   * The login (refresh-token family) the player searched with. Its seat carries it, so a reconnection to the match
   * is refused once that login is revoked, even if the logout's disconnect order never reached the room.
   */
  familyId?: string;
}

export interface MatchSpec {
  sessionId: string;
  /** The game's id (its room name). Specs of matches started before games were plug-ins have none: the default game. */
  game?: string;
  mode: string;
  region: string;
  seed: number;
  roster: RosterEntry[];
}

export interface MatchCreateOptions {
  match: MatchSpec;
  signature: string;
}

export class MatchSigner {
  constructor(private readonly secret: string) {}

  private mac(match: MatchSpec): Buffer {
    return createHmac("sha256", this.secret)
      .update(`arena-match:${JSON.stringify(match)}`)
      .digest();
  }

  sign(match: MatchSpec): MatchCreateOptions {
    return { match, signature: this.mac(match).toString("base64url") };
  }

  /** True when `options` carry a match signed by this server. */
  verify(options: unknown): options is MatchCreateOptions {
    if (options === null || typeof options !== "object") return false;
    const { match, signature } = options as Partial<MatchCreateOptions>;
    if (match === undefined || typeof signature !== "string") return false;
    const expected = this.mac(match);
    const given = Buffer.from(signature, "base64url");
    return given.length === expected.length && timingSafeEqual(given, expected);
  }
}
