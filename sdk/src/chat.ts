/** Lobby chat: a `chat` room channel that joins again by itself after a restart or a lost connection. */
import type { Room } from "@colyseus/sdk";
import { asApiError } from "./errors.ts";
import { Emitter } from "./events.ts";
import type { MatchContext } from "./match.ts";
import type { LobbyChatLine, RoomError } from "./types.ts";
import { CloseCode, FrameworkClientMessage, FrameworkRoom, ServerMessage } from "./wire.ts";

export interface LobbyChatEvents {
  /** The last 50 lines, on every (re)join. */
  history: { messages: LobbyChatLine[] };
  message: LobbyChatLine;
  /** A refused line (`FLOOD`, `SPAM`, `MUTED`, `INVALID_MESSAGE`, …). */
  error: RoomError;
  /** Joined (again). */
  connected: { room: Room };
  /** The channel closed; `retrying` when it joins again by itself. */
  disconnected: { code: number; retrying: boolean };
}

/** Closes after which the chat does not join again: asked for, logged out, banned. */
const FINAL = new Set<number>([CloseCode.NormalLeave, CloseCode.TokenRevoked, CloseCode.Banned]);

export class LobbyChat extends Emitter<LobbyChatEvents> {
  /** Resolves on the first join; rejects when it is refused for good (401, 403, a bad channel). */
  readonly connected: Promise<void>;
  private current: Room | undefined;
  private closed = false;
  private attempt = 0;
  private retry: ReturnType<typeof setTimeout> | undefined;
  private first: { resolve: () => void; reject: (error: Error) => void } | undefined;

  constructor(
    private readonly context: MatchContext,
    readonly channel: string,
  ) {
    super();
    this.connected = new Promise<void>((resolve, reject) => {
      this.first = { resolve, reject };
    });
    this.connected.catch(() => undefined);
    void this.join();
  }

  /** The Colyseus room of the channel now (its `roomId` names the shard), undefined while not connected. */
  get room(): Room | undefined {
    return this.current;
  }

  /** Whether the channel is joined now. */
  get isConnected(): boolean {
    return this.current !== undefined;
  }

  /** Sends a line (1–280 characters); dropped while not connected. */
  send(text: string): boolean {
    if (this.current === undefined) return false;
    this.current.send(FrameworkClientMessage.Message, { text });
    return true;
  }

  /** Leaves the channel for good. */
  async leave(): Promise<void> {
    this.closed = true;
    clearTimeout(this.retry);
    const room = this.current;
    this.current = undefined;
    await room?.leave().catch(() => undefined);
  }

  private async join(): Promise<void> {
    if (this.closed) return;
    let room: Room;
    try {
      room = await this.context.joinRoom(FrameworkRoom.Chat, { channel: this.channel });
    } catch (error) {
      const refused = asApiError(error);
      // Not signed in, not allowed or a bad channel: retrying cannot change it.
      if ([400, 401, 403].includes(refused.status) || !this.context.signedIn()) {
        this.first?.reject(refused);
        this.first = undefined;
        this.closed = true;
        return;
      }
      this.scheduleRetry();
      return;
    }
    if (this.closed) {
      void room.leave().catch(() => undefined);
      return;
    }
    this.current = room;
    this.attempt = 0;
    room.onMessage(ServerMessage.History, (history: { messages: LobbyChatLine[] }) => this.emit("history", history));
    room.onMessage(ServerMessage.Message, (line: LobbyChatLine) => this.emit("message", line));
    room.onMessage(ServerMessage.Error, (error: RoomError) => this.emit("error", error));
    room.onLeave((code) => {
      if (this.current !== room) return;
      this.current = undefined;
      const retrying = !this.closed && !FINAL.has(code);
      this.emit("disconnected", { code, retrying });
      if (retrying) this.scheduleRetry();
    });
    this.emit("connected", { room });
    this.first?.resolve();
    this.first = undefined;
  }

  private scheduleRetry(): void {
    if (this.closed || this.retry !== undefined) return;
    const delay = this.context.backoff(this.attempt);
    this.attempt += 1;
    this.retry = setTimeout(() => {
      this.retry = undefined;
      void this.join();
    }, delay);
  }
}
