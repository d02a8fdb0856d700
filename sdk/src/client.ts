/**
 * ArenaClient: accounts and tokens, typed HTTP calls, matchmaking, match rejoin and lobby chat on top of the
 * Colyseus SDK. One instance is one player.
 */
import { Client, type Room } from "@colyseus/sdk";
import { backoffMs } from "./backoff.ts";
import { LobbyChat } from "./chat.ts";
import { ApiError, asApiError } from "./errors.ts";
import { Emitter } from "./events.ts";
import { firstState, MatchHandle, type MatchContext, SearchHandle } from "./match.ts";
import type { GameProtocol, UntypedProtocol } from "./protocol.ts";
import { MemoryStorage, type TokenStorage } from "./storage.ts";
import type {
  AuthAnswer,
  Board,
  BoardEntry,
  BoardPage,
  BoardRank,
  GameInfo,
  Player,
  PublicProfile,
  Seat,
  Session,
  SessionStatus,
  Tokens,
} from "./types.ts";

export interface ArenaClientOptions {
  /** The server's base URL (`http://localhost:2567`); default: the page's origin in a browser. */
  baseUrl?: string;
  /** Where the refresh token and the guest device id are kept (default: MemoryStorage). */
  storage?: TokenStorage;
  /** The fetch to use (default: the global one). */
  fetch?: typeof fetch;
  /**
   * When the access token is renewed, as a fraction of its lifetime (default 0.8), and in any case 1.5 s before it
   * runs out; `null` turns the timer off (the token is then renewed only when a call answers 401).
   */
  refreshAt?: number | null;
  /**
   * How long one HTTP call may take, answer body included, before it fails with ApiError status 0, code `TIMEOUT`
   * (default 15 000 ms): a server or proxy that stops answering never leaves a call hanging.
   */
  requestTimeoutMs?: number;
  /** How long a match handle keeps trying to get back into its match (default 60 000 ms). */
  rejoinPatienceMs?: number;
  /** How many times the Colyseus SDK retries a dropped connection by itself before a rejoin (default 5). */
  reconnectRetries?: number;
  /**
   * Whether match handles get back in by themselves after a drop, a 4001/4010 or a crash (default true). With false
   * a close the handle would have rejoined after ends it as `lost {reason: "dropped", code}`: the caller handles the
   * drop (a bot that would rather search again, a test that drops and rejoins on purpose); `arena.rejoin(id)`
   * still works.
   */
  autoRejoin?: boolean;
  /**
   * The wait in ms before retry `attempt` (0-based) of a rejoin, a lobby chat join or a failed timer refresh
   * (default `backoffMs`: 0.5 s doubling to 5 s, ±20 % jitter).
   */
  backoff?: (attempt: number) => number;
}

export type SignOutReason = "logout" | "refresh-refused";

export interface ArenaClientEvents {
  /** A login, registration, guest login, link or resume succeeded. */
  signedIn: { player: Player };
  /** The tokens were renewed (`POST /auth/refresh`). */
  refreshed: { expiresIn: number };
  /** The client is signed out: by `logout()`, or because the server refused the refresh token (401). */
  signedOut: { reason: SignOutReason };
}

export interface RequestOptions {
  body?: unknown;
  /** Sends the access token (and refreshes on a 401 once). */
  auth?: boolean;
  query?: Record<string, string | number | undefined>;
}

export interface FindMatchOptions {
  /** A game id from `GET /games` (default: the server's default game). */
  game?: string;
  mode: string;
  /** Default: the player's region. */
  region?: string;
}

function defaultBaseUrl(): string {
  const origin = (globalThis as { location?: { origin?: string } }).location?.origin;
  if (origin === undefined) throw new Error("ArenaClient: baseUrl is required outside a browser");
  return origin;
}

/**
 * One path segment, percent-encoded; a string that cannot be encoded (a lone UTF-16 surrogate) is refused as the
 * server would refuse malformed input, with an ApiError 400, rather than a URIError.
 */
