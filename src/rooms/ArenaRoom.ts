/**
 * The authoritative game session. Created by the server (ArenaLauncher) with a signed match; clients only join
 * through the seat reservations it hands out. Handlers validate and queue inputs; the fixed-step tick applies one
 * input per player, steps the pure simulation (ArenaMatch), updates each client's view, and ends the match.
 */
import { type Client, generateId, matchMaker, ServerError } from "@colyseus/core";
import { ARENA_MAP } from "../logic/maps.ts";
import { DEFAULT_TUNING } from "../logic/tuning.ts";
import { AppError } from "../errors.ts";
import { ArenaChatMessage, ClientMessage, CloseCode, ErrorCode, InputMessage, ServerMessage } from "../protocol.ts";
import { ChatRefusal } from "../services/chat/ChatService.ts";
import { ArenaState } from "../schema/ArenaState.ts";
import type { RatingChange } from "../services/matches/MatchResults.ts";
import type { MatchSpec } from "../services/matches/MatchTicket.ts";
import type { RestoreOptions } from "../services/sessions/RecoveryService.ts";
import { ArenaMatch } from "./arena/ArenaMatch.ts";
import { ArenaViews, type InterestStats } from "./arena/ArenaViews.ts";
import { InputQueue } from "./arena/InputQueue.ts";
import { BaseRoom, type PlayerAuth } from "./BaseRoom.ts";
import { BlockLists } from "./chat/BlockLists.ts";

/** Radius within which other players and projectiles are visible, u. */
export const VIEW_RADIUS = 900;
/** Interest is recomputed every this many ticks. */
export const VIEW_REFRESH_TICKS = 3;
/** The client's interpolation delay assumed for lag compensation (two patches at 20 Hz). */
export const CLIENT_INTERPOLATION_MS = 100;
const WAIT_TIMEOUT_MS = 15_000;
const COUNTDOWN_MS = 3_000;
/** How long clients stay after matchEnd before the room closes them. */
const LINGER_AFTER_END_MS = 2_000;
const PING_INTERVAL_MS = 2_000;
/**
 * Steps a client may be ahead of or behind the ticks, so jitter never leaves an input waiting behind another; past
 * MAX_WAITING_INPUTS the oldest are dropped as stale (see InputQueue).
 */
const INPUT_SLACK = 4;
const MAX_WAITING_INPUTS = 8;
/** How often the room renews its session lease (SESSION_LEASE_MS is 3 s). */
const LEASE_RENEW_MS = 1_000;
/** How long SIGTERM waits for a live match's final snapshot and lease release before closing its clients anyway. */
const HANDOFF_TIMEOUT_MS = 2_000;

export class ArenaRoom extends BaseRoom<{ state: ArenaState; client: Client<{ auth: PlayerAuth }> }> {
  private match!: ArenaMatch;
  private views!: ArenaViews;
  private inputQueue!: InputQueue;
  private tickMs = 0;
  /** Patches per tick (PATCH_RATE_HZ / TICK_RATE_HZ, at most 1) and the fraction of a patch accumulated. */
  private patchesPerTick = 1;
  private patchDue = 0;
  private epochAtTickZero = 0;
  private resultSent = false;
  private readonly rttMs = new Map<string, number>();
  private blockLists!: BlockLists;
  private snapshotVersion = 0;
  /** The session epoch this process holds the match under (0 when created; +1 at every recovery). */
  private epoch = 0;
  /** The lease renewal under way, if any: a hand-off waits for it, so no renewal lands after the release. */
  private leaseRenewal: Promise<void> | undefined;
  /** Serialisation cost of snapshots so far (the write itself is asynchronous, off the tick). */
  readonly snapshotStats = { count: 0, totalMs: 0, bytes: 0 };
  /** Seats here were promised when the matchmaker placed the match: they do not count as new sessions (MAX_CCU). */
  override readonly newSessions = false;
  /** A player's strikes last for the match: a kicked player that rejoins has none left to spend. */
  protected override readonly strikesOutliveConnections = true;

