/**
 * The search (`findMatch`) and the match handle: a match that survives drops, hand-offs, crashes and restarts.
 */
import type { Client, Room } from "@colyseus/sdk";
import { ApiError, asApiError, RoomClosedError, SearchCancelledError } from "./errors.ts";
import { Emitter } from "./events.ts";
import type { ClientMessages, GameProtocol, ResultExtra, ServerMessages } from "./protocol.ts";
import type { MatchEnd, RoomError, SearchStatus, Seat } from "./types.ts";
import { CloseCode, FrameworkRoom, ServerMessage } from "./wire.ts";

/** What the handles need of the ArenaClient. */
export interface MatchContext {
  colyseus: Client;
  rejoinPatienceMs: number;
  reconnectRetries: number;
  /** false: a close the handle would rejoin after ends it (`lost`, reason `dropped`). */
  autoRejoin: boolean;
  /** The wait before retry `attempt` (0-based). */
  backoff(attempt: number): number;
  signedIn(): boolean;
  refresh(): Promise<void>;
  rejoinSeat(sessionId: string): Promise<Seat>;
  joinRoom(name: string, options: object): Promise<Room>;
  rejoinRoom(sessionId: string, deadline: number | undefined, onAttempt: (attempt: number) => void): Promise<Room>;
}

export interface SearchEvents {
  /** The search's progress, at least once a second. */
  status: SearchStatus;
  /** A room `error` (`REGION_FULL`: a match was formed but no server has room; the search goes on). */
  error: RoomError;
}

/** A running search: `match` resolves with the match once seated; `cancel()` stops it. */
export class SearchHandle<P extends GameProtocol> extends Emitter<SearchEvents> {
  /** The joined match; rejects with SearchCancelledError after cancel(), ApiError when the join was refused. */
  readonly match: Promise<MatchHandle<P>>;
  /** The last `status`. */
  status: SearchStatus | undefined;
  private room: Room | undefined;
  private cancelled = false;
  private seated = false;
  private reject!: (error: Error) => void;

  constructor(
    private readonly context: MatchContext,
    options: { game?: string; mode: string; region?: string },
  ) {
    super();
    this.match = new Promise<MatchHandle<P>>((resolve, reject) => {
      this.reject = reject;
      void this.run(options).then(resolve, reject);
    });
    // A caller that cancels and never awaits `match` gets no unhandled rejection.
    this.match.catch(() => undefined);
  }

  /** Stops the search (leaves the matchmaking room); `match` rejects with SearchCancelledError. */
  async cancel(): Promise<void> {
    if (this.seated || this.cancelled) return;
    this.cancelled = true;
    this.reject(new SearchCancelledError());
    await this.room?.leave().catch(() => undefined);
  }

  private async run(options: { game?: string; mode: string; region?: string }): Promise<MatchHandle<P>> {
    const joinOptions = Object.fromEntries(Object.entries(options).filter(([, value]) => value !== undefined));
    const room = await this.context.joinRoom(FrameworkRoom.Matchmaking, joinOptions);
    if (this.cancelled) {
      await room.leave().catch(() => undefined);
      throw new SearchCancelledError();
    }
    this.room = room;
    const seat = await new Promise<Seat>((resolve, reject) => {
      room.onMessage(ServerMessage.Status, (status: SearchStatus) => {
        this.status = status;
        this.emit("status", status);
      });
      room.onMessage(ServerMessage.Error, (error: RoomError) => this.emit("error", error));
      room.onMessage(ServerMessage.Seat, (seat: Seat) => {
        // A seat the server sent before it heard of cancel(): not taken (the caller was told the search stopped).
        if (this.cancelled) {
          reject(new SearchCancelledError());
          return;
        }
        this.seated = true;
        resolve(seat);
      });
      room.onLeave((code, reason) => {
        if (this.cancelled) reject(new SearchCancelledError());
        else if (!this.seated)
          reject(new RoomClosedError(code, `the search closed (${code}${reason ? `: ${reason}` : ""})`));
      });
    });
    void room.leave().catch(() => undefined);
    let matchRoom: Room;
    try {
      matchRoom = await this.context.colyseus.consumeSeatReservation(seat as never);
    } catch (error) {
      throw asApiError(error);
    }
    await firstState(matchRoom);
    return new MatchHandle<P>(this.context, matchRoom);
  }
}