function segment(value: string): string {
  try {
    return encodeURIComponent(value);
  } catch {
    throw new ApiError(400, "INVALID_INPUT", `not a valid path segment: ${JSON.stringify(value.slice(0, 40))}`);
  }
}

function randomId(): string {
  const crypto = (globalThis as { crypto?: { randomUUID?: () => string } }).crypto;
  if (crypto?.randomUUID !== undefined) return crypto.randomUUID();
  return Array.from({ length: 32 }, () => Math.floor(Math.random() * 16).toString(16)).join("");
}

export class ArenaClient extends Emitter<ArenaClientEvents> {
  /** The Colyseus client; its `auth.token` always holds the current access token. */
  readonly colyseus: Client;
  readonly baseUrl: string;
  private readonly storage: TokenStorage;
  private readonly fetchFn: typeof fetch;
  private readonly requestTimeoutMs: number;
  private readonly refreshAt: number | null;
  private readonly rejoinPatienceMs: number;
  private readonly reconnectRetries: number;
  private readonly autoRejoin: boolean;
  private readonly backoff: (attempt: number) => number;
  private access: string | undefined;
  /** The refresh token of this client's login, besides the storage (which may be shared, or fail to write). */
  private refreshToken: string | undefined;
  /** Refresh tokens the server has already exchanged: never presented again (it would revoke the whole login). */
  private readonly spent = new Set<string>();
  private refreshing: Promise<void> | undefined;
  /** Bumped by every sign-in and sign-out: a refresh that began before one does not keep its tokens after it. */
  private epoch = 0;
  /** The guest device id being read or made (concurrent guest() calls share it). */
  private device: Promise<string> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;

  constructor(options: ArenaClientOptions = {}) {
    super();
    this.baseUrl = (options.baseUrl ?? defaultBaseUrl()).replace(/\/+$/, "");
    this.storage = options.storage ?? new MemoryStorage();
    this.fetchFn = options.fetch ?? ((...args) => fetch(...args));
    this.requestTimeoutMs = options.requestTimeoutMs ?? 15_000;
    this.refreshAt = options.refreshAt === undefined ? 0.8 : options.refreshAt;
    this.rejoinPatienceMs = options.rejoinPatienceMs ?? 60_000;
    this.reconnectRetries = options.reconnectRetries ?? 5;
    this.autoRejoin = options.autoRejoin ?? true;
    this.backoff = options.backoff ?? backoffMs;
    this.colyseus = new Client(this.baseUrl);
  }

  /** The current access token (in memory only). */
  get accessToken(): string | undefined {
    return this.access;
  }

  get signedIn(): boolean {
    return this.access !== undefined;
  }

  // ---- accounts ----

  /** Plays as a guest: the same device id is the same guest (default: one kept in the storage, made once). */
  async guest(deviceId?: string): Promise<Player> {
    const id = deviceId ?? (await this.deviceId());
    return this.signIn(await this.request<AuthAnswer>("POST", "/auth/guest", { body: { deviceId: id } }));
  }

  async register(username: string, password: string, region?: string): Promise<Player> {
    const body = { username, password, ...(region === undefined ? {} : { region }) };
    return this.signIn(await this.request<AuthAnswer>("POST", "/auth/register", { body }));
  }

  async login(username: string, password: string): Promise<Player> {
    return this.signIn(await this.request<AuthAnswer>("POST", "/auth/login", { body: { username, password } }));
  }

  /** Gives the signed-in guest a username and password; it keeps its id, rating and history. */
  link(username: string, password: string): Promise<Player> {
    return this.request<Player>("POST", "/auth/link", { body: { username, password }, auth: true });
  }

  /** Continues a stored login (a reload, a restarted bot); undefined when there is none or it was refused. */
  async resume(): Promise<Player | undefined> {
    if ((await this.stored("refreshToken")) === undefined && this.refreshToken === undefined) return undefined;
    try {
      await this.refresh();
      const player = await this.me();
      this.emit("signedIn", { player });
      return player;
    } catch (error) {
      if (asApiError(error).status === 401) return undefined;
      throw error;
    }
  }