  /**
   * No client request reserves a seat here (create, join, joinById): seats come from the matchmaker and
   * POST /sessions/:id/rejoin, which reserve them in-process, and reconnections, which run no onAuth. A seat
   * reserved through joinById would count against maxClients until it expired: anyone who read the room's id
   * (GET /sessions) could keep a match full and its players' rejoins refused.
   */
  static checkJoinOptions(): void {
    throw new AppError(
      ErrorCode.Forbidden,
      "arena seats come from the matchmaker or POST /sessions/:id/rejoin, never from a room request",
    );
  }

  override async onCreate(options: unknown): Promise<void> {
    const { signer, game } = this.context.arena;
    if (!signer.verify(options)) throw new ServerError(403, "arena rooms are created by the matchmaker only");
    const spec: MatchSpec = options.match;
    const restore = (options as { restore?: RestoreOptions }).restore;
    this.roomId = spec.sessionId;
    // Room for a rejoin next to a seat still held for reconnection; onJoin admits roster players only, once each.
    this.maxClients = 2 * spec.roster.filter((entry) => !entry.bot).length;
    this.autoDispose = false;
    this.setPrivate(true);
    this.tickMs = 1000 / game.tickRateHz;
    this.patchesPerTick = Math.min(1, game.patchRateHz / game.tickRateHz);
    this.messageLimits = { maxPerSecond: game.tickRateHz * 3, maxStrikes: 10 };

    const state = new ArenaState();
    state.tickRateHz = game.tickRateHz;
    this.setState(state);
    this.match = new ArenaMatch(
      spec,
      state,
      ARENA_MAP,
      DEFAULT_TUNING,
      {
        waitTimeoutMs: WAIT_TIMEOUT_MS,
        countdownMs: COUNTDOWN_MS,
        durationMs: game.matchDurationSec * 1000,
      },
      this.tickMs,
    );
    for (const entry of spec.roster) if (entry.bot) this.match.seat(entry.playerId, entry);
    this.views = new ArenaViews(state, VIEW_RADIUS);
    this.inputQueue = new InputQueue({
      capacity: 16,
      ratePerSec: game.tickRateHz * 1.25,
      slack: INPUT_SLACK,
      maxWaiting: MAX_WAITING_INPUTS,
    });
    this.epochAtTickZero = Date.now();
    if (restore === undefined) {
      void this.context.arena.sessions.opened(spec, matchMaker.processId);
    } else {
      // Recreated after its process died: continue from the latest snapshot, under the new epoch. Players come back
      // through POST /sessions/:id/rejoin, which hands each its seat.
      const record = await this.context.arena.sessions.snapshot(spec.sessionId, restore.version);
      if (record === undefined) throw new ServerError(404, `no snapshot ${restore.version} to restore`);
      this.match.restore(JSON.parse(record.state.toString("utf8")));
      this.epoch = restore.epoch;
      this.snapshotVersion = record.version;
      this.epochAtTickZero = Date.now() - this.match.world.timeMs;
      for (const player of this.state.players.values()) if (!player.bot) player.connected = false;
    }

    this.handle(ClientMessage.Input, InputMessage, (client, input) => {
      // Inputs sent in the moment after the end (the client had not heard of it yet) mean nothing: no strike.
      if (this.resultSent) return;
      const refusal = this.inputQueue.offer(client.sessionId, input, this.clock.currentTime);
      if (refusal !== undefined) this.strike(client, refusal);
    });
    this.blockLists = new BlockLists(this.context.chat.service, this.presence);
    this.handle(ClientMessage.Chat, ArenaChatMessage, (client, message) => this.chat(client, message));
    this.setFixedTimestep(() => this.tick(), game.tickRateHz);
    // Patches go out from the tick, right after the step that changed the state (PATCH_RATE_HZ of the ticks), not
    // from a timer of their own that would add up to one patch interval to every action's round trip.
    this.patchRate = null;
    this.clock.setInterval(() => this.probeLatency(), PING_INTERVAL_MS);
    this.clock.setInterval(() => void this.takeSnapshot(), game.snapshotIntervalMs);
    this.clock.setInterval(() => {
      this.leaseRenewal = this.renewLease();
    }, LEASE_RENEW_MS);
  }

