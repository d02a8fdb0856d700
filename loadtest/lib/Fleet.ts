/**
 * The bots. Each bot is a guest player on a bare WebSocket connection (lib/ColyseusWire.ts over lib/LeanSocket.ts)
 * that sends scripted inputs at a chosen rate and pings every few seconds. One bot in `decodeEvery` decodes the state it receives and measures
 * action→update latency (input seq sent → the server's `ack` for it seen in a patch); the others only count bytes.
 * Inputs of different bots are spread over the input period, so the server sees them arrive as from independent
 * clients rather than in one burst.
 *
 * What a bot can do: log in as a guest; search through the `matchmaking` room and take its arena seat; take a seat
 * handed out by the bench host (arena of any size), join a `vanilla` baseline room, or talk to the raw echo server;
 * drop its socket and reconnect with its reconnection token; leave.
 */
import type { Schema } from "@colyseus/schema";
// The SDK's HTTP layer for the guest login (relative, so plain `node --import tsx` runs need no export condition).
import { ApiError, ArenaClient } from "../../sdk/src/index.ts";
import type { Packr } from "msgpackr";
import { ClientMessage, CloseCode, type InputMessage, RoomName, ServerMessage } from "../../src/protocol.ts";
import {
  createPackr,
  MatchmakeError,
  matchmake,
  roomDataHeader,
  type SeatReservation,
  seatUrl,
  type Traffic,
  WireRoom,
} from "./ColyseusWire.ts";
import { LeanSocket, ReadyState } from "./LeanSocket.ts";
import { Histogram } from "./Histogram.ts";

export interface FleetOptions {
  inputHz: number;
  /** One bot in this many decodes state (latency sample); 1 = all. */
  decodeEvery: number;
  pingIntervalMs: number;
  /** How long a search waits for a seat before giving up. */
  searchTimeoutMs: number;
  /** A run id, so device ids (and so guest players) are fresh in every run. */
  runId: string;
}

/** Figures of one measurement window; {@link Fleet.resetWindow} starts a new one. */
export class WindowStats {
  readonly actionLatency = new Histogram();
  readonly rtt = new Histogram();
  readonly timeToMatch = new Histogram();
  readonly joinTime = new Histogram();
  readonly reconnectTime = new Histogram();
  readonly errors = new Map<string, number>();
  readonly closes = new Map<string, number>();
  inputsSent = 0;
  bytesOut = 0;
  /** Every frame the bots sent (inputs, pings, handshakes, leaves). */
  framesOut = 0;
  matchesEnded = 0;
  seats = 0;
  tickets = 0;
  reconnected = 0;
  startedAt = performance.now();

  error(kind: string): void {
    this.errors.set(kind, (this.errors.get(kind) ?? 0) + 1);
  }

  close(code: number): void {
    const key = String(code);
    this.closes.set(key, (this.closes.get(key) ?? 0) + 1);
  }

  get errorCount(): number {
    let n = 0;
    for (const v of this.errors.values()) n += v;
    return n;
  }
}

/** Closes that end a session as designed: a consented leave, the end of a match. */
const EXPECTED_CLOSES = new Set<number>([CloseCode.NormalLeave, CloseCode.MatchEnded, 1000, 1005]);

/** `finishing`: the match sent `matchEnd`; the bot stops its inputs (as a client would) until the room closes. */
export type BotState = "idle" | "searching" | "joining" | "playing" | "finishing" | "reconnecting" | "done";

export class Bot {
  state: BotState = "idle";
  token: string | undefined;
  playerId = "";
  username = "";
  room: WireRoom | undefined;
  echo: LeanSocket | undefined;
  host = "";
  seq = 0;
  lastAck = 0;
  /** Send times of the last 64 seqs (decoding bots only). */
  readonly sentAt: Float64Array | undefined;
  /** Echo bots that measure (decoding bots on an echo, not a feed): send times in order (the echo keeps order). */
  readonly echoQueue: number[] = [];
  timesEchoes = false;
  phase: number;
  /** Bumped for every new room, so a late close of an old room does not touch the bot's current one. */
  generation = 0;
  onMatchEnd: (() => void) | undefined;

  constructor(
    readonly index: number,
    readonly ip: string,
    readonly decodes: boolean,
  ) {
    this.sentAt = decodes ? new Float64Array(64) : undefined;
    this.phase = (index * 0.618) % (2 * Math.PI);
  }
}