  /** Revokes the login on the server (its sockets close with 4103) and forgets it here. */
  async logout(): Promise<void> {
    // A refresh in flight would otherwise sign the client back in after the sign-out, with the login it revokes.
    await this.refreshing?.catch(() => undefined);
    const refreshToken = await this.usableRefreshToken();
    if (refreshToken !== undefined && this.access !== undefined) {
      await this.request("POST", "/auth/logout", { body: { refreshToken }, auth: true }).catch(() => undefined);
    }
    await this.signOut("logout");
  }

  me(): Promise<Player> {
    return this.request<Player>("GET", "/players/me", { auth: true });
  }

  /** PATCH /players/me: the player's region (one of the server's REGIONS). */
  setRegion(region: string): Promise<Player> {
    return this.request<Player>("PATCH", "/players/me", { body: { region }, auth: true });
  }

  /** A player's public profile. */
  player(id: string): Promise<PublicProfile> {
    return this.request<PublicProfile>("GET", `/players/${segment(id)}`);
  }

  /** Stops delivering that player's chat to this one. */
  async block(playerId: string): Promise<void> {
    await this.request("POST", "/players/me/blocks", { body: { playerId }, auth: true });
  }

  async unblock(playerId: string): Promise<void> {
    await this.request("DELETE", `/players/me/blocks/${segment(playerId)}`, { auth: true });
  }

  // ---- games, leaderboards, sessions ----

  async games(): Promise<GameInfo[]> {
    return (await this.request<{ games: GameInfo[] }>("GET", "/games")).games;
  }

  async leaderboards(): Promise<Board[]> {
    return (await this.request<{ boards: Board[] }>("GET", "/leaderboards")).boards;
  }

  /** A page of a board (limit 1–100, default 50), ranks from 1. */
  leaderboard(board: string, page: { limit?: number; offset?: number } = {}): Promise<BoardPage> {
    return this.request<BoardPage>("GET", `/leaderboards/${segment(board)}`, { query: page });
  }

  /** The entries around a player (limit 1–100, default 11); ApiError 404 when the player has no entry. */
  async leaderboardAround(board: string, playerId: string, limit?: number): Promise<BoardEntry[]> {
    const path = `/leaderboards/${segment(board)}/around/${segment(playerId)}`;
    return (await this.request<{ entries: BoardEntry[] }>("GET", path, { query: { limit } })).entries;
  }

  /** A player's rank and score on a board; ApiError 404 when it has none. */
  leaderboardRank(board: string, playerId: string): Promise<BoardRank> {
    const path = `/leaderboards/${segment(board)}/players/${segment(playerId)}`;
    return this.request<BoardRank>("GET", path);
  }

  async sessions(filter: { status?: SessionStatus; region?: string; limit?: number } = {}): Promise<Session[]> {
    return (await this.request<{ sessions: Session[] }>("GET", "/sessions", { query: filter })).sessions;
  }

  session(id: string): Promise<Session> {
    return this.request<Session>("GET", `/sessions/${segment(id)}`);
  }

  /** POST /sessions/:id/rejoin: a fresh seat in the live match (ApiError 409 once it ended, 503 while recovered). */
  async rejoinSeat(sessionId: string): Promise<Seat> {
    const path = `/sessions/${segment(sessionId)}/rejoin`;
    return (await this.request<{ seat: Seat }>("POST", path, { body: {}, auth: true })).seat;
  }

  // ---- rooms ----

  /**
   * Searches a match: joins `matchmaking`, reports `status`, takes the `seat` into the game's room and leaves the
   * search. `handle.match` resolves with the match; `handle.cancel()` stops the search.
   */
  findMatch<P extends GameProtocol = UntypedProtocol>(options: FindMatchOptions): SearchHandle<P> {
    return new SearchHandle<P>(this.context(), options);
  }

