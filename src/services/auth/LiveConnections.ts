/**
 * Closes a player's live room connections on every process: logout, ban and token revocation publish on one
 * presence channel; each process closes the matching clients of its own rooms. With Redis presence this reaches
 * every process within a pub/sub round trip; with LocalPresence, this process.
 */
import type { Client, Presence } from "@colyseus/core";
import type { Logger } from "../../logger.ts";

export const DISCONNECT_CHANNEL = "arena:auth:disconnect";

interface DisconnectOrder {
  playerId: string;
  code: number;
  reason: string;
}

/**
 * A room whose players this registry can close: `expelPlayer` closes the player's connections with the code and
 * withdraws any reconnection seat held for it (a logged-out or banned player must not come back through one).
 */
export interface ExpellingRoom {
  readonly clients: Iterable<Client> & { some(predicate: (client: Client) => boolean): boolean };
  expelPlayer(playerId: string, code: number, reason: string): void;
}

function playerIdOf(client: Client): string | undefined {
  const auth = client.auth as { playerId?: unknown } | undefined;
  return typeof auth?.playerId === "string" ? auth.playerId : undefined;
}

export class LiveConnections {
  private readonly roomsByPlayer = new Map<string, Set<ExpellingRoom>>();
  private readonly listener = (order: DisconnectOrder) => this.closeLocal(order);

  constructor(
    private readonly presence: Presence,
    private readonly log: Logger,
  ) {}

  async start(): Promise<void> {
    await this.presence.subscribe(DISCONNECT_CHANNEL, this.listener);
  }

  async stop(): Promise<void> {
    await this.presence.unsubscribe(DISCONNECT_CHANNEL, this.listener);
  }

  /** Asks every process to close the player's connections with `code`. */
  async disconnect(playerId: string, code: number, reason: string): Promise<void> {
    await this.presence.publish(DISCONNECT_CHANNEL, { playerId, code, reason } satisfies DisconnectOrder);
  }

  track(room: ExpellingRoom, client: Client): void {
    const playerId = playerIdOf(client);
    if (playerId === undefined) return;
    let rooms = this.roomsByPlayer.get(playerId);
    if (rooms === undefined) {
      rooms = new Set();
      this.roomsByPlayer.set(playerId, rooms);
    }
    rooms.add(room);
  }

  untrack(room: ExpellingRoom, client: Client): void {
    const playerId = playerIdOf(client);
    if (playerId === undefined) return;
    const stillThere = room.clients.some((other) => other !== client && playerIdOf(other) === playerId);
    if (stillThere) return;
    const rooms = this.roomsByPlayer.get(playerId);
    rooms?.delete(room);
    if (rooms?.size === 0) this.roomsByPlayer.delete(playerId);
  }

  forgetRoom(room: ExpellingRoom): void {
    for (const [playerId, rooms] of this.roomsByPlayer) {
      rooms.delete(room);
      if (rooms.size === 0) this.roomsByPlayer.delete(playerId);
    }
  }

  /** Number of players with a live connection on this process. */
  get playerCount(): number {
    return this.roomsByPlayer.size;
  }

  private closeLocal(order: DisconnectOrder): void {
    const rooms = this.roomsByPlayer.get(order.playerId);
    if (rooms === undefined) return;
    for (const room of [...rooms]) room.expelPlayer(order.playerId, order.code, order.reason);
    this.log.info({ playerId: order.playerId, code: order.code, rooms: rooms.size }, "closed live connections");
  }
}
