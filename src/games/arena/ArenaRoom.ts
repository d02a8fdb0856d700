/**
 * The arena, a real-time game on the generic match room: MatchRoom owns seats, sessions, leases, snapshots,
 * rejoin, chat, finish and the SIGTERM hand-off; this room owns the game. Handlers validate and queue inputs; the
 * fixed-step tick applies one input per player, steps the pure simulation (ArenaMatch), updates each client's view,
 * and ends the match.
 */
import type { Client } from "@colyseus/core";
import { ARENA_MAP } from "./logic/maps.ts";
import { DEFAULT_TUNING } from "./logic/tuning.ts";
import { ClientMessage, InputMessage } from "../../protocol.ts";
import { ArenaState } from "./ArenaState.ts";
import type { MatchSpec, RosterEntry } from "../../services/matches/MatchTicket.ts";
import { ArenaMatch, type MatchSnapshot } from "./ArenaMatch.ts";
import { ArenaViews, type InterestStats } from "./ArenaViews.ts";
import { InputQueue } from "./InputQueue.ts";
import type { PlayerAuth } from "../../rooms/BaseRoom.ts";
import { MatchRoom } from "../../rooms/MatchRoom.ts";

/** Radius within which other players and projectiles are visible, u. */
export const VIEW_RADIUS = 900;
/** Interest is recomputed every this many ticks. */
export const VIEW_REFRESH_TICKS = 3;
/** The client's interpolation delay assumed for lag compensation (two patches at 20 Hz). */
export const CLIENT_INTERPOLATION_MS = 100;
const WAIT_TIMEOUT_MS = 15_000;
const COUNTDOWN_MS = 3_000;
const PING_INTERVAL_MS = 2_000;
/**
 * Steps a client may be ahead of or behind the ticks, so jitter never leaves an input waiting behind another; past
 * MAX_WAITING_INPUTS the oldest are dropped as stale (see InputQueue).
 */
const INPUT_SLACK = 4;
const MAX_WAITING_INPUTS = 8;
/** Version of the arena's snapshot payload (ArenaMatch's MatchSnapshot). */
const ARENA_SNAPSHOT_FORMAT = 1;

export class ArenaRoom extends MatchRoom<ArenaState, MatchSnapshot> {
  protected readonly snapshotFormat = ARENA_SNAPSHOT_FORMAT;
  private match!: ArenaMatch;
  private views!: ArenaViews;
  private inputQueue!: InputQueue;
  private tickMs = 0;
  private epochAtTickZero = 0;
  private readonly rttMs = new Map<string, number>();

  protected setUpGame(spec: MatchSpec): void {
    const { settings } = this.context.matches;
    this.tickMs = 1000 / settings.tickRateHz;
    this.messageLimits = { maxPerSecond: settings.tickRateHz * 3, maxStrikes: 10 };
    const state = new ArenaState();
    state.tickRateHz = settings.tickRateHz;
    this.setState(state);
    this.match = new ArenaMatch(
      spec,
      state,
      ARENA_MAP,
      DEFAULT_TUNING,
      {
        waitTimeoutMs: WAIT_TIMEOUT_MS,
        countdownMs: COUNTDOWN_MS,
        durationMs: settings.matchDurationSec * 1000,
      },
      this.tickMs,
    );
    this.views = new ArenaViews(state, VIEW_RADIUS);
    this.inputQueue = new InputQueue({
      capacity: 16,
      ratePerSec: settings.tickRateHz * 1.25,
      slack: INPUT_SLACK,
      maxWaiting: MAX_WAITING_INPUTS,
    });
    this.epochAtTickZero = Date.now();
    this.handleGameMessage(ClientMessage.Input, InputMessage, (client, input) => {
      // Inputs sent in the moment after the end (the client had not heard of it yet) mean nothing: no strike.
      if (this.isStopped) return;
      const refusal = this.inputQueue.offer(client.sessionId, input, this.clock.currentTime);
      if (refusal?.strike === true) this.strike(client, refusal.reason);
    });
    this.runFixedStep(settings.tickRateHz, settings.patchRateHz, () => this.step());
    this.clock.setInterval(() => this.probeLatency(), PING_INTERVAL_MS);
  }

