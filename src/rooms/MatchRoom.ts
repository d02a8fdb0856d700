/**
 * The generic match room: everything a match needs whatever its game. A game's room extends it and implements only
 * its rules (see the abstract hooks and docs/GAMES.md); the framework owns:
 *
 * - the signed spec (a match room is created by the matchmaker or recovery only; no client request reserves a seat),
 *   seats and roster (each human takes its reserved seat once; a rejoin takes its seat over from the old connection),
 * - the session record in order (opened → started → ended), leases renewed every second and fencing (a match taken
 *   over by another process stops here), reconnection seats held for dropped players,
 * - snapshots in a framework-owned envelope (game id, spec, seats, the game's format version and its payload),
 *   restore on recovery, and the admin rollback,
 * - finish (the result exactly once under the game's result policy, `matchEnd` with outcomes and rating changes,
 *   close 4105) and cancel (close 4106, queue places kept),
 * - match chat (`all` and `team`, block lists, an audience hook),
 * - the SIGTERM hand-off (final snapshot, lease released, clients told 4001),
 * - the clocks: a fixed-step tick with patch scheduling for real-time games ({@link runFixedStep}), patches on
 *   change and turn timers for turn-based ones ({@link patchOnChange}, {@link TurnTimer}).
 */
import { type Client, generateId, matchMaker, ServerError } from "@colyseus/core";
import type { Schema } from "@colyseus/schema";
import { AppError } from "../errors.ts";
import { MatchChatMessage, ClientMessage, CloseCode, ErrorCode, ServerMessage } from "../protocol.ts";
import { ChatRefusal } from "../services/chat/ChatService.ts";
import type { GameDefinition, ModeDefinition, Outcome } from "../services/games/GameDefinition.ts";
import type { MatchResult, MatchResultPlayer, RatingChange } from "../services/matches/MatchResults.ts";
import type { MatchSpec, RosterEntry } from "../services/matches/MatchTicket.ts";
import type { MatchRoomRemote } from "../services/matches/MatchRoomRemote.ts";
import type { RestoreOptions } from "../services/sessions/RecoveryService.ts";
import { BaseRoom, type PlayerAuth } from "./BaseRoom.ts";
import { BlockLists } from "./chat/BlockLists.ts";

/** How often the room renews its session lease (SESSION_LEASE_MS is 3 s). */
const LEASE_RENEW_MS = 1_000;
/** How long SIGTERM waits for a live match's final snapshot and lease release before closing its clients anyway. */
const HANDOFF_TIMEOUT_MS = 2_000;
/** How long clients stay after matchEnd before the room closes them. */
const LINGER_AFTER_END_MS = 2_000;

/** One seat of the match: its key (the client's sessionId, or the bot's playerId) and its roster entry. */
export interface Seat {
  key: string;
  entry: RosterEntry;
}

/** Version of the envelope itself. */
export const ENVELOPE_VERSION = 1;

/** What a snapshot stores: the framework's part and the game's own payload, versioned by the game. */
export interface SnapshotEnvelope<P = unknown> {
  envelope: typeof ENVELOPE_VERSION;
  game: string;
  spec: MatchSpec;
  seats: Seat[];
  /** The game's payload format (its `snapshotFormat` when stored). */
  format: number;
  payload: P;
}

/**
 * Reads a stored snapshot. Snapshots stored before the envelope existed are the default game's own payload, with
 * the spec and seats inside it: they are read as that game's payload in its format.
 */
export function openEnvelope(bytes: Buffer, defaultGame: string): SnapshotEnvelope {
  const data = JSON.parse(bytes.toString("utf8")) as Partial<SnapshotEnvelope> & { seats?: Seat[]; format?: number };
  if (data.envelope === ENVELOPE_VERSION) return data as SnapshotEnvelope;
  return {
    envelope: ENVELOPE_VERSION,
    game: defaultGame,
    spec: data.spec as MatchSpec,
    seats: data.seats ?? [],
    format: data.format ?? 1,
    payload: data,
  };
}

/** What a game hands to {@link MatchRoom.finish}: its standings; the framework adds the match's own fields. */
export interface FinishedMatch {
  players: MatchResultPlayer[];
  /** Epoch ms. */
  startedAt: number;
  endedAt: number;
  durationMs: number;
}

