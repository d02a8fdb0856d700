/**
 * The base of every room: a child logger with room context, validated message handlers with per-client flood and
 * strike accounting, and `onUncaughtException` declared as a class method, so that a throw in one handler, timer or
 * tick is logged and contained: it never closes other clients or the process.
 *
 * Rooms use `this.clock` for every timer (it is paused, cleared and error-wrapped with the room), never native
 * timers.
 */
import {
  type AuthContext,
  type Client,
  type Deferred,
  OnMessageException,
  Room,
  type RoomException,
  type RoomMethodName,
  type RoomOptions,
  ServerError,
} from "@colyseus/core";
import type { Socket } from "node:net";
import type { z } from "zod";
import { AppError, RoomRefusal } from "../errors.ts";
import { originAllowed } from "../http/originPolicy.ts";
import type { Logger } from "../logger.ts";
import { CloseCode, ErrorCode, RoomErrorCode, type RoomErrorPayload, ServerMessage } from "../protocol.ts";
import type { Metrics } from "../services/Metrics.ts";
import type { ProcessLoad } from "../services/matches/ProcessLoad.ts";
import type { AuthService } from "../services/auth/AuthService.ts";
import type { JoinThrottle } from "../services/auth/JoinThrottle.ts";
import type { ChatService } from "../services/chat/ChatService.ts";
import type { LiveConnections } from "../services/auth/LiveConnections.ts";
import { type PlayerConnections, TooManyConnectionsError } from "../services/auth/PlayerConnections.ts";
import { dependencyError } from "../services/dependencyError.ts";
import type { Matchmaker } from "../services/matchmaking/Matchmaker.ts";
import type { MatchResultSink } from "../services/matches/MatchResults.ts";
import type { MatchSigner } from "../services/matches/MatchTicket.ts";
import type { SessionService } from "../services/sessions/SessionService.ts";
import type { GameRegistry } from "../services/games/GameDefinition.ts";
import type { MatchSettings } from "./MatchRoom.ts";

/** What a room receives from the composition root. Grows as services land; rooms never build services. */
export interface RoomContext {
  log: Logger;
  auth: AuthService;
  connections: LiveConnections;
  /** The registered games: match rooms, modes, boards, result policies. */
  games: GameRegistry;
  /** What every match room uses (see MatchRoom). */
  matches: MatchContext;
  matchmaking: { matchmaker: Matchmaker };
  chat: { service: ChatService; regions: readonly string[]; shardSize: number };
  /** Per-IP bound on matchmaking requests (create/join) over HTTP. */
  admission: JoinThrottle;
  /** MAX_CONNECTIONS_PER_PLAYER across processes. */
  playerConnections: PlayerConnections;
  /** This process' rooms and clients, and its caps; `loadChanged` republishes the load for placement. */
  capacity: { load: ProcessLoad; loadChanged(): void };
  metrics: Metrics;
  /** The region this process serves (REGION). */
  region: string;
  /** The regions the server accepts (REGIONS). */
  regions: readonly string[];
  /** ALLOWED_ORIGINS; undefined = any origin. */
  allowedOrigins: readonly string[] | undefined;
}

export interface MatchContext {
  signer: MatchSigner;
  sessions: SessionService;
  results: MatchResultSink;
  settings: MatchSettings;
}

/** What every room knows of an authenticated client (`client.auth`). */
export interface PlayerAuth {
  playerId: string;
  username: string;
  /** The login (refresh-token family) the client joined with, when known: a reconnection re-checks it. */
  familyId?: string;
}

/** Per-client message limits of {@link BaseRoom.handle}. */
export interface MessageLimits {
  /** Messages a client may send per second before it is kicked with CloseCode.KickedFlood. */
  maxPerSecond: number;
  /** Invalid messages tolerated per client before it is kicked with CloseCode.KickedInvalidInput. */
  maxStrikes: number;
}

interface ClientCounters {
  windowStartedAt: number;
  inWindow: number;
}

type Handler<T> = (client: Client, message: T) => void | Promise<void>;

/**
 * A room class' check of its join options, run in `onAuth` at the HTTP matchmaking step, so that bad options are
 * refused (400 naming the field) before a seat is reserved, not only when the WebSocket joins.
 */