export class Fleet {
  readonly bots: Bot[] = [];
  window = new WindowStats();
  /** Every byte every bot received (rooms and echo). */
  readonly traffic: Traffic = { bytesIn: 0, stateBytesIn: 0, framesIn: 0 };
  private trafficAtWindowStart: Traffic = { ...this.traffic };
  private readonly packr: Packr = createPackr();
  private readonly inputHeader = roomDataHeader(ClientMessage.Input);
  private inputTimer: NodeJS.Timeout | undefined;
  private pingTimer: NodeJS.Timeout | undefined;
  private slot = 0;
  /** Errors of windows already closed, and of the set-up between windows (logins, searches): the whole run's. */
  private readonly earlierErrors = new Map<string, number>();
  /** A random base in 10.0.0.0/8 per run, so bots' addresses (and their throttle budgets) are fresh every run. */
  private readonly ipBase = Math.floor(Math.random() * (2 ** 24 - 2 ** 20));

  constructor(readonly options: FleetOptions) {}

  /** Creates `count` more bots (not yet logged in). */
  add(count: number): Bot[] {
    const added: Bot[] = [];
    for (let i = 0; i < count; i++) {
      const index = this.bots.length;
      const bot = new Bot(index, ipOf(this.ipBase + index), index % this.options.decodeEvery === 0);
      this.bots.push(bot);
      added.push(bot);
    }
    return added;
  }

  /**
   * POST /auth/guest through the SDK (`ArenaClient.guest`): a fresh guest player per bot. The client lives only for
   * the login: no refresh timer (`refreshAt: null`), no socket; the bot keeps the access token for its lean sockets.
   */
  async login(bot: Bot, httpUrl: string): Promise<void> {
    const arena = new ArenaClient({
      baseUrl: httpUrl,
      refreshAt: null,
      fetch: (input, init) =>
        fetch(input, { ...init, headers: { ...(init?.headers as Record<string, string>), "x-forwarded-for": bot.ip } }),
    });
    let player: { id: string; username: string };
    try {
      player = await arena.guest(`loadtest-${this.options.runId}-${bot.index}-device`);
    } catch (error) {
      // Every failure is an ApiError (status 0: the server could not be reached).
      const status = error instanceof ApiError ? error.status : 0;
      this.window.error(`login ${status}`);
      throw new Error(`guest login: ${status} ${(error as Error).message}`);
    }
    bot.token = arena.accessToken;
    bot.playerId = player.id;
    bot.username = player.username;
  }

  /**
   * Searches through the `matchmaking` room of `httpUrl` and resolves with the arena seat (time-to-match is
   * recorded from the matchmake request to the `seat` message). The bot leaves the matchmaking room once seated.
   */
  async search(bot: Bot, httpUrl: string, host: string, mode: string, region: string): Promise<SeatReservation> {
    bot.state = "searching";
    const started = performance.now();
    const seat = await matchmake(httpUrl, "joinOrCreate", RoomName.Matchmaking, { mode, region }, bot.token, bot.ip);
    this.window.tickets += 1;
    let resolveSeat!: (seat: SeatReservation) => void;
    let rejectSeat!: (error: Error) => void;
    const seated = new Promise<SeatReservation>((resolve, reject) => {
      resolveSeat = resolve;
      rejectSeat = reject;
    });
    const room = new WireRoom(
      seat,
      {
        onMessage: (type, payload) => {
          if (type === ServerMessage.Seat) resolveSeat(payload as SeatReservation);
        },
        onClose: (code) => rejectSeat(new MatchmakeError(code, `matchmaking closed with ${code}`)),
      },
      false,
      this.traffic,
    );
    await room.connect(seatUrl(seat, host, bot.token), {});
    // A search that finds no match (an odd player out, say) gives up, as a player would.
    const timer = setTimeout(() => rejectSeat(new MatchmakeError(408, "no match found")), this.options.searchTimeoutMs);
    const arenaSeat = await seated.finally(() => {
      clearTimeout(timer);
      room.leave();
    });
    this.window.timeToMatch.record(performance.now() - started);
    this.window.seats += 1;
    return arenaSeat;
  }

