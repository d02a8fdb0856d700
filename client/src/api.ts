/**
 * The HTTP side of the contract (../shared/API.md): guest, login, register, link, refresh, the player, the games,
 * leaderboards and rejoin. Tokens live in localStorage so a reload keeps the login; the access token is refreshed before it expires
 * and once more when a call answers 401.
 */
import type { PlayerJson } from "../../src/protocol.ts";

/** A player's standing in one game (`player.ratings[<game>]`). */
export interface GameRating {
  rating: number;
  ratingDeviation: number;
  wins: number;
  losses: number;
  draws: number;
}

/**
 * The contract's `player`, from the protocol module the server answers with; `ratings` (by rating key: the game's id,
 * or `<game>:<mode>` for a mode rated on its own) only from servers with games as plug-ins, so it may be missing
 * (the default game's rating is then the top-level one).
 */
export type Player = Omit<PlayerJson, "ratings"> & { ratings?: Record<string, GameRating> };

/** A mode of a game, from `GET /games`. */
export interface GameModeInfo {
  id: string;
  players: number;
  teams: number;
}

/** A game the server runs, from `GET /games`. */
export interface GameInfo {
  id: string;
  title: string;
  modes: GameModeInfo[];
}

interface Tokens {
  accessToken: string;
  refreshToken: string;
  expiresIn: number;
}

interface AuthAnswer extends Tokens {
  player: Player;
}

export interface Board {
  id: string;
  title: string;
}

export interface BoardEntry {
  rank: number;
  playerId: string;
  username: string;
  score: number;
}

/** An HTTP error with the server's `{error:{code,message}}` body. */
export class ApiError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

const REFRESH_KEY = "arena.refreshToken";
const DEVICE_KEY = "arena.deviceId";

export class Api {
  accessToken: string | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  /** Called whenever the access token changes (the SDK's auth token follows it). */
  onToken: (token: string | undefined) => void = () => {};

  get hasStoredLogin(): boolean {
    return localStorage.getItem(REFRESH_KEY) !== null;
  }

  /** The guest device id of this browser profile, created once. */
  deviceId(): string {
    let id = localStorage.getItem(DEVICE_KEY);
    if (id === null) {
      id = `web-${crypto.randomUUID()}`;
      localStorage.setItem(DEVICE_KEY, id);
    }
    return id;
  }

  async guest(): Promise<Player> {
    return this.signIn(await this.call<AuthAnswer>("POST", "/auth/guest", { deviceId: this.deviceId() }, false));
  }

  async login(username: string, password: string): Promise<Player> {
    return this.signIn(await this.call<AuthAnswer>("POST", "/auth/login", { username, password }, false));
  }

  async register(username: string, password: string): Promise<Player> {
    return this.signIn(await this.call<AuthAnswer>("POST", "/auth/register", { username, password }, false));
  }

  /**
   * Turns the logged-in guest into an account (POST /auth/link): same id, rating and history, and from now on a
   * login with `username` and `password`. The tokens stay valid. Throws ApiError 400 (a weak password, a bad or
   * reserved name) or 409 (the name is taken, or the player already has a password).
   */
  link(username: string, password: string): Promise<Player> {
    return this.call<Player>("POST", "/auth/link", { username, password });
  }

  /** Continues a stored login (after a reload); undefined when there is none or it was revoked. */
  async resume(): Promise<Player | undefined> {
    if (!this.hasStoredLogin) return undefined;
    try {
      await this.refresh();
      return await this.me();
    } catch {
      this.forget();
      return undefined;
    }
  }

  async logout(): Promise<void> {
    const refreshToken = localStorage.getItem(REFRESH_KEY);
    if (refreshToken !== null && this.accessToken !== undefined) {
      await this.call("POST", "/auth/logout", { refreshToken }).catch(() => undefined);
    }
    this.forget();
  }

  me(): Promise<Player> {
    return this.call<Player>("GET", "/players/me");
  }

  /** The games the server runs (`GET /games`), the default game first; throws when the answer is not a list. */
  async games(): Promise<GameInfo[]> {
    const { games } = await this.call<{ games?: unknown }>("GET", "/games", undefined, false);
    if (!Array.isArray(games)) throw new ApiError(502, "BAD_ANSWER", "GET /games did not answer a list of games");
    return games as GameInfo[];
  }

  async boards(): Promise<Board[]> {
    return (await this.call<{ boards: Board[] }>("GET", "/leaderboards", undefined, false)).boards;
  }

  async board(id: string): Promise<BoardEntry[]> {
    const path = `/leaderboards/${encodeURIComponent(id)}?limit=50`;
    return (await this.call<{ entries: BoardEntry[] }>("GET", path, undefined, false)).entries;
  }

  /** A seat in the live match `sessionId` (POST /sessions/:id/rejoin); throws ApiError 409 when it has ended. */
  async rejoin(sessionId: string): Promise<unknown> {
    const path = `/sessions/${encodeURIComponent(sessionId)}/rejoin`;
    return (await this.call<{ seat: unknown }>("POST", path, {})).seat;
  }

  private signIn(answer: AuthAnswer): Player {
    this.keep(answer);
    return answer.player;
  }

  private keep(tokens: Tokens): void {
    this.accessToken = tokens.accessToken;
    localStorage.setItem(REFRESH_KEY, tokens.refreshToken);
    this.onToken(this.accessToken);
    clearTimeout(this.refreshTimer);
    // Refresh at 80 % of the lifetime, so rooms joined later always get a valid token.
    this.refreshTimer = setTimeout(() => void this.refresh().catch(() => undefined), tokens.expiresIn * 800);
  }

  private forget(): void {
    clearTimeout(this.refreshTimer);
    this.accessToken = undefined;
    localStorage.removeItem(REFRESH_KEY);
    this.onToken(undefined);
  }

  private refreshing: Promise<void> | undefined;

  /** Spends the stored refresh token for a new pair; concurrent callers share one request. */
  refresh(): Promise<void> {
    this.refreshing ??= (async () => {
      try {
        const refreshToken = localStorage.getItem(REFRESH_KEY);
        if (refreshToken === null) throw new ApiError(401, "UNAUTHORIZED", "not logged in");
        this.keep(await this.call<Tokens>("POST", "/auth/refresh", { refreshToken }, false));
      } finally {
        this.refreshing = undefined;
      }
    })();
    return this.refreshing;
  }

  private async call<T>(method: string, path: string, body?: unknown, authed = true, retried = false): Promise<T> {
    const headers: Record<string, string> = {};
    if (body !== undefined) headers["content-type"] = "application/json";
    if (authed && this.accessToken !== undefined) headers.authorization = `Bearer ${this.accessToken}`;
    const res = await fetch(path, {
      method,
      headers,
      ...(body === undefined ? {} : { body: JSON.stringify(body) }),
    });
    if (res.status === 401 && authed && !retried && this.hasStoredLogin) {
      await this.refresh();
      return this.call<T>(method, path, body, authed, true);
    }
    if (res.status === 204) return undefined as T;
    const json = (await res.json().catch(() => ({}))) as { error?: { code: string; message: string } };
    if (!res.ok) {
      throw new ApiError(res.status, json.error?.code ?? "HTTP", json.error?.message ?? `HTTP ${res.status}`);
    }
    return json as T;
  }
}