export type JoinOptionsCheck = (options: unknown, context: RoomContext) => void;

/** The first issue of a failed parse as a 400 naming its field (`options` when the issue has no path). */
export function invalidOptions(error: z.ZodError): AppError {
  const issue = error.issues[0];
  const field = issue?.path.length ? issue.path.join(".") : "options";
  return new AppError(ErrorCode.InvalidInput, `${field}: ${issue?.message ?? "invalid"}`, { field });
}

export abstract class BaseRoom<T extends RoomOptions = RoomOptions> extends Room<T> {
  /** Injected by {@link bindRoom}; defined before `onCreate` runs. */
  protected context!: RoomContext;
  private logger?: Logger;
  private readonly counters = new Map<string, ClientCounters>();
  /** Strikes per player (per session before authentication); see {@link strikesOutliveConnections}. */
  private readonly strikes = new Map<string, number>();
  /** Sessions the server closed on purpose (kick, logout, ban): they get no reconnection seat. */
  private readonly expelled = new Set<string>();
  /** Reconnection seats held for dropped clients, by session, so an expelled player's seat can be withdrawn. */
  private readonly held = new Map<string, { playerId: string | undefined; seat: Deferred<Client> }>();
  private wildcardInstalled = false;

  /**
   * Whether a player's strikes last for the room's lifetime rather than one connection. A match keeps them: a
   * player kicked for invalid input that rejoins has no strike left to spend.
   */
  protected readonly strikesOutliveConnections: boolean = false;

  protected messageLimits: MessageLimits = { maxPerSecond: 60, maxStrikes: 10 };

  /**
   * Colyseus' own per-client frame budget, checked before any decoding: a client past it is disconnected. Set
   * above {@link messageLimits} (which answers with a documented close code first) as the hard backstop.
   */
  override maxMessagesPerSecond = 120;

  /**
   * Whether joins to this room count as new sessions against MAX_CCU. The arena's seats were promised by the
   * matchmaker when it placed the match, so they are honoured even on a process at its cap.
   */
  readonly newSessions: boolean = true;

  /** The room's logger, with `roomId` and `room` (type name) bound. */
  protected get log(): Logger {
    if (this.logger === undefined || this.logger.bindings().roomId !== this.roomId) {
      this.logger = this.context.log.child({ room: this.roomName, roomId: this.roomId });
    }
    return this.logger;
  }

  /**
   * Registers a handler for `type` whose payload must satisfy `schema`. An invalid payload or an unknown message
   * type earns the client a strike and an `error` message; a client past its strike or rate budget is kicked with
   * a documented close code. The handler receives the parsed (and transformed) payload only.
   */
  protected handle<S extends z.ZodType>(type: string, schema: S, handler: Handler<z.output<S>>): void {
    this.installWildcard();
    this.onMessage(type, (client: Client, payload: unknown) => {
      if (!this.admit(client)) return;
      const parsed = schema.safeParse(payload);
      if (!parsed.success) {
        const issue = parsed.error.issues[0];
        const where = issue?.path.length ? `${issue.path.join(".")}: ` : "";
        this.strike(client, `invalid "${type}" message: ${where}${issue?.message ?? "rejected"}`);
        return;
      }
      return handler(client, parsed.data);
    });
  }

  /**
   * Sends the `error` message to one client: a framework code (RoomErrorCode), or a game's own refusal code (a
   * game documents its codes with its messages).
   */
  protected sendError(client: Client, code: RoomErrorPayload["code"] | (string & {}), message: string): void {
    client.send(ServerMessage.Error, { code, message });
  }

  /** Records an invalid message; kicks the client once its strikes are spent. Returns true if it was kicked. */
  protected strike(client: Client, reason: string): boolean {
    const key = (client.auth as PlayerAuth | undefined)?.playerId ?? client.sessionId;
    const strikes = (this.strikes.get(key) ?? 0) + 1;
    this.strikes.set(key, strikes);
    if (strikes > this.messageLimits.maxStrikes) {
      this.log.warn({ ...this.who(client), reason, strikes }, "kicking client: invalid input");
      this.expel(client, CloseCode.KickedInvalidInput, "too many invalid messages");
      return true;
    }
    this.sendError(client, RoomErrorCode.InvalidMessage, reason);
    return false;
  }

