/**
 * Game session records (the seed's Game_Sessions): one per arena, waiting → active → ended, with its server, region
 * and players, and each player's current session while it plays. Rooms report their lifecycle here; writes are
 * off the tick (the room does not wait for them) and a failed write is logged, never fatal to the match.
 */
import type { Logger } from "../../logger.ts";
import type { MatchSpec } from "../matches/MatchTicket.ts";
import type { GameSessionStore, SessionQuery, SessionRecord } from "../stores/GameSessionStore.ts";
import type { PlayerStore } from "../stores/PlayerStore.ts";

export class SessionService {
  constructor(
    private readonly sessions: GameSessionStore,
    private readonly players: PlayerStore,
    private readonly log: Logger,
  ) {}

  private async attempt(what: string, sessionId: string, work: () => Promise<unknown>): Promise<void> {
    try {
      await work();
    } catch (error) {
      this.log.warn({ err: error, sessionId }, `could not record session ${what}`);
    }
  }

  opened(spec: MatchSpec, serverId: string): Promise<void> {
    return this.attempt("creation", spec.sessionId, () =>
      this.sessions.create({
        id: spec.sessionId,
        gameType: "arena",
        mode: spec.mode,
        region: spec.region,
        serverId,
        players: spec.roster.map((entry) => ({
          playerId: entry.playerId,
          username: entry.username,
          team: entry.team,
          bot: entry.bot,
        })),
      }),
    );
  }

  joined(sessionId: string, playerId: string): Promise<void> {
    return this.attempt("join", sessionId, () => this.players.setCurrentSession([playerId], sessionId));
  }

  started(sessionId: string, at: Date): Promise<void> {
    return this.attempt("start", sessionId, () => this.sessions.markActive(sessionId, at));
  }

  /** Marks the session ended and clears the current session of its players. */
  ended(sessionId: string, playerIds: readonly string[], at: Date): Promise<void> {
    return this.attempt("end", sessionId, async () => {
      await this.sessions.markEnded(sessionId, at);
      await this.players.setCurrentSession(playerIds, null);
    });
  }

  get(id: string): Promise<SessionRecord | undefined> {
    return this.sessions.get(id);
  }

  list(query: SessionQuery): Promise<SessionRecord[]> {
    return this.sessions.list(query);
  }
}