  /**
   * SIGTERM (Colyseus calls this on every room, without waiting, and waits for the rooms to dispose): a live match
   * stops where it is, its final snapshot is stored and its lease released (at most HANDOFF_TIMEOUT_MS), then its
   * clients are closed with 4001 to rejoin wherever the match continues. A finished match just closes.
   */
  override async onBeforeShutdown(): Promise<void> {
    try {
      if (!this.resultSent) {
        const snapshot = this.serialise();
        // No step, renewal or snapshot after this one: the match continues elsewhere from exactly here.
        this.resultSent = true;
        await this.leaseRenewal;
        const handedOff = await this.context.arena.sessions.handOff(
          this.roomId,
          snapshot,
          this.epoch,
          HANDOFF_TIMEOUT_MS,
        );
        if (handedOff) this.log.info({ version: snapshot.version, tick: snapshot.tick }, "match handed off");
      }
    } finally {
      await this.disconnect(CloseCode.ServerShutdown).catch(() => undefined);
    }
  }

  /** Keeps this process' claim on the match; a lost claim (another process took it over) stops the match here. */
  private async renewLease(): Promise<void> {
    if (this.resultSent) return;
    if (await this.context.arena.sessions.renewLease(this.roomId, this.epoch)) {
      // A recovered match shares its room id with the room of the process it replaced; if that process comes back
      // (stalled, not dead) and disposes its room, it removes the shared listing. Re-publishing ours each second
      // keeps the match findable (for rejoins) within a second of that.
      if (this.epoch > 0) await this.setMetadata(this.metadata ?? {});
      return;
    }
    this.resultSent = true;
    this.log.warn({ epoch: this.epoch }, "the match was taken over by another process; stopping here");
    for (const client of [...this.clients]) client.leave(CloseCode.MayTryReconnect, "the match moved; rejoin it");
    void this.disconnect(CloseCode.MayTryReconnect);
  }

  /** Cumulative cost of interest management in this room (for metrics and benchmarks). */
  get interestStats(): InterestStats {
    return this.views.stats;
  }

  override onJoin(client: Client<{ auth: PlayerAuth }>): void {
    const playerId = client.auth?.playerId;
    if (playerId === undefined) throw new ServerError(401, "access token required");
    const entry = this.match.reservedEntry(playerId);
    if (entry !== undefined) {
      this.match.seat(client.sessionId, entry);
    } else {
      // A rejoin (POST /sessions/:id/rejoin): the player's seat passes to this connection if its old one is gone.
      const previous = this.match.seatOf(playerId);
      if (previous === undefined) throw new ServerError(403, "no seat in this match for this player");
      if (this.clients.some((other) => other !== client && other.sessionId === previous)) {
        throw new ServerError(409, "this player is already connected to the match");
      }
      this.inputQueue.forget(previous);
      this.views.detach(previous);
      this.match.reseat(previous, client.sessionId);
      // The player is back through a fresh seat: the old connection's reconnection seat is of no further use.
      this.releaseHeldSeat(previous);
    }
    const seated = this.match.seats.get(client.sessionId)!.entry;
    this.match.setViewDelay(client.sessionId, CLIENT_INTERPOLATION_MS);
    this.views.attach(client);
    void this.blockLists.attach(client.sessionId, seated.playerId);
    this.log.info({ playerId: seated.playerId, sessionId: client.sessionId }, "player joined the arena");
    void this.context.arena.sessions.joined(this.roomId, seated.playerId);
  }

  override onDrop(client: Client<{ auth: PlayerAuth }>): void {
    const player = this.state.players.get(client.sessionId);
    if (player !== undefined) player.connected = false;
    this.views.detach(client.sessionId);
    if (this.state.phase === "ended") return;
    // A kicked, logged-out or banned client holds no seat: Colyseus calls onLeave right after.
    if (this.holdSeat(client, this.context.arena.game.reconnectWindowSec)) {
      this.log.info(this.who(client), "player dropped; seat held for reconnection");
    }
  }