  /**
   * Gets back into a live match by its session id (`player.currentSessionId` after a reload): a fresh seat from
   * `POST /sessions/:id/rejoin`, retried with backoff while the match is being recovered (503) or the server cannot
   * be reached. Rejects with the ApiError that ended the attempts (409: the match has ended).
   */
  async rejoin<P extends GameProtocol = UntypedProtocol>(sessionId: string): Promise<MatchHandle<P>> {
    const context = this.context();
    const room = await context.rejoinRoom(sessionId, undefined, () => undefined);
    await firstState(room);
    return new MatchHandle<P>(context, room);
  }

  /** Joins a lobby chat channel (`global` or `region:<region>`); it rejoins by itself after a server restart. */
  async joinChat(channel = "global"): Promise<LobbyChat> {
    const chat = new LobbyChat(this.context(), channel);
    await chat.connected;
    return chat;
  }

  /** Stops the refresh timer (a bot that is done); rooms stay as they are. */
  close(): void {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
  }

  // ---- HTTP ----

  /** A typed call to any route: JSON in and out, ApiError on failure, the access token when `auth`. */
  async request<T>(method: string, path: string, options: RequestOptions = {}): Promise<T> {
    const first = await this.send(method, path, options);
    if (first.status === 401 && options.auth === true && first.token !== undefined) {
      // The token may have been renewed meanwhile (by a concurrent call): then retry with it, else renew it.
      if (this.access === first.token) await this.refresh();
      return this.answer<T>(await this.send(method, path, options));
    }
    return this.answer<T>(first);
  }

  private async send(
    method: string,
    path: string,
    options: RequestOptions,
  ): Promise<{ status: number; res: Response; text: string; token: string | undefined }> {
    const headers: Record<string, string> = {};
    if (options.body !== undefined) headers["content-type"] = "application/json";
    let token: string | undefined;
    if (options.auth === true) {
      if (this.access === undefined && (await this.usableRefreshToken()) !== undefined) await this.refresh();
      token = this.access;
      if (token === undefined) throw new ApiError(401, "UNAUTHORIZED", "not signed in");
      headers.authorization = `Bearer ${token}`;
    }
    const query = Object.entries(options.query ?? {}).filter(([, value]) => value !== undefined);
    const search =
      query.length === 0 ? "" : `?${new URLSearchParams(query.map(([k, v]): [string, string] => [k, String(v)]))}`;
    // One deadline for the whole call: the answer's headers and its body.
    const signal = AbortSignal.timeout(this.requestTimeoutMs);
    const failed = (error: unknown): ApiError =>
      signal.aborted
        ? new ApiError(0, "TIMEOUT", `${method} ${path}: no answer within ${this.requestTimeoutMs} ms`)
        : new ApiError(0, "NETWORK_ERROR", `${method} ${path}: ${(error as Error)?.message ?? String(error)}`);
    let res: Response;
    let text: string;
    try {
      res = await this.fetchFn(`${this.baseUrl}${path}${search}`, {
        method,
        headers,
        signal,
        ...(options.body === undefined ? {} : { body: JSON.stringify(options.body) }),
      });
      text = res.status === 204 ? "" : await res.text();
    } catch (error) {
      throw failed(error);
    }
    return { status: res.status, res, text, token };
  }

  private async answer<T>({ res, text }: { res: Response; text: string }): Promise<T> {
    if (res.status === 204) return undefined as T;
    let json: unknown;
    try {
      json = text === "" ? undefined : JSON.parse(text);
    } catch {
      json = undefined;
    }
    if (!res.ok) {
      const body = (json ?? {}) as { error?: { code?: string; message?: string; field?: string } };
      const retryAfter = Number(res.headers.get("retry-after") ?? Number.NaN);
      throw new ApiError(
        res.status,
        body.error?.code ?? "HTTP",
        body.error?.message ?? `HTTP ${res.status}`,
        Number.isFinite(retryAfter) ? retryAfter : undefined,
        body.error?.field,
      );
    }
    if (json === undefined) throw new ApiError(502, "BAD_ANSWER", `${res.url}: the answer is not JSON`);
    return json as T;
  }