  /** Takes a room seat (arena or vanilla) and starts playing: inputs and pings go out from the fleet's timers. */
  async play(bot: Bot, seat: SeatReservation, host: string): Promise<void> {
    bot.state = "joining";
    bot.host = host;
    const started = performance.now();
    const room = new WireRoom(seat, this.roomEvents(bot), bot.decodes, this.traffic);
    bot.room = room;
    bot.seq = 0;
    bot.lastAck = 0;
    await room.connect(seatUrl(seat, host, bot.token), {});
    this.window.joinTime.record(performance.now() - started);
    bot.state = "playing";
  }

  /** Joins a `vanilla` baseline room of `size` players on the bench host and plays there. */
  async playVanilla(bot: Bot, httpUrl: string, host: string, size: number): Promise<void> {
    const seat = await matchmake(httpUrl, "joinOrCreate", "vanilla", { size }, undefined, bot.ip);
    await this.play(bot, seat, host);
  }

  /**
   * Connects to a raw server of the bench host and "plays" there with the same input frames: the `echo` sends every
   * input back (latency measured by the decoding bots); the `feed` swallows the inputs and sends patch-sized
   * messages at the patch rate instead, as a game room would.
   */
  playRaw(bot: Bot, url: string, server: "echo" | "feed"): Promise<void> {
    bot.timesEchoes = server === "echo" && bot.decodes;
    return new Promise((resolve, reject) => {
      bot.echo = new LeanSocket(url, {
        onOpen: () => {
          bot.state = "playing";
          resolve();
        },
        onError: (error) => {
          this.window.error("echo socket");
          reject(error);
        },
        onMessage: (data) => {
          this.traffic.bytesIn += data.byteLength;
          this.traffic.framesIn += 1;
          if (!bot.timesEchoes) return;
          const sent = bot.echoQueue.shift();
          if (sent !== undefined) this.window.actionLatency.record(performance.now() - sent);
        },
        onClose: () => {
          bot.state = "done";
        },
      });
    });
  }

  /** Drops the bot's socket (no LEAVE_ROOM) and reconnects with its reconnection token; records the time taken. */
  async dropAndReconnect(bot: Bot): Promise<void> {
    const old = bot.room;
    if (old === undefined || bot.state !== "playing") return;
    bot.state = "reconnecting";
    const token = old.reconnectionToken;
    old.drop();
    const started = performance.now();
    const room = new WireRoom(old.seat, this.roomEvents(bot), bot.decodes, this.traffic);
    bot.room = room;
    // The server may take a moment to see the old socket gone; retry for up to 10 s as the SDK would.
    for (let attempt = 0; attempt < 20; attempt++) {
      try {
        await room.connect(seatUrl(old.seat, bot.host, bot.token, token), {}, old.decoder);
        this.window.reconnectTime.record(performance.now() - started);
        this.window.reconnected += 1;
        bot.state = "playing";
        return;
      } catch {
        await new Promise((resolve) => setTimeout(resolve, 500));
      }
    }
    this.window.error("reconnect failed");
    bot.state = "done";
  }

  /** Consented leave of every bot's room and echo socket. */
  leaveAll(): void {
    for (const bot of this.bots) {
      if (bot.room !== undefined && !bot.room.closed) {
        bot.state = "done";
        bot.room.leave();
      }
      if (bot.echo !== undefined) {
        bot.state = "done";
        bot.echo.close();
      }
    }
  }

  /** Starts the input and ping timers. */
  start(): void {
    const periodMs = 1000 / this.options.inputHz;
    const slots = Math.max(1, Math.round(periodMs / 4));
    this.inputTimer = setInterval(() => this.sendSlot(slots), periodMs / slots);
    const pingSlots = Math.max(1, Math.round(this.options.pingIntervalMs / 50));
    let pingSlot = 0;
    this.pingTimer = setInterval(() => {
      for (let i = pingSlot; i < this.bots.length; i += pingSlots) {
        const bot = this.bots[i]!;
        if (bot.state !== "playing" || bot.room === undefined) continue;
        bot.room.ping();
        this.window.framesOut += 1;
      }
      pingSlot = (pingSlot + 1) % pingSlots;
    }, this.options.pingIntervalMs / pingSlots);
  }

  stop(): void {
    clearInterval(this.inputTimer);
    clearInterval(this.pingTimer);
  }

  /** Starts a new measurement window: histograms and counters from zero, byte counters re-based. */
  resetWindow(): WindowStats {
    const previous = this.window;
    for (const [kind, n] of previous.errors) this.earlierErrors.set(kind, (this.earlierErrors.get(kind) ?? 0) + n);
    this.window = new WindowStats();
    this.trafficAtWindowStart = { ...this.traffic };
    return previous;
  }