  /**
   * A seat for POST /sessions/:id/rejoin (called through `remoteRoomCall` on whichever process runs the match):
   * the player's earlier pending seats are withdrawn in the same turn as the new one is reserved, so a player holds
   * at most one however many requests it sends at once. Returns the seat's session id, or false when the room is
   * full.
   */
  async reserveRejoinSeat(player: PlayerAuth): Promise<string | false> {
    this.releasePendingSeats(player.playerId);
    const sessionId = generateId();
    // Colyseus' own reservation (what matchMaker.reserveSeatFor calls remotely): it records the seat synchronously.
    const room = this as unknown as { _reserveSeat(id: string, options: unknown, auth: unknown): Promise<boolean> };
    return (await room._reserveSeat(sessionId, {}, player)) ? sessionId : false;
  }

  /**
   * Withdraws the pending (reserved, not yet used) seats of `playerId`. Seats held for reconnection and seats being
   * consumed are kept. Returns how many were withdrawn.
   */
  private releasePendingSeats(playerId: string): number {
    // Colyseus' reservations (internal to Room): sessionId → [join options, auth, consumed, held for reconnection].
    // A withdrawn seat's own timer still runs out and settles the listing's client count as it would have.
    const seats = (this as unknown as { _reservedSeats: Record<string, [unknown, PlayerAuth?, boolean?, boolean?]> })
      ._reservedSeats;
    let released = 0;
    for (const [sessionId, [, auth, consumed, reconnection]] of Object.entries(seats)) {
      if (auth?.playerId !== playerId || consumed === true || reconnection === true) continue;
      delete seats[sessionId];
      released += 1;
    }
    return released;
  }

  override onReconnect(client: Client<{ auth: PlayerAuth }>): void {
    const player = this.state.players.get(client.sessionId);
    if (player !== undefined) player.connected = true;
    this.views.attach(client);
    this.views.refresh();
    this.log.info(this.who(client), "player reconnected");
  }

  override onLeave(client: Client<{ auth: PlayerAuth }>): void {
    // The player stays in the match (it counts for the result) but no longer sends inputs.
    const player = this.state.players.get(client.sessionId);
    if (player !== undefined) player.connected = false;
    this.views.detach(client.sessionId);
    this.inputQueue.forget(client.sessionId);
    this.rttMs.delete(client.sessionId);
    void this.blockLists.detach(client.sessionId);
    this.forgetClient(client);
    this.log.info(this.who(client), "player left the arena");
  }

  /** Match chat: `all` reaches everyone, `team` only the sender's team; never a player who blocked the sender. */
  private async chat(
    client: Client<{ auth: PlayerAuth }>,
    message: { channel: "all" | "team"; text: string },
  ): Promise<void> {
    const sender = this.state.players.get(client.sessionId);
    if (sender === undefined) return;
    let text: string;
    try {
      text = await this.context.chat.service.admit(sender.playerId, message.text);
    } catch (error) {
      if (error instanceof ChatRefusal) {
        this.sendError(client, error.code, error.message);
        return;
      }
      throw error;
    }
    const payload = {
      from: sender.playerId,
      username: sender.username,
      channel: message.channel,
      text,
      at: Date.now(),
    };
    for (const other of this.clients) {
      const recipient = this.state.players.get(other.sessionId);
      if (recipient === undefined) continue;
      if (message.channel === "team" && recipient.team !== sender.team) continue;
      if (this.blockLists.blocks(other.sessionId, sender.playerId)) continue;
      other.send(ServerMessage.Chat, payload);
    }
  }

  private tick(): void {
    if (!this.resultSent) this.step();
    this.patchDue += this.patchesPerTick;
    if (this.patchDue >= 1 - 1e-9) {
      this.patchDue -= 1;
      this.broadcastPatch();
    }
  }

  private step(): void {
    const startedAt = performance.now();
    const { started, ended, removedProjectiles } = this.match.tick((key) => this.inputQueue.take(key));
    if (started) void this.context.arena.sessions.started(this.roomId, new Date());
    for (const key of removedProjectiles) this.views.dropProjectile(key);
    if (this.state.tick % VIEW_REFRESH_TICKS === 0) this.views.refresh();
    this.context.metrics.tickDuration.observe({ room: this.roomName }, (performance.now() - startedAt) / 1000);
    if (this.inputQueue.staleDropped > 0) {
      this.context.metrics.staleInputs.inc(this.inputQueue.staleDropped);
      this.inputQueue.staleDropped = 0;
    }
    if (ended) void this.finish();
  }