  // ---- tokens ----

  /**
   * Exchanges the refresh token for a new pair. Concurrent callers share one request; a token the server has
   * exchanged once is never presented again; a 401 signs the client out (`signedOut`).
   */
  refresh(): Promise<void> {
    this.refreshing ??= this.exchange().finally(() => {
      this.refreshing = undefined;
    });
    return this.refreshing;
  }

  /** The renewal, one at a time among the clients sharing the storage (`TokenStorage.exclusive`). */
  private async exchange(): Promise<void> {
    const epoch = this.epoch;
    const storage = this.storage;
    if (storage.exclusive === undefined) return this.exchangeNow(epoch);
    let ran = false;
    try {
      return await storage.exclusive<void>(() => {
        ran = true;
        return this.exchangeNow(epoch);
      });
    } catch (error) {
      // An adapter whose lock fails without running the renewal: renew without it.
      if (ran) throw error;
      return this.exchangeNow(epoch);
    }
  }

  private async exchangeNow(epoch: number): Promise<void> {
    const refreshToken = await this.usableRefreshToken();
    if (refreshToken === undefined) throw new ApiError(401, "UNAUTHORIZED", "not signed in");
    let tokens: Tokens;
    try {
      tokens = await this.request<Tokens>("POST", "/auth/refresh", { body: { refreshToken } });
    } catch (error) {
      // 401: unknown, expired, revoked or spent. Anything else (429, 503, no network) left the token as it was.
      if (error instanceof ApiError && error.status === 401) {
        this.spent.add(refreshToken);
        if (epoch === this.epoch) await this.signOut("refresh-refused");
      }
      throw error;
    }
    this.spent.add(refreshToken);
    if (epoch !== this.epoch) {
      // Signed out or in as someone else meanwhile: these tokens belong to a login the caller has left.
      throw new ApiError(401, "UNAUTHORIZED", "signed out or in again while the tokens were being renewed");
    }
    await this.keep(tokens);
    this.emit("refreshed", { expiresIn: tokens.expiresIn });
  }

  /** The stored refresh token (another tab may have renewed it), else this client's own, unless spent. */
  private async usableRefreshToken(): Promise<string | undefined> {
    const stored = await this.stored("refreshToken");
    if (stored !== undefined && !this.spent.has(stored)) return stored;
    if (this.refreshToken !== undefined && !this.spent.has(this.refreshToken)) return this.refreshToken;
    return undefined;
  }

  private async signIn(answer: AuthAnswer): Promise<Player> {
    this.epoch += 1;
    await this.keep(answer);
    this.emit("signedIn", { player: answer.player });
    return answer.player;
  }

  private async keep(tokens: Tokens): Promise<void> {
    this.setAccess(tokens.accessToken);
    this.refreshToken = tokens.refreshToken;
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    if (this.refreshAt !== null) {
      const lifetimeMs = tokens.expiresIn * 1000;
      const delay = Math.max(0, Math.min(lifetimeMs * this.refreshAt, lifetimeMs - 1_500));
      this.refreshTimer = setTimeout(() => this.timedRefresh(0), delay);
      (this.refreshTimer as { unref?: () => void }).unref?.();
    }
    try {
      await this.storage.set("refreshToken", tokens.refreshToken);
    } catch {
      // The login goes on from memory; the next refresh presents this client's own token.
    }
  }

  /** The timer's refresh: a failure other than 401 (server restarting, no network) is tried again with backoff. */
  private timedRefresh(attempt: number): void {
    this.refresh().catch((error: unknown) => {
      if (asApiError(error).status === 401 || this.access === undefined) return;
      this.refreshTimer = setTimeout(() => this.timedRefresh(attempt + 1), this.backoff(attempt));
      (this.refreshTimer as { unref?: () => void }).unref?.();
    });
  }

  private setAccess(token: string | undefined): void {
    this.access = token;
    this.colyseus.auth.token = token ?? "";
  }

