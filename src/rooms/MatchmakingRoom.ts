/**
 * The `matchmaking` room: a player joins with `{game?, mode, region?}` (`game` defaults to the default game) and waits. Joining queues its ticket (one per
 * player), leaving cancels it. The room reports `status` every second and forwards the `seat` the matchmaker
 * publishes for the player, from whichever process formed the match. Tickets are kept alive by this room's
 * heartbeat: if this process dies, they expire.
 */
import { type Client, ServerError } from "@colyseus/core";
import { MatchmakingJoinOptions, RoomErrorCode, ServerMessage } from "../protocol.ts";
import {
  AlreadyQueuedError,
  type SeatDelivery,
  searchedFor,
  seatChannel,
  UnknownRegionError,
  UnknownSearchError,
} from "../services/matchmaking/Matchmaker.ts";
import type { Ticket } from "../services/matchmaking/MatchmakerAlgorithm.ts";
import { AppError } from "../errors.ts";
import { ErrorCode } from "../protocol.ts";
import { BaseRoom, invalidOptions, type PlayerAuth, type RoomContext } from "./BaseRoom.ts";

const STATUS_INTERVAL_MS = 1000;

export class MatchmakingRoom extends BaseRoom<{ client: Client<{ auth: PlayerAuth }> }> {
  /**
   * Refuses, at the HTTP matchmaking step, a game that is not registered, a mode its game does not have, or a
   * region outside REGIONS.
   */
  static checkJoinOptions(options: unknown, context: RoomContext): void {
    const parsed = MatchmakingJoinOptions.safeParse(options ?? {});
    if (!parsed.success) throw invalidOptions(parsed.error);
    try {
      searchedFor(context.games, parsed.data);
    } catch (error) {
      if (!(error instanceof UnknownSearchError)) throw error;
      throw new AppError(ErrorCode.InvalidInput, error.message, { field: error.field });
    }
    const { region } = parsed.data;
    if (region !== undefined && !context.regions.includes(region)) {
      throw new AppError(ErrorCode.InvalidInput, `region: must be one of ${context.regions.join(", ")}`, {
        field: "region",
      });
    }
  }

  /** Tickets of this room's clients still searching, by sessionId. */
  private readonly searching = new Map<string, Ticket>();

  override onCreate(): void {
    this.maxClients = 500;
    this.clock.setInterval(() => void this.report(), STATUS_INTERVAL_MS);
  }

  override async onJoin(client: Client<{ auth: PlayerAuth }>, options: unknown): Promise<void> {
    const parsed = MatchmakingJoinOptions.safeParse(options ?? {});
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      throw new ServerError(400, `${issue?.path.join(".") || "options"}: ${issue?.message ?? "invalid"}`);
    }
    const playerId = client.auth?.playerId;
    if (playerId === undefined) throw new ServerError(401, "access token required");
    const { matchmaker } = this.context.matchmaking;
    // Listen before queueing, so a match formed at once still reaches this client.
    const onSeat = (delivery: SeatDelivery) => {
      if ("refused" in delivery) {
        // Its match could not start (the region is full): the player is told and keeps searching.
        this.sendError(client, RoomErrorCode.RegionFull, delivery.refused.message);
        return;
      }
      this.searching.delete(client.sessionId);
      client.send(ServerMessage.Seat, delivery.seat);
    };
    await this.presence.subscribe(seatChannel(playerId), onSeat);
    try {
      const ticket = await matchmaker.enqueue(
        {
          playerId,
          game: parsed.data.game,
          mode: parsed.data.mode,
          region: parsed.data.region,
          familyId: client.auth?.familyId,
        },
        Date.now(),
      );
      this.searching.set(client.sessionId, ticket);
      client.send(ServerMessage.Status, await matchmaker.status(ticket, Date.now()));
    } catch (error) {
      await this.presence.unsubscribe(seatChannel(playerId), onSeat);
      if (error instanceof AlreadyQueuedError) throw new ServerError(409, error.message);
      if (error instanceof UnknownRegionError || error instanceof UnknownSearchError) {
        throw new ServerError(400, error.message);
      }
      throw error;
    }
  }

  override async onLeave(client: Client<{ auth: PlayerAuth }>): Promise<void> {
    this.forgetClient(client);
    const stillSearching = this.searching.delete(client.sessionId);
    const playerId = client.auth?.playerId;
    if (playerId === undefined) return;
    if (stillSearching) await this.context.matchmaking.matchmaker.cancel(playerId);
    await this.presence.unsubscribe(seatChannel(playerId));
  }

  /** Status to every searching client, and the heartbeat that keeps their tickets alive. */
  private async report(): Promise<void> {
    const { matchmaker } = this.context.matchmaking;
    const now = Date.now();
    await matchmaker.heartbeat([...this.searching.values()], now);
    for (const client of this.clients) {
      const ticket = this.searching.get(client.sessionId);
      if (ticket !== undefined) client.send(ServerMessage.Status, await matchmaker.status(ticket, now));
    }
  }
}