/** Waits for a joined room's first state (it follows the join), at most `withinMs`. */
export function firstState(room: Room, withinMs = 10_000): Promise<void> {
  return new Promise<void>((resolve) => {
    const timer = setTimeout(resolve, withinMs);
    room.onStateChange.once(() => {
      clearTimeout(timer);
      resolve();
    });
  });
}

/** How a match handle finished. */
export type MatchOutcome<P extends GameProtocol> =
  | { kind: "ended"; result: MatchEnd<ResultExtra<P>> }
  | { kind: "cancelled"; code: number }
  | { kind: "left" }
  | { kind: "lost"; reason: string; code?: number; error?: ApiError };

export interface MatchEvents<P extends GameProtocol> {
  /** The connection went away; the handle is getting back in (`code`: the close code). */
  dropped: { code: number };
  /** An attempt to get back in (1, 2, …): a reconnection, or `POST /sessions/:id/rejoin` + the new seat. */
  rejoining: { attempt: number; via: "reconnect" | "rejoin" };
  /** Back in the match: `room` is the Colyseus room now (the same one after a plain reconnection). */
  rejoined: { room: Room<unknown, P["state"]> };
  /** The handle gave up: the match ended while away (409), the player was kicked, banned or logged out, or time ran out. */
  lost: { reason: string; code?: number; error?: ApiError };
  /** The match is over: `matchEnd` (with the result) or a close with 4105 / 4106 (cancelled: no result). */
  ended: { result?: MatchEnd<ResultExtra<P>>; cancelled: boolean };
  /** `leave()` was called. */
  left: Record<string, never>;
}

/** Closes after which getting back in is pointless or not allowed. */
const FINAL = new Set<number>([
  CloseCode.NormalLeave,
  CloseCode.KickedFlood,
  CloseCode.KickedInvalidInput,
  CloseCode.TokenRevoked,
  CloseCode.Banned,
]);
/** Closes where the process that held the match gave it up: its reconnection seat is of no use. */
const MOVED = new Set<number>([CloseCode.ServerShutdown, CloseCode.MayTryReconnect]);
/**
 * Closes after which the handle goes straight to `POST /sessions/:id/rejoin` (a fresh seat) instead of the
 * reconnection token: the process gave the match up (4001, 4010); the Colyseus SDK's own reconnection with that token
 * already ran out of attempts (4003); or the socket was lost inside the room's minimum uptime (1006), where the
 * Colyseus SDK does not reconnect on purpose and the server, which knows whether the match still holds the seat,
 * decides (409 once it ended). The browser client did so before it used this SDK, and its tests hold it to that.
 */
const REJOIN_ROUTE = new Set<number>([...MOVED, 1006, 4003]);

type StateListener<S> = (state: S) => void;

/**
 * A match: typed `send` / `onMessage` / `state` over the current Colyseus room, which it replaces by itself after
 * a drop (the SDK's reconnection, then `client.reconnect` with the reconnection token, then
 * `POST /sessions/:id/rejoin`), a 4001 or 4010 (the match moved: straight to the rejoin route), a crash or a server
 * restart (the rejoin route, with backoff while it answers 503). Handlers registered here follow every new room.
 */