  private async signOut(reason: SignOutReason): Promise<void> {
    clearTimeout(this.refreshTimer);
    this.refreshTimer = undefined;
    const wasSignedIn = this.access !== undefined || this.refreshToken !== undefined;
    this.epoch += 1;
    this.setAccess(undefined);
    this.refreshToken = undefined;
    try {
      // A storage that cannot forget (it throws, at once or later) still leaves this client signed out.
      await this.storage.remove("refreshToken");
    } catch {}
    if (wasSignedIn || reason === "logout") this.emit("signedOut", { reason });
  }

  /** The guest device id: the stored one, else one made and stored once (kept in memory if the storage fails). */
  private deviceId(): Promise<string> {
    this.device ??= (async () => {
      const stored = await this.stored("deviceId");
      if (stored !== undefined) return stored;
      const id = `sdk-${randomId()}`;
      try {
        await this.storage.set("deviceId", id);
      } catch {}
      return id;
    })();
    return this.device;
  }

  /** A value of the storage; undefined when it has none or fails (the client goes on from memory). */
  private async stored(key: "refreshToken" | "deviceId"): Promise<string | undefined> {
    try {
      return (await this.storage.get(key)) ?? undefined;
    } catch {
      return undefined;
    }
  }

  /** What the room handles need of the client. */
  private context(): MatchContext {
    return {
      colyseus: this.colyseus,
      rejoinPatienceMs: this.rejoinPatienceMs,
      reconnectRetries: this.reconnectRetries,
      autoRejoin: this.autoRejoin,
      backoff: this.backoff,
      signedIn: () => this.access !== undefined,
      refresh: () => this.refresh(),
      rejoinSeat: (sessionId) => this.rejoinSeat(sessionId),
      joinRoom: (name, options) => this.joinRoom(name, options),
      rejoinRoom: (sessionId, deadline, onAttempt) => this.rejoinRoom(sessionId, deadline, onAttempt),
    };
  }

  /** Joins (or creates) a framework room; a 401 at the join renews the token and tries once more. */
  private async joinRoom(name: string, options: object): Promise<Room> {
    if (this.access === undefined && (await this.usableRefreshToken()) !== undefined) await this.refresh();
    if (this.access === undefined) throw new ApiError(401, "UNAUTHORIZED", "not signed in");
    try {
      return await this.colyseus.joinOrCreate(name, options);
    } catch (error) {
      const refused = asApiError(error);
      if (refused.status !== 401) throw refused;
      await this.refresh();
      try {
        return await this.colyseus.joinOrCreate(name, options);
      } catch (again) {
        throw asApiError(again);
      }
    }
  }

  /**
   * A fresh seat in the live match `sessionId`, consumed: retried with backoff while the server answers 503, cannot
   * be reached, or the seat cannot be taken yet, until `deadline` (default: now + rejoinPatienceMs). 401 renews
   * the token once; 409 (ended), 403 and 404 end the attempts at once.
   */
  private async rejoinRoom(
    sessionId: string,
    deadline: number | undefined,
    onAttempt: (attempt: number) => void,
  ): Promise<Room> {
    const until = deadline ?? Date.now() + this.rejoinPatienceMs;
    let renewed = false;
    for (let attempt = 1; ; attempt++) {
      onAttempt(attempt);
      let failure: ApiError;
      try {
        const seat = await this.rejoinSeat(sessionId);
        return await this.colyseus.consumeSeatReservation(seat as never);
      } catch (error) {
        failure = asApiError(error);
      }
      if (failure.status === 401 && !renewed && failure.code !== "NETWORK_ERROR") {
        renewed = true;
        await this.refresh();
        continue;
      }
      // Any other refusal of the request itself (400, 403, 404, 409, 414, 431, ...) is final; 408 and 429 pass.
      if (failure.status >= 400 && failure.status < 500 && failure.status !== 408 && failure.status !== 429) {
        throw failure;
      }
      if (Date.now() >= until) throw failure;
      await new Promise((resolve) => setTimeout(resolve, Math.min(this.backoff(attempt - 1), until - Date.now())));
    }
  }
}