  /** Log context of one client: its session and, once authenticated, its player. */
  protected who(client: Client): { sessionId: string; playerId?: string } {
    const playerId = (client.auth as PlayerAuth | undefined)?.playerId;
    return playerId === undefined ? { sessionId: client.sessionId } : { sessionId: client.sessionId, playerId };
  }

  /** Forgets a departed client's counters. Subclasses call it from `onLeave`. */
  protected forgetClient(client: Client): void {
    this.counters.delete(client.sessionId);
    this.expelled.delete(client.sessionId);
    this.held.delete(client.sessionId);
    if (!this.strikesOutliveConnections) {
      this.strikes.delete((client.auth as PlayerAuth | undefined)?.playerId ?? client.sessionId);
    }
  }

  /**
   * Closes a client on purpose (a kick, a logout, a ban) with `code`. Unlike a lost connection, it holds no
   * reconnection seat: {@link holdSeat} refuses it.
   */
  expel(client: Client, code: number, reason: string): void {
    this.expelled.add(client.sessionId);
    client.leave(code, reason);
  }

  /**
   * Closes every connection of `playerId` with `code` and withdraws the reconnection seats held for it (logout,
   * ban: LiveConnections calls this on every process).
   */
  expelPlayer(playerId: string, code: number, reason: string): void {
    for (const client of [...this.clients]) {
      if ((client.auth as PlayerAuth | undefined)?.playerId === playerId) this.expel(client, code, reason);
    }
    for (const [sessionId, hold] of [...this.held]) {
      if (hold.playerId === playerId) this.releaseHeldSeat(sessionId);
    }
  }

  /**
   * Holds a dropped client's seat for `seconds` (Colyseus' allowReconnection) unless the server closed it on
   * purpose. Returns whether a seat is held. Colyseus calls `onLeave` when the window expires or the seat is
   * withdrawn.
   */
  protected holdSeat(client: Client, seconds: number): boolean {
    if (this.expelled.has(client.sessionId)) return false;
    const seat = this.allowReconnection(client, seconds);
    this.held.set(client.sessionId, { playerId: (client.auth as PlayerAuth | undefined)?.playerId, seat });
    // Not awaited: Colyseus settles it. The catch keeps a refused or withdrawn reconnection (expired, a client
    // that never finished joining) from being an unhandled rejection, which would take the process down.
    seat.then(
      () => this.held.delete(client.sessionId),
      () => this.held.delete(client.sessionId),
    );
    return true;
  }

  /** Withdraws the reconnection seat held for `sessionId`, if any (its player came back another way, or left). */
  protected releaseHeldSeat(sessionId: string): void {
    const hold = this.held.get(sessionId);
    if (hold === undefined) return;
    this.held.delete(sessionId);
    hold.seat.reject(new ServerError(CloseCode.TokenRevoked, "the reconnection seat was withdrawn"));
  }

  /** Contains every exception thrown by a handler, timer or tick of this room. */
  override onUncaughtException(error: RoomException, methodName: RoomMethodName): void {
    const cause = error.cause instanceof Error ? error.cause : error;
    if (cause instanceof ServerError && (cause.code < 500 || cause instanceof RoomRefusal)) {
      // A deliberate refusal (bad join options, no seat, already searching, server full): the client was told.
      this.log.info({ method: methodName, code: cause.code, reason: cause.message }, "request refused");
      return;
    }
    const client = error instanceof OnMessageException ? (error.client as Client | undefined) : undefined;
    const outage = dependencyError(cause);
    if (outage !== undefined) {
      // Redis or the database is away (/readyz says so): one warning per message, no stack; the client may retry.
      this.log.warn(
        {
          method: methodName,
          dependency: outage.dependency,
          reason: cause.message,
          ...(client ? this.who(client) : {}),
        },
        "a room call failed: a dependency did not answer",
      );
      if (client !== undefined) this.sendError(client, RoomErrorCode.Unavailable, outage.message);
      return;
    }
    this.log.error(
      { err: cause, method: methodName, ...(client === undefined ? {} : this.who(client)) },
      "uncaught exception in room; contained",
    );
    if (error instanceof OnMessageException) {
      if (client !== undefined)
        this.sendError(client, RoomErrorCode.Internal, "the server could not handle that message");
    }
  }