  /** Emits the MatchResult exactly once, tells the clients, and closes the room shortly after. */
  private async finish(): Promise<void> {
    this.resultSent = true;
    this.lock();
    const humans = this.match.spec.roster.filter((entry) => !entry.bot).map((entry) => entry.playerId);
    void this.context.arena.sessions.ended(this.roomId, humans, new Date());
    if (this.match.cancelled) {
      await this.cancel();
      return;
    }
    const result = { ...this.match.result(this.epochAtTickZero), epoch: this.epoch };
    let changes: RatingChange[] = [];
    try {
      changes = await this.context.arena.results.submit(result);
    } catch (error) {
      this.log.error({ err: error }, "could not record the match result");
    }
    const ratingOf = new Map(changes.map((change) => [change.playerId, change]));
    this.broadcast(ServerMessage.MatchEnd, {
      sessionId: result.sessionId,
      results: result.players.map((p) => ({
        playerId: p.playerId,
        username: p.username,
        team: p.team,
        placement: p.placement,
        kills: p.kills,
        deaths: p.deaths,
        ratingBefore: ratingOf.get(p.playerId)?.ratingBefore ?? null,
        ratingAfter: ratingOf.get(p.playerId)?.ratingAfter ?? null,
      })),
    });
    this.clock.setTimeout(() => {
      for (const client of [...this.clients]) client.leave(CloseCode.MatchEnded, "match ended");
      void this.disconnect(CloseCode.MatchEnded);
    }, LINGER_AFTER_END_MS);
  }

  /** Too few players came: no result; those present keep their place in the queue and are told to search again. */
  private async cancel(): Promise<void> {
    const present = [...this.match.seats.values()].filter((seat) => !seat.entry.bot);
    this.log.info(
      { noShows: this.match.noShows.map((entry) => entry.playerId) },
      "match cancelled: too few players arrived",
    );
    await this.context.matchmaking.matchmaker.rememberWait(
      present.map((seat) => ({ playerId: seat.entry.playerId, since: seat.entry.queuedSince ?? Date.now() })),
    );
    for (const client of [...this.clients])
      client.leave(CloseCode.MatchCancelled, "too few players arrived; search again");
    void this.disconnect(CloseCode.MatchCancelled);
  }

  /** Serialises the match (synchronously, between ticks) and hands the bytes to the session store. */
  private takeSnapshot(): void {
    if (this.resultSent) return;
    const { version, tick, state } = this.serialise();
    void this.context.arena.sessions.saveSnapshot(this.roomId, version, tick, state, this.epoch);
  }

  /** The match's next snapshot version, serialised now. */
  private serialise(): { version: number; tick: number; state: Buffer } {
    const started = performance.now();
    const bytes = Buffer.from(JSON.stringify(this.match.snapshot()));
    const elapsedMs = performance.now() - started;
    this.snapshotStats.count += 1;
    this.snapshotStats.totalMs += elapsedMs;
    this.context.metrics.snapshotDuration.observe(elapsedMs / 1000);
    this.snapshotStats.bytes = bytes.length;
    this.snapshotVersion += 1;
    return { version: this.snapshotVersion, tick: this.state.tick, state: bytes };
  }

  /** Admin rollback (called through `remoteRoomCall`): the match returns to snapshot `version` for every client. */
  async rollback(version: number): Promise<{ version: number; tick: number }> {
    // An ended match has delivered its result: rolling it back could count it twice.
    if (this.resultSent) throw new Error("the match has ended");
    const record = await this.context.arena.sessions.snapshot(this.roomId, version);
    if (record === undefined) throw new Error(`no snapshot version ${version}`);
    const { removedProjectiles } = this.match.restore(JSON.parse(record.state.toString("utf8")));
    for (const key of removedProjectiles) this.views.dropProjectile(key);
    this.views.refresh();
    this.log.warn({ version, tick: record.tick }, "match rolled back by an admin");
    return { version, tick: record.tick };
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