/** Settings every match room reads from the configuration. */
export interface MatchSettings {
  tickRateHz: number;
  patchRateHz: number;
  matchDurationSec: number;
  reconnectWindowSec: number;
  snapshotIntervalMs: number;
  /** Turn-based games: how long a player has for its move (TURN_TIME_SEC). */
  turnTimeSec: number;
}

/**
 * A turn timer on the room's clock: `start(ms, onExpire)` (re)arms it, `remainingMs` is what a state shows.
 * Paused and cleared with the room, like every clock timer.
 */
export class TurnTimer {
  private timer: { clear(): void } | undefined;
  private endsAt = 0;

  constructor(private readonly clock: BaseRoom["clock"]) {}

  start(ms: number, onExpire: () => void): void {
    this.stop();
    this.endsAt = this.clock.currentTime + ms;
    this.timer = this.clock.setTimeout(() => {
      this.timer = undefined;
      onExpire();
    }, ms);
  }

  stop(): void {
    this.timer?.clear();
    this.timer = undefined;
  }

  get running(): boolean {
    return this.timer !== undefined;
  }

  get remainingMs(): number {
    return this.running ? Math.max(0, this.endsAt - this.clock.currentTime) : 0;
  }
}

export abstract class MatchRoom<S extends Schema, P = unknown>
  extends BaseRoom<{
    state: S;
    client: Client<{ auth: PlayerAuth }>;
  }>
  implements MatchRoomRemote
{
  /** The signed spec this match was created with. */
  protected spec!: MatchSpec;
  protected game!: GameDefinition;
  protected mode!: ModeDefinition;
  protected settings!: MatchSettings;
  /** Seats by key: bots from the start, humans as they join. */
  protected readonly seats = new Map<string, Seat>();
  /** Set once the match finished or was cancelled: no seat is held for a player that drops after it. */
  private over = false;
  /** Set when this process stops running the match (over, handed off, or taken over): no step, no snapshot. */
  private stopped = false;
  private snapshotVersion = 0;
  /** The session epoch this process holds the match under (0 when created; +1 at every recovery). */
  private epoch = 0;
  /** The lease renewal under way, if any: a hand-off waits for it, so no renewal lands after the release. */
  private leaseRenewal: Promise<void> | undefined;
  private blockLists!: BlockLists;
  /** Patches per tick (PATCH_RATE_HZ / TICK_RATE_HZ, at most 1) and the fraction of a patch accumulated. */
  private patchesPerTick = 1;
  private patchDue = 0;
  /** Serialisation cost of snapshots so far (the write itself is asynchronous, off the tick). */
  readonly snapshotStats = { count: 0, totalMs: 0, bytes: 0 };
  /** Seats here were promised when the matchmaker placed the match: they do not count as new sessions (MAX_CCU). */
  override readonly newSessions = false;
  /** A player's strikes last for the match: a kicked player that rejoins has none left to spend. */
  protected override readonly strikesOutliveConnections = true;

  // ----- what a game implements -----

  /** The version of the payload {@link serialiseGame} returns; {@link restoreGame} receives the stored one. */
  protected abstract readonly snapshotFormat: number;

  /** Sets up a new match from its spec (its seed included): the state and the game's own objects. */
  protected abstract setUpGame(spec: MatchSpec): void;

  /** Seats a participant: a bot when the match is created, a human when it first joins. */
  protected abstract seatPlayer(key: string, entry: RosterEntry): void;

  /** Moves a seated human to a new key: a new connection took the player over after a rejoin. */
  protected abstract reseatPlayer(oldKey: string, newKey: string): void;

  /** Shows a seated player as connected or not (the state's `connected`). */
  protected abstract setConnected(key: string, connected: boolean): void;

  /** The game's state as JSON-serialisable data, between ticks or moves. */
  protected abstract serialiseGame(): P;

  /**
   * Returns the game to a stored payload of `format`: after a crash (`recovery`, on a fresh room) or by an admin
   * (`rollback`, on the running room). {@link seats} already hold the snapshot's seats. Throw for a payload the game
   * cannot trust; the restore is then refused.
   */
  protected abstract restoreGame(payload: P, format: number, reason: "recovery" | "rollback"): void;

  /** A human's connection is seated (first join, or a rejoin that took the seat over). */
  protected onPlayerSeated(_client: Client<{ auth: PlayerAuth }>, _key: string): void {}

  /** A seated player's connection dropped (its seat may be held for reconnection). */
  protected onPlayerDropped(_client: Client<{ auth: PlayerAuth }>, _key: string): void {}

  /** A dropped connection came back within the reconnection window. */
  protected onPlayerReconnected(_client: Client<{ auth: PlayerAuth }>, _key: string): void {}

  /** A connection left for good (its seat stays in the match: it counts for the result). */
  protected onPlayerLeft(_client: Client<{ auth: PlayerAuth }>, _key: string): void {}

  /** Who receives a chat message: `all` everyone, `team` the sender's team. A game may narrow it. */
  protected chatAudience(sender: Seat, recipient: Seat, channel: "all" | "team"): boolean {
    return channel === "all" || recipient.entry.team === sender.entry.team;
  }

  // ----- the framework -----

  /**
   * No client request reserves a seat here (create, join, joinById): seats come from the matchmaker and
   * POST /sessions/:id/rejoin, which reserve them in-process, and reconnections, which run no onAuth. A seat
   * reserved through joinById would count against maxClients until it expired: anyone who read the room's id
   * (GET /sessions) could keep a match full and its players' rejoins refused.
   */
  static checkJoinOptions(): void {
    throw new AppError(
      ErrorCode.Forbidden,
      "match seats come from the matchmaker or POST /sessions/:id/rejoin, never from a room request",
    );
  }

  override async onCreate(options: unknown): Promise<void> {
    const { signer, settings } = this.context.matches;
    const { games } = this.context;
    if (!signer.verify(options)) throw new ServerError(403, "match rooms are created by the matchmaker only");
    const spec: MatchSpec = options.match;
    const gameId = spec.game ?? games.defaultGame.id;
    const game = games.get(gameId);
    const mode = games.mode(gameId, spec.mode);
    if (game === undefined || gameId !== this.roomName || mode === undefined) {
      throw new ServerError(400, `a ${spec.game ?? "default-game"} ${spec.mode} match cannot run in ${this.roomName}`);
    }
    this.spec = spec;
    this.game = game;
    this.mode = mode;
    this.settings = settings;
    const restore = (options as { restore?: RestoreOptions }).restore;
    this.roomId = spec.sessionId;
    // Room for a rejoin next to a seat still held for reconnection; onJoin admits roster players only, once each.
    this.maxClients = 2 * spec.roster.filter((entry) => !entry.bot).length;
    this.autoDispose = false;
    this.setPrivate(true);
    this.setUpGame(spec);
    for (const entry of spec.roster) if (entry.bot) this.takeSeat(entry.playerId, entry);
    if (restore === undefined) {
      void this.context.matches.sessions.opened(spec, matchMaker.processId, game.id);
    } else {
      // Recreated after its process died: continue from the stored snapshot, under the new epoch. Players come back
      // through POST /sessions/:id/rejoin, which hands each its seat.
      const record = await this.context.matches.sessions.snapshot(spec.sessionId, restore.version);
      if (record === undefined) throw new ServerError(404, `no snapshot ${restore.version} to restore`);
      this.applySnapshot(openEnvelope(record.state, games.defaultGame.id), "recovery");
      this.epoch = restore.epoch;
      this.snapshotVersion = record.version;
      for (const seat of this.seats.values()) if (!seat.entry.bot) this.setConnected(seat.key, false);
    }
    this.blockLists = new BlockLists(this.context.chat.service, this.presence);
    this.handle(ClientMessage.Chat, MatchChatMessage, (client, message) => this.chat(client, message));
    this.clock.setInterval(() => this.takeSnapshot(), settings.snapshotIntervalMs);
    this.clock.setInterval(() => {
      this.leaseRenewal = this.renewLease();
    }, LEASE_RENEW_MS);
  }

  /** True once the match finished or was cancelled. */
  protected get isOver(): boolean {
    return this.over;
  }

  /** True once this process no longer runs the match (over, handed off at SIGTERM, or taken over elsewhere). */
  protected get isStopped(): boolean {
    return this.stopped;
  }

  /** The seat of a human player, if it has one. */
  protected seatOf(playerId: string): Seat | undefined {
    for (const seat of this.seats.values()) if (seat.entry.playerId === playerId && !seat.entry.bot) return seat;
    return undefined;
  }

  /** Humans whose seats were reserved but who never joined. */
  protected get noShows(): RosterEntry[] {
    const seated = new Set([...this.seats.values()].map((seat) => seat.entry.playerId));
    return this.spec.roster.filter((entry) => !entry.bot && !seated.has(entry.playerId));
  }

  /** Every roster seat is taken. */
  protected get allSeated(): boolean {
    return this.seats.size >= this.spec.roster.length;
  }

  private takeSeat(key: string, entry: RosterEntry): void {
    this.seats.set(key, { key, entry });
    this.seatPlayer(key, entry);
  }

  override onJoin(client: Client<{ auth: PlayerAuth }>): void {
    const playerId = client.auth?.playerId;
    if (playerId === undefined) throw new ServerError(401, "access token required");
    const previous = this.seatOf(playerId);
    if (previous === undefined) {
      const entry = this.spec.roster.find((e) => e.playerId === playerId && !e.bot);
      if (entry === undefined) throw new ServerError(403, "no seat in this match for this player");
      this.takeSeat(client.sessionId, entry);
    } else {
      // A rejoin (POST /sessions/:id/rejoin): the player's seat passes to this connection if its old one is gone.
      if (this.clients.some((other) => other !== client && other.sessionId === previous.key)) {
        throw new ServerError(409, "this player is already connected to the match");
      }
      this.seats.delete(previous.key);
      this.seats.set(client.sessionId, { key: client.sessionId, entry: previous.entry });
      this.reseatPlayer(previous.key, client.sessionId);
      // The player is back through a fresh seat: the old connection's reconnection seat is of no further use.
      this.releaseHeldSeat(previous.key);
    }
    this.onPlayerSeated(client, client.sessionId);
    void this.blockLists.attach(client.sessionId, playerId);
    this.log.info({ playerId, sessionId: client.sessionId }, "player joined the match");
    void this.context.matches.sessions.joined(this.roomId, playerId);
  }

  override onDrop(client: Client<{ auth: PlayerAuth }>): void {
    this.setConnected(client.sessionId, false);
    this.onPlayerDropped(client, client.sessionId);
    if (this.over) return;
    // A kicked, logged-out or banned client holds no seat: Colyseus calls onLeave right after.
    if (this.holdSeat(client, this.settings.reconnectWindowSec)) {
      this.log.info(this.who(client), "player dropped; seat held for reconnection");
    }
  }

  override onReconnect(client: Client<{ auth: PlayerAuth }>): void {
    this.setConnected(client.sessionId, true);
    this.onPlayerReconnected(client, client.sessionId);
    this.log.info(this.who(client), "player reconnected");
  }

  override onLeave(client: Client<{ auth: PlayerAuth }>): void {
    // The player stays in the match (it counts for the result) but no longer plays.
    this.setConnected(client.sessionId, false);
    this.onPlayerLeft(client, client.sessionId);
    void this.blockLists.detach(client.sessionId);
    this.forgetClient(client);
    this.log.info(this.who(client), "player left the match");
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

  /** The match went live: recorded on the session. */
  protected matchStarted(): void {
    void this.context.matches.sessions.started(this.roomId, new Date());
  }

  /**
   * Ends the match with a result, exactly once: the session is ended, the result stored under the game's policy,
   * `matchEnd` tells every client (outcomes and rating changes), and the room closes them with 4105 shortly after.
   */
  protected async finish(finished: FinishedMatch): Promise<void> {
    if (!this.end()) return;
    const result: MatchResult = {
      sessionId: this.spec.sessionId,
      game: this.game.id,
      mode: this.spec.mode,
      region: this.spec.region,
      seed: this.spec.seed,
      durationMs: finished.durationMs,
      startedAt: finished.startedAt,
      endedAt: finished.endedAt,
      rated: finished.players.every((p) => !p.bot),
      epoch: this.epoch,
      players: finished.players,
    };
    const outcomes = this.context.games.outcomes(result);
    let changes: RatingChange[] = [];
    try {
      changes = await this.context.matches.results.submit(result);
    } catch (error) {
      this.log.error({ err: error }, "could not record the match result");
    }
    const ratingOf = new Map(changes.map((change) => [change.playerId, change]));
    this.broadcast(ServerMessage.MatchEnd, {
      sessionId: result.sessionId,
      results: result.players.map(({ bot: _bot, ...player }) => ({
        ...player,
        outcome: outcomes.get(player.playerId) ?? ("loss" satisfies Outcome),
        ratingBefore: ratingOf.get(player.playerId)?.ratingBefore ?? null,
        ratingAfter: ratingOf.get(player.playerId)?.ratingAfter ?? null,
      })),
    });
    this.clock.setTimeout(() => {
      for (const client of [...this.clients]) client.leave(CloseCode.MatchEnded, "match ended");
      void this.disconnect(CloseCode.MatchEnded);
    }, LINGER_AFTER_END_MS);
  }

  /** Calls the match off without a result: those present keep their place in the queue and are told (4106). */
  protected async cancel(reason: string): Promise<void> {
    if (!this.end()) return;
    const present = [...this.seats.values()].filter((seat) => !seat.entry.bot);
    this.log.info({ noShows: this.noShows.map((entry) => entry.playerId), reason }, "match cancelled");
    await this.context.matchmaking.matchmaker.rememberWait(
      present.map((seat) => ({ playerId: seat.entry.playerId, since: seat.entry.queuedSince ?? Date.now() })),
    );
    for (const client of [...this.clients]) client.leave(CloseCode.MatchCancelled, reason);
    void this.disconnect(CloseCode.MatchCancelled);
  }

  /** Marks the match over and its session ended; false when it was already over or stopped. */
  private end(): boolean {
    if (this.stopped) return false;
    this.stopped = true;
    this.over = true;
    this.lock();
    const humans = this.spec.roster.filter((entry) => !entry.bot).map((entry) => entry.playerId);
    void this.context.matches.sessions.ended(this.roomId, humans, new Date());
    return true;
  }

  /**
   * Steps a real-time game at `tickRateHz` on the room's fixed timestep, and sends patches from the tick, right
   * after the step that changed the state (`patchRateHz` of the ticks), not from a timer of their own that would
   * add up to one patch interval to every action's round trip. Steps stop once the match stopped; patches go on.
   */
  protected runFixedStep(tickRateHz: number, patchRateHz: number, step: () => void): void {
    this.patchesPerTick = Math.min(1, patchRateHz / tickRateHz);
    this.setFixedTimestep(() => {
      if (!this.stopped) step();
      this.patchDue += this.patchesPerTick;
      if (this.patchDue >= 1 - 1e-9) {
        this.patchDue -= 1;
        this.broadcastPatch();
      }
    }, tickRateHz);
    // After the timestep exists: without one, Colyseus would replace the patch timer with a clock ticker of its own
    // that takes the measured time from the fixed step (which would then run at a fraction of its rate).
    this.patchRate = null;
  }

  /** Turn-based games: no patch timer; {@link changed} sends the patch right after each change. */
  protected patchOnChange(): void {
    this.patchRate = null;
  }

  /** Sends the state's changes now (after a move, a turn timer). */
  protected changed(): void {
    this.broadcastPatch();
  }

  /** Stores a snapshot now (turn-based games after each move), besides the periodic ones. */
  protected snapshotNow(): void {
    this.takeSnapshot();
  }

  /**
   * SIGTERM (Colyseus calls this on every room, without waiting, and waits for the rooms to dispose): a live match
   * stops where it is, its final snapshot is stored and its lease released (at most HANDOFF_TIMEOUT_MS), then its
   * clients are closed with 4001 to rejoin wherever the match continues. A finished match just closes.
   */
  override async onBeforeShutdown(): Promise<void> {
    try {
      if (!this.stopped) {
        const snapshot = this.serialise();
        // No step, renewal or snapshot after this one: the match continues elsewhere from exactly here.
        this.stopped = true;
        await this.leaseRenewal;
        const handedOff = await this.context.matches.sessions.handOff(
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
    if (this.stopped) return;
    if (await this.context.matches.sessions.renewLease(this.roomId, this.epoch)) {
      // A recovered match shares its room id with the room of the process it replaced; if that process comes back
      // (stalled, not dead) and disposes its room, it removes the shared listing. Re-publishing ours each second
      // keeps the match findable (for rejoins) within a second of that.
      if (this.epoch > 0) await this.setMetadata(this.metadata ?? {});
      return;
    }
    this.stopped = true;
    this.log.warn({ epoch: this.epoch }, "the match was taken over by another process; stopping here");
    for (const client of [...this.clients]) client.leave(CloseCode.MayTryReconnect, "the match moved; rejoin it");
    void this.disconnect(CloseCode.MayTryReconnect);
  }

  /** Match chat: to the audience of the channel; never to a player who blocked the sender. */
  private async chat(
    client: Client<{ auth: PlayerAuth }>,
    message: { channel: "all" | "team"; text: string },
  ): Promise<void> {
    const sender = this.seats.get(client.sessionId);
    if (sender === undefined) return;
    let text: string;
    try {
      text = await this.context.chat.service.admit(sender.entry.playerId, message.text);
    } catch (error) {
      if (error instanceof ChatRefusal) {
        this.sendError(client, error.code, error.message);
        return;
      }
      throw error;
    }
    const payload = {
      from: sender.entry.playerId,
      username: sender.entry.username,
      channel: message.channel,
      text,
      at: Date.now(),
    };
    for (const other of this.clients) {
      const recipient = this.seats.get(other.sessionId);
      if (recipient === undefined) continue;
      if (!this.chatAudience(sender, recipient, message.channel)) continue;
      if (this.blockLists.blocks(other.sessionId, sender.entry.playerId)) continue;
      other.send(ServerMessage.Chat, payload);
    }
  }

  /** Serialises the match (synchronously, between ticks) and hands the bytes to the session store. */
  private takeSnapshot(): void {
    if (this.stopped) return;
    const { version, tick, state } = this.serialise();
    void this.context.matches.sessions.saveSnapshot(this.roomId, version, tick, state, this.epoch);
  }

  /** The state's `tick` when it has one (real-time games), else the snapshot version: the snapshot's position. */
  protected get position(): number {
    const tick = (this.state as unknown as { tick?: unknown }).tick;
    return typeof tick === "number" ? tick : this.snapshotVersion;
  }

  /** The match's next snapshot version, serialised now. */
  private serialise(): { version: number; tick: number; state: Buffer } {
    const started = performance.now();
    this.snapshotVersion += 1;
    const envelope: SnapshotEnvelope<P> = {
      envelope: ENVELOPE_VERSION,
      game: this.game.id,
      spec: this.spec,
      seats: [...this.seats.values()],
      format: this.snapshotFormat,
      payload: this.serialiseGame(),
    };
    const bytes = Buffer.from(JSON.stringify(envelope));
    const elapsedMs = performance.now() - started;
    this.snapshotStats.count += 1;
    this.snapshotStats.totalMs += elapsedMs;
    this.context.metrics.snapshotDuration.observe({ room: this.roomName }, elapsedMs / 1000);
    this.snapshotStats.bytes = bytes.length;
    return { version: this.snapshotVersion, tick: this.position, state: bytes };
  }

  private applySnapshot(envelope: SnapshotEnvelope, reason: "recovery" | "rollback"): void {
    if (envelope.game !== this.game.id) {
      throw new Error(`snapshot of game ${envelope.game} cannot be restored in ${this.game.id}`);
    }
    // Seats first: the game rebuilds its state's players from them. A payload the game refuses changes nothing.
    const before = [...this.seats.values()];
    this.seats.clear();
    for (const seat of envelope.seats) this.seats.set(seat.key, seat);
    try {
      this.restoreGame(envelope.payload as P, envelope.format, reason);
    } catch (error) {
      this.seats.clear();
      for (const seat of before) this.seats.set(seat.key, seat);
      throw error;
    }
    if (reason === "rollback") this.keepConnections(before);
  }

  /**
   * After a rollback: a rollback moves the game back, not the connections. A player whose seat a rejoin passed to a
   * new connection after the snapshot keeps playing through that connection (the snapshot names the old one, which
   * is gone: its moves would be ignored and its leaving would forfeit nobody).
   */
  private keepConnections(current: readonly Seat[]): void {
    for (const seat of current) {
      if (seat.entry.bot) continue;
      const stored = this.seatOf(seat.entry.playerId);
      if (stored === undefined || stored.key === seat.key) continue;
      this.seats.delete(stored.key);
      this.seats.set(seat.key, { key: seat.key, entry: stored.entry });
      this.reseatPlayer(stored.key, seat.key);
      this.setConnected(
        seat.key,
        this.clients.some((client) => client.sessionId === seat.key),
      );
    }
  }

  /** Admin rollback (called through `remoteRoomCall`): the match returns to snapshot `version` for every client. */
  async rollback(version: number): Promise<{ version: number; tick: number }> {
    // An ended match has delivered its result: rolling it back could count it twice.
    if (this.stopped) throw new Error("the match has ended");
    const record = await this.context.matches.sessions.snapshot(this.roomId, version);
    if (record === undefined) throw new Error(`no snapshot version ${version}`);
    this.applySnapshot(openEnvelope(record.state, this.context.games.defaultGame.id), "rollback");
    this.log.warn({ version, tick: record.tick }, "match rolled back by an admin");
    return { version, tick: record.tick };
  }
}