  private installWildcard(): void {
    if (this.wildcardInstalled) return;
    this.wildcardInstalled = true;
    this.onMessage("*", (client: Client, type: string | number) => {
      if (!this.admit(client)) return;
      this.strike(client, `unknown message type "${String(type)}"`);
    });
  }

  /** Per-client rate budget over a one-second window; false (and the client kicked) when exceeded. */
  private admit(client: Client): boolean {
    const counters = this.countersOf(client);
    const now = this.clock.currentTime;
    if (now - counters.windowStartedAt >= 1000) {
      counters.windowStartedAt = now;
      counters.inWindow = 0;
    }
    counters.inWindow += 1;
    if (counters.inWindow > this.messageLimits.maxPerSecond) {
      if (counters.inWindow === this.messageLimits.maxPerSecond + 1) {
        this.log.warn(this.who(client), "kicking client: message flood");
        this.expel(client, CloseCode.KickedFlood, "too many messages");
      }
      return false;
    }
    return true;
  }

  private countersOf(client: Client): ClientCounters {
    let counters = this.counters.get(client.sessionId);
    if (counters === undefined) {
      counters = { windowStartedAt: this.clock.currentTime, inWindow: 0 };
      this.counters.set(client.sessionId, counters);
    }
    return counters;
  }
}

/**
 * A subclass of `RoomClass` with `context` injected, for `defineRoom`. Services travel by closure, not through
 * room options: options may be serialised to another process, services cannot be.
 */