  protected seatPlayer(key: string, entry: RosterEntry): void {
    this.match.seat(key, entry);
  }

  protected reseatPlayer(oldKey: string, newKey: string): void {
    this.inputQueue.forget(oldKey);
    this.views.detach(oldKey);
    this.match.reseat(oldKey, newKey);
  }

  protected setConnected(key: string, connected: boolean): void {
    const player = this.state.players.get(key);
    if (player !== undefined) player.connected = connected;
  }

  protected serialiseGame(): MatchSnapshot {
    return this.match.snapshot();
  }

  protected restoreGame(payload: MatchSnapshot, format: number, reason: "recovery" | "rollback"): void {
    if (format !== ARENA_SNAPSHOT_FORMAT) throw new Error(`arena snapshots of format ${format} are not readable`);
    const { removedProjectiles } = this.match.restore(payload);
    if (reason === "recovery") {
      this.epochAtTickZero = Date.now() - this.match.world.timeMs;
      return;
    }
    for (const key of removedProjectiles) this.views.dropProjectile(key);
    this.views.refresh();
  }

  protected override onPlayerSeated(client: Client<{ auth: PlayerAuth }>, key: string): void {
    this.match.setViewDelay(key, CLIENT_INTERPOLATION_MS);
    this.views.attach(client);
  }

  protected override onPlayerDropped(_client: Client<{ auth: PlayerAuth }>, key: string): void {
    this.views.detach(key);
  }

  protected override onPlayerReconnected(client: Client<{ auth: PlayerAuth }>): void {
    this.views.attach(client);
    this.views.refresh();
  }

  protected override onPlayerLeft(_client: Client<{ auth: PlayerAuth }>, key: string): void {
    this.views.detach(key);
    this.inputQueue.forget(key);
    this.rttMs.delete(key);
  }

  /** Cumulative cost of interest management in this room (for metrics and benchmarks). */
  get interestStats(): InterestStats {
    return this.views.stats;
  }

  private step(): void {
    const { started, ended, removedProjectiles } = this.match.tick((key) => this.inputQueue.take(key));
    if (started) this.matchStarted();
    for (const key of removedProjectiles) this.views.dropProjectile(key);
    if (this.state.tick % VIEW_REFRESH_TICKS === 0) this.views.refresh();
    if (this.inputQueue.staleDropped > 0) {
      this.context.metrics.staleInputs.inc(this.inputQueue.staleDropped);
      this.inputQueue.staleDropped = 0;
    }
    if (this.inputQueue.excessDropped > 0) {
      this.context.metrics.excessInputs.inc(this.inputQueue.excessDropped);
      this.inputQueue.excessDropped = 0;
    }
    if (!ended) return;
    if (this.match.cancelled) {
      void this.cancel("too few players arrived; search again");
    } else {
      void this.finish(this.match.result(this.epochAtTickZero));
    }
  }

  /** Measures each client's round trip with WebSocket pings, for the lag-compensation window. */
  private probeLatency(): void {
    for (const client of this.clients) {
      const socket = client.ref as { ping?: () => void; once?: (event: string, listener: () => void) => void };
      if (typeof socket.ping !== "function" || typeof socket.once !== "function") continue;
      const sentAt = performance.now();
      socket.once("pong", () => {
        const sample = performance.now() - sentAt;
        const previous = this.rttMs.get(client.sessionId) ?? sample;
        const rtt = previous * 0.7 + sample * 0.3;
        this.rttMs.set(client.sessionId, rtt);
        this.match.setViewDelay(client.sessionId, CLIENT_INTERPOLATION_MS + rtt / 2);
      });
      socket.ping();
    }
  }
}