export class MatchHandle<P extends GameProtocol> extends Emitter<MatchEvents<P>> {
  /** The match's session id (its room id, the player's `currentSessionId`). */
  readonly id: string;
  /** The match's room name: the game's id. */
  readonly game: string;
  /** `matchEnd`, once received. */
  result: MatchEnd<ResultExtra<P>> | undefined;
  /** Resolves once the handle is done: ended, cancelled, left or lost. */
  readonly done: Promise<MatchOutcome<P>>;
  private current: Room<unknown, P["state"]>;
  private readonly handlers = new Map<string, Set<(payload: never) => void>>();
  private readonly stateListeners = new Set<StateListener<P["state"]>>();
  private finished = false;
  private leaving = false;
  /** The room whose drop was already reported (the SDK reconnecting it), so its close does not report it twice. */
  private droppedFrom: Room | undefined;
  private settle!: (outcome: MatchOutcome<P>) => void;

  constructor(
    private readonly context: MatchContext,
    room: Room,
  ) {
    super();
    this.id = room.roomId;
    this.game = room.name;
    this.current = room as Room<unknown, P["state"]>;
    this.done = new Promise((resolve) => {
      this.settle = resolve;
    });
    this.attach(this.current);
  }

  /** The Colyseus room the match runs in now (it changes on a rejoin: use the handle's methods, not the room's). */
  get room(): Room<unknown, P["state"]> {
    return this.current;
  }

  get state(): P["state"] {
    return this.current.state;
  }

  /** Whether the handle is done (ended, cancelled, left or lost). */
  get isOver(): boolean {
    return this.finished;
  }

  /** Sends a message of the game (or the framework's `chat`). While getting back in, messages are dropped. */
  send<K extends keyof ClientMessages<P> & string>(type: K, payload: ClientMessages<P>[K]): void {
    if (this.finished || this.current.connection?.isOpen !== true) return;
    this.current.send(type as never, payload as never);
  }

  /** Match chat: `all` reaches the match, `team` the sender's team. */
  say(text: string, channel: "all" | "team" = "all"): void {
    this.send("chat" as keyof ClientMessages<P> & string, { channel, text } as never);
  }

  /** Listens to a server message (the game's, or `chat`, `matchEnd`, `error`), on every room the match runs in. */
  onMessage<K extends keyof ServerMessages<P> & string>(
    type: K,
    handler: (payload: ServerMessages<P>[K]) => void,
  ): () => void {
    let set = this.handlers.get(type);
    if (set === undefined) {
      set = new Set();
      this.handlers.set(type, set);
    }
    set.add(handler as (payload: never) => void);
    return () => set.delete(handler as (payload: never) => void);
  }

  /** Listens to state changes, on every room the match runs in. */
  onStateChange(listener: StateListener<P["state"]>): () => void {
    this.stateListeners.add(listener);
    return () => this.stateListeners.delete(listener);
  }

  /**
   * Leaves the match for good (no rejoin). After the match ended, it closes the room at once instead of waiting for
   * the server's close (4105).
   */
  async leave(): Promise<void> {
    if (this.finished) {
      if (this.current.connection?.isOpen === true) await this.current.leave(true).catch(() => undefined);
      return;
    }
    this.leaving = true;
    await this.current.leave(true).catch(() => undefined);
    this.finish({ kind: "left" });
    this.emit("left", {});
  }

  /**
   * Closes the connection without leaving the match, as a closed tab or a suspended app does: the server holds the
   * seat for RECONNECT_WINDOW_SEC, and `arena.rejoin(match.id)` (in this process or another) takes it back. This
   * handle is done (`left`) and does not rejoin.
   */
  async drop(): Promise<void> {
    if (this.finished) return;
    this.leaving = true;
    await this.current.leave(false).catch(() => undefined);
    this.finish({ kind: "left" });
    this.emit("left", {});
  }