export function bindRoom<C extends new () => BaseRoom>(RoomClass: C, context: RoomContext): C {
  const Bound = class extends (RoomClass as new () => BaseRoom) {
    constructor() {
      super();
      this.context = context;
    }

    /**
     * Every room requires a valid access token (the SDK's `client.auth.token`): signature, expiry, revocation
     * and ban are checked before a seat is reserved. Unauthenticated clients can create no room and reserve no seat.
     */
    static async onAuth(token: string, options: unknown, authContext: AuthContext): Promise<PlayerAuth> {
      if (!originAllowed(authContext.headers.get("origin"), context.allowedOrigins)) {
        throw new AppError(
          ErrorCode.OriginNotAllowed,
          `${ErrorCode.OriginNotAllowed}: this origin may not use the server`,
        );
      }
      const retryAfterSec = await context.admission.admit(authContext.ip);
      if (retryAfterSec !== undefined) {
        throw new AppError(ErrorCode.RateLimited, `too many room requests; retry in ${retryAfterSec} s`, {
          retryAfterSec,
        });
      }
      const principal = await context.auth.authenticate(token);
      if (!(await context.playerConnections.mayConnect(principal.playerId).catch(() => true))) {
        throw new AppError(ErrorCode.TooManyConnections, tooManyConnections(context.playerConnections.cap));
      }
      (RoomClass as { checkJoinOptions?: JoinOptionsCheck }).checkJoinOptions?.(options, context);
      return { playerId: principal.playerId, username: principal.username, familyId: principal.familyId };
    }
  };
  const { load, loadChanged } = context.capacity;
  // Load accounting, caps and the live-connection registry wrap the room's own lifecycle, whatever its class does.
  // (Not Colyseus room plugins: the first room of a class captures its lifecycle methods for exception wrapping
  // before plugin hooks are installed, so that room would miss them.)
  const Counted = class extends Bound {
    override async onCreate(options: unknown): Promise<void> {
      if (context.games.get(this.roomName) !== undefined) {
        // Placement picks a process of the match's region; Colyseus creates the room locally instead when the
        // picked process does not answer in time. A match never runs outside its region: refuse, and the
        // matchmaker requeues its players.
        const region = (options as { match?: { region?: unknown } } | undefined)?.match?.region;
        if (typeof region === "string" && region !== context.region) {
          throw new ServerError(503, `a match of region ${region} cannot run on a process of region ${context.region}`);
        }
        if (load.matchesFull()) {
          throw new ServerError(503, `this server hosts MAX_ROOMS (${load.caps.maxRooms}) matches already`);
        }
      }
      load.add(this);
      loadChanged();
      try {
        await super.onCreate?.(options);
      } catch (error) {
        load.remove(this);
        loadChanged();
        throw error;
      }
    }

    override async onJoin(client: Client, options?: unknown, auth?: unknown): Promise<void> {
      // The joining client is already counted: the cap refuses the first client past MAX_CCU.
      if (this.newSessions && load.overCcu()) {
        throw new RoomRefusal(503, `${ErrorCode.ServerFull}: this server is full (MAX_CCU ${load.caps.maxCcu})`);
      }
      const playerId = (client.auth as PlayerAuth | undefined)?.playerId;
      const connectionId = context.playerConnections.connectionId(this.roomId, client.sessionId);
      if (playerId !== undefined) await this.holdConnection(playerId, connectionId);
      context.metrics.trackSocket(socketOf(client), this.roomName);
      // Registered before the room's own onJoin: logout and bans reach the client from any process from now on.
      context.connections.track(this, client);
      loadChanged();
      try {
        await super.onJoin?.(client, options, auth);
      } catch (error) {
        if (playerId !== undefined) void context.playerConnections.release(playerId, connectionId).catch(() => {});
        throw error;
      }
    }

    /** Counts the connection against MAX_CONNECTIONS_PER_PLAYER; without the shared count (Redis down), admits. */
    private async holdConnection(playerId: string, connectionId: string): Promise<void> {
      try {
        await context.playerConnections.acquire(playerId, connectionId);
      } catch (error) {
        if (error instanceof TooManyConnectionsError) {
          throw new ServerError(429, tooManyConnections(error.cap));
        }
        this.log.warn({ err: error, playerId }, "could not count the player's connections; admitted");
      }
    }

    override async onReconnect(client: Client): Promise<void> {
      // Colyseus does not run onAuth for a reconnection: the player may have been banned or logged out while its
      // seat was held. Refused here, the reconnection fails and the client leaves.
      const auth = client.auth as PlayerAuth | undefined;
      if (auth !== undefined) {
        try {
          await context.auth.recheck(auth.playerId, auth.familyId);
        } catch (error) {
          if (error instanceof AppError) throw new ServerError(error.status, error.message);
          // The database is away: nothing can be banned or revoked meanwhile either, and a match runs without it.
          // The player gets back into its match; the next join checks again.
          if (dependencyError(error) === undefined) throw error;
          this.log.warn(
            { playerId: auth.playerId, reason: (error as Error).message },
            "could not re-check the login of a reconnecting player (a dependency did not answer); let back in",
          );
        }
      }
      context.metrics.trackSocket(socketOf(client), this.roomName);
      await super.onReconnect?.(client);
    }

    override async onLeave(client: Client, code?: number): Promise<void> {
      try {
        await super.onLeave?.(client, code);
      } finally {
        context.connections.untrack(this, client);
        const playerId = (client.auth as PlayerAuth | undefined)?.playerId;
        if (playerId !== undefined) {
          const connectionId = context.playerConnections.connectionId(this.roomId, client.sessionId);
          void context.playerConnections.release(playerId, connectionId).catch(() => {});
        }
        loadChanged();
      }
    }

    override async onDispose(): Promise<void> {
      try {
        await super.onDispose?.();
      } finally {
        context.connections.forgetRoom(this);
        void context.playerConnections.forgetRoom(this.roomId).catch(() => {});
        load.remove(this);
        loadChanged();
      }
    }
  };
  Object.defineProperty(Counted, "name", { value: RoomClass.name });
  return Counted as unknown as C;
}

function tooManyConnections(cap: number): string {
  return `${ErrorCode.TooManyConnections}: this player already holds ${cap} connections (MAX_CONNECTIONS_PER_PLAYER)`;
}

/** The TCP socket under a client's WebSocket (the `ws` library keeps it as `_socket`), for byte accounting. */
function socketOf(client: Client): Socket | undefined {
  return (client.ref as { _socket?: Socket } | undefined)?._socket;
}