  /** Every error of the run so far, in and out of measurement windows, by kind. */
  runErrors(): Record<string, number> {
    const all = new Map(this.earlierErrors);
    for (const [kind, n] of this.window.errors) all.set(kind, (all.get(kind) ?? 0) + n);
    return Object.fromEntries(all);
  }

  /** What every bot received in the current window. */
  trafficInWindow(): Traffic {
    return {
      bytesIn: this.traffic.bytesIn - this.trafficAtWindowStart.bytesIn,
      stateBytesIn: this.traffic.stateBytesIn - this.trafficAtWindowStart.stateBytesIn,
      framesIn: this.traffic.framesIn - this.trafficAtWindowStart.framesIn,
    };
  }

  /** Bots by state. */
  census(): Record<BotState, number> {
    const counts: Record<BotState, number> = {
      idle: 0,
      searching: 0,
      joining: 0,
      playing: 0,
      finishing: 0,
      reconnecting: 0,
      done: 0,
    };
    for (const bot of this.bots) counts[bot.state] += 1;
    return counts;
  }

  private sendSlot(slots: number): void {
    const slot = this.slot;
    this.slot = (this.slot + 1) % slots;
    const now = performance.now();
    for (let i = slot; i < this.bots.length; i += slots) {
      const bot = this.bots[i]!;
      if (bot.state !== "playing") continue;
      bot.seq += 1;
      const t = bot.seq / this.options.inputHz + bot.phase;
      const input: InputMessage = {
        seq: bot.seq,
        moveX: Math.cos(t),
        moveY: Math.sin(t * 0.7),
        aim: t,
        fire: bot.seq % 8 === bot.index % 8,
      };
      // msgpackr packs into a buffer it reuses; the socket copies header and body into one frame at once.
      const body = this.packr.pack(input);
      this.window.inputsSent += 1;
      this.window.bytesOut += this.inputHeader.byteLength + body.byteLength;
      this.window.framesOut += 1;
      if (bot.echo !== undefined) {
        if (bot.echo.readyState !== ReadyState.Open) continue;
        if (bot.timesEchoes) bot.echoQueue.push(now);
        bot.echo.send(body, this.inputHeader);
      } else {
        if (bot.sentAt !== undefined) bot.sentAt[bot.seq & 63] = now;
        bot.room?.send(body, this.inputHeader);
      }
    }
  }

  private roomEvents(bot: Bot) {
    const generation = ++bot.generation;
    return {
      onState: (state: Schema) => {
        const players = (state as unknown as { players?: Map<string, { ack: number }> }).players;
        const ack = players?.get(bot.room!.seat.sessionId)?.ack;
        if (ack === undefined || ack <= bot.lastAck || bot.sentAt === undefined) return;
        const now = performance.now();
        for (let seq = Math.max(bot.lastAck + 1, ack - 63); seq <= ack; seq++) {
          this.window.actionLatency.record(now - bot.sentAt[seq & 63]!);
        }
        bot.lastAck = ack;
      },
      onPong: (rttMs: number) => this.window.rtt.record(rttMs),
      onMessage: (type: string | number, payload: unknown) => {
        if (type === ServerMessage.MatchEnd && bot.state === "playing") bot.state = "finishing";
        else if (type === ServerMessage.Error) {
          const { code, message } = (payload ?? {}) as { code?: string; message?: string };
          this.window.error(`room error ${code}: ${String(message).slice(0, 60)}`);
        }
      },
      onError: (code: number) => this.window.error(`room ERROR frame ${code}`),
      onClose: (code: number) => {
        if (bot.state === "reconnecting" || bot.generation !== generation) return;
        const wasPlaying = bot.state === "playing" || bot.state === "finishing";
        bot.state = "done";
        if (wasPlaying) {
          this.window.close(code);
          if (code === CloseCode.MatchEnded) {
            this.window.matchesEnded += 1;
            bot.onMatchEnd?.();
          } else if (!EXPECTED_CLOSES.has(code)) this.window.error(`disconnect ${code}`);
        }
      },
    };
  }
}

/** A private IPv4 address (10.0.0.0/8) per number, sent as X-Forwarded-For (the server trusts it from loopback). */
export function ipOf(n: number): string {
  return `10.${(n >> 16) & 255}.${(n >> 8) & 255}.${n & 255}`;
}