  private attach(room: Room<unknown, P["state"]>): void {
    // Past this many tries the SDK gives up with 4003 and the rejoin route takes over.
    room.reconnection.maxRetries = this.context.reconnectRetries;
    room.onMessage("*", (type: string | number, payload: unknown) => this.dispatch(String(type), payload));
    room.onStateChange((state) => {
      if (room !== this.current) return;
      for (const listener of [...this.stateListeners]) listener(state);
    });
    room.onDrop((code) => {
      if (room !== this.current || this.finished) return;
      // 4010: the match moved; the held seat on this process is of no use. Leave with 4010 and rejoin.
      if (MOVED.has(code)) {
        room.reconnection.enabled = false;
        return;
      }
      if (this.droppedFrom === room) return;
      this.droppedFrom = room;
      this.emit("dropped", { code });
    });
    room.onReconnect(() => {
      if (room !== this.current || this.finished) return;
      this.droppedFrom = undefined;
      this.emit("rejoined", { room });
    });
    room.onLeave((code) => void this.closed(room, code));
  }

  private dispatch(type: string, payload: unknown): void {
    if (type === ServerMessage.MatchEnd) this.result = payload as MatchEnd<ResultExtra<P>>;
    for (const handler of [...(this.handlers.get(type) ?? [])]) {
      try {
        handler(payload as never);
      } catch (error) {
        setTimeout(() => {
          throw error;
        }, 0);
      }
    }
    if (type === ServerMessage.MatchEnd && !this.finished) {
      this.emit("ended", { result: this.result, cancelled: false });
      this.finish({ kind: "ended", result: this.result! });
    }
  }

  private async closed(room: Room, code: number): Promise<void> {
    if (room !== this.current || this.finished || this.leaving) return;
    if (code === CloseCode.MatchEnded || code === CloseCode.MatchCancelled) {
      const cancelled = code === CloseCode.MatchCancelled;
      this.emit("ended", { result: this.result, cancelled });
      this.finish(cancelled ? { kind: "cancelled", code } : { kind: "ended", result: this.result! });
      return;
    }
    if (FINAL.has(code)) {
      this.lose(`closed with ${code}`, code);
      return;
    }
    if (this.droppedFrom !== room) this.emit("dropped", { code });
    if (!this.context.autoRejoin) {
      this.lose("dropped", code);
      return;
    }
    await this.getBackIn(room, code);
  }

  /** The reconnection token first (a lost connection whose process lives), then the rejoin route with backoff. */
  private async getBackIn(room: Room, code: number): Promise<void> {
    const deadline = Date.now() + this.context.rejoinPatienceMs;
    let attempt = 0;
    let next: Room | undefined;
    if (!REJOIN_ROUTE.has(code) && room.reconnectionToken) {
      attempt += 1;
      this.emit("rejoining", { attempt, via: "reconnect" });
      next = await this.context.colyseus.reconnect(room.reconnectionToken).catch(() => undefined);
    }
    if (next === undefined) {
      try {
        next = await this.context.rejoinRoom(this.id, deadline, (n) => {
          if (this.leaving) throw new ApiError(0, "LEFT", "left");
          this.emit("rejoining", { attempt: attempt + n, via: "rejoin" });
        });
      } catch (error) {
        const failure = asApiError(error);
        if (this.leaving) return;
        this.lose(failure.status === 409 ? "ended" : failure.message, undefined, failure);
        return;
      }
    }
    if (this.leaving || this.finished) {
      void next.leave().catch(() => undefined);
      return;
    }
    await firstState(next);
    if (this.leaving || this.finished) {
      void next.leave().catch(() => undefined);
      return;
    }
    this.current = next as Room<unknown, P["state"]>;
    this.attach(this.current);
    this.emit("rejoined", { room: this.current });
    // The listeners see the new room's state at once (its first patch came before they were attached to it).
    for (const listener of [...this.stateListeners]) listener(this.current.state);
  }

  private lose(reason: string, code?: number, error?: ApiError): void {
    const lost = {
      reason,
      ...(code === undefined ? {} : { code }),
      ...(error === undefined ? {} : { error }),
    };
    this.emit("lost", lost);
    this.finish({ kind: "lost", ...lost });
  }

  private finish(outcome: MatchOutcome<P>): void {
    if (this.finished) return;
    this.finished = true;
    this.settle(outcome);
  }
}
