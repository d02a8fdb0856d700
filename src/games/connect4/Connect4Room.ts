/**
 * Connect Four on the generic match room: a turn-based game. The framework brings seats, rejoin, sessions,
 * snapshots, recovery, rollback, chat, results and ratings; this room only applies the rules (rules.ts) to the
 * seats' moves, runs the turn timer (a seat that lets it run out forfeits), plays the bot's seat (bot.ts), and copies
 * the rules' state into the synchronised state after each change.
 *
 * Seats: which roster entry plays seat 1 (and so moves first) follows the match's seed. A player that leaves for
 * good (quits, or its reconnection window ran out) forfeits; one that dropped keeps its seat while its turn timer
 * runs.
 */
import type { Client } from "@colyseus/core";
import { type RngState, seedRng } from "../../logic/rng.ts";
import type { PlayerAuth } from "../../rooms/BaseRoom.ts";
import { MatchRoom, TurnTimer } from "../../rooms/MatchRoom.ts";
import type { MatchResultPlayer } from "../../services/matches/MatchResults.ts";
import type { MatchSpec, RosterEntry } from "../../services/matches/MatchTicket.ts";
import { botMove } from "./bot.ts";
import { Connect4Player, Connect4State } from "./Connect4State.ts";
import { Connect4ErrorCode, Connect4Message, MoveMessage } from "./protocol.ts";
import * as rules from "./rules.ts";

/** How long the room waits for both players before calling the match off. */
const WAIT_TIMEOUT_MS = 15_000;
/** How long the bot "thinks" before its move (it needs a few milliseconds; players need to see the turn change). */
const BOT_DELAY_MS = 700;
/** Version of this room's snapshot payload. */
const CONNECT4_PAYLOAD_FORMAT = 1;

type Phase = "waiting" | "active" | "ended";

/** What a snapshot stores of a Connect Four match. */
export interface Connect4Payload {
  /** The rules' state (its own format inside). */
  game: rules.Connect4Snapshot;
  phase: Phase;
  /** The bot's random state. */
  rng: RngState;
  /** When the game went active (epoch ms), null before. */
  startedAt: number | null;
}

export class Connect4Room extends MatchRoom<Connect4State, Connect4Payload> {
  protected readonly snapshotFormat = CONNECT4_PAYLOAD_FORMAT;
  private play: rules.Connect4State = rules.createGame();
  private phase: Phase = "waiting";
  private rng!: RngState;
  private startedAt: number | null = null;
  private turnTimer!: TurnTimer;
  private botTurn: { clear(): void } | undefined;

  protected setUpGame(spec: MatchSpec): void {
    this.setState(new Connect4State());
    this.rng = seedRng(spec.seed);
    this.turnTimer = new TurnTimer(this.clock);
    this.messageLimits = { maxPerSecond: 10, maxStrikes: 10 };
    this.patchOnChange();
    this.handleGameMessage(Connect4Message.Move, MoveMessage, (client, message) => this.move(client, message.column));
    this.clock.setInterval(() => this.showTimeLeft(), 250);
    this.clock.setTimeout(() => {
      if (this.phase === "waiting" && !this.isStopped) void this.cancel("too few players arrived; search again");
    }, WAIT_TIMEOUT_MS);
  }

  /** The seat (1 or 2) of a roster entry: teams 0 and 1, swapped on odd seeds, so either may move first. */
  private seatNumber(entry: RosterEntry): rules.Seat {
    return (((entry.team + this.spec.seed) % 2) + 1) as rules.Seat;
  }

  protected seatPlayer(key: string, entry: RosterEntry): void {
    const player = new Connect4Player();
    player.playerId = entry.playerId;
    player.username = entry.username;
    player.seat = this.seatNumber(entry);
    player.bot = entry.bot;
    this.state.players.set(key, player);
    this.changed();
  }

  protected reseatPlayer(oldKey: string, newKey: string): void {
    const old = this.state.players.get(oldKey);
    if (old === undefined) return;
    const moved = new Connect4Player();
    moved.playerId = old.playerId;
    moved.username = old.username;
    moved.seat = old.seat;
    moved.bot = old.bot;
    this.state.players.delete(oldKey);
    this.state.players.set(newKey, moved);
    this.changed();
  }

  protected setConnected(key: string, connected: boolean): void {
    const player = this.state.players.get(key);
    if (player === undefined || player.connected === connected) return;
    player.connected = connected;
    this.changed();
  }

  protected override onPlayerSeated(): void {
    if (this.phase === "waiting" && this.allSeated) this.start();
  }

  protected override onPlayerLeft(_client: Client<{ auth: PlayerAuth }>, key: string): void {
    // Gone for good, and still holding its seat (not a connection whose seat a rejoin took over): it forfeits.
    const seat = this.seats.get(key);
    if (seat === undefined || this.phase !== "active" || this.isStopped) return;
    this.forfeit(this.seatNumber(seat.entry));
  }

  private start(): void {
    this.phase = "active";
    this.state.phase = "active";
    this.startedAt = Date.now();
    this.matchStarted();
    this.beginTurn();
    this.snapshotNow();
    this.changed();
  }

  /** The seat to move gets a fresh turn timer; a bot's seat plays after a short delay. */
  private beginTurn(): void {
    this.state.turn = this.play.turn;
    this.turnTimer.start(this.settings.turnTimeSec * 1000, () => this.forfeit(this.play.turn));
    this.showTimeLeft();
    this.botTurn?.clear();
    this.botTurn = undefined;
    const mover = [...this.seats.values()].find((seat) => this.seatNumber(seat.entry) === this.play.turn);
    if (mover?.entry.bot === true) {
      const seat = this.play.turn;
      this.botTurn = this.clock.setTimeout(() => {
        this.botTurn = undefined;
        // Only the bot's own turn: never a move for the seat after it.
        if (this.phase !== "active" || this.isStopped || this.play.turn !== seat) return;
        this.apply(rules.play(this.play, seat, botMove(this.play, seat, this.rng)));
      }, BOT_DELAY_MS);
    }
  }

  private move(client: Client<{ auth: PlayerAuth }>, column: number): void {
    // Moves sent in the moment after the end (the client had not heard of it yet) mean nothing.
    if (this.isStopped) return;
    const seat = this.seats.get(client.sessionId);
    if (seat === undefined) return;
    if (this.phase !== "active") {
      this.sendError(client, Connect4ErrorCode.NotYourTurn, "the game has not started yet");
      return;
    }
    const played = rules.play(this.play, this.seatNumber(seat.entry), column);
    if (!played.ok) {
      this.sendError(client, played.code === "INVALID_MOVE" ? "INVALID_MESSAGE" : played.code, played.message);
      return;
    }
    this.apply(played);
  }

  private forfeit(seat: rules.Seat): void {
    if (this.phase !== "active" || this.isStopped) return;
    const forfeited = rules.forfeit(this.play, seat);
    if (forfeited.ok) this.apply(forfeited);
  }

  private apply(result: rules.PlayResult | rules.ForfeitResult): void {
    if (!result.ok) return;
    this.play = result.state;
    this.copyBoard();
    if (this.play.winner === 0) {
      this.beginTurn();
      this.snapshotNow();
      this.changed();
      return;
    }
    this.phase = "ended";
    this.state.phase = "ended";
    this.turnTimer.stop();
    this.botTurn?.clear();
    this.state.turnTimeLeftMs = 0;
    this.changed();
    void this.finish(this.standings());
  }

  private copyBoard(): void {
    this.play.board.forEach((cell, i) => {
      if (this.state.board[i] !== cell) this.state.board[i] = cell;
    });
    this.state.turn = this.play.turn;
    this.state.winner = this.play.winner;
  }

  private standings() {
    const bySeat = new Map(rules.standings(this.play).map((standing) => [standing.seat, standing]));
    const endedAt = Date.now();
    const startedAt = this.startedAt ?? endedAt;
    const players: MatchResultPlayer[] = [...this.seats.values()].map(({ entry }) => {
      const seat = this.seatNumber(entry);
      return {
        playerId: entry.playerId,
        username: entry.username,
        team: entry.team,
        bot: entry.bot,
        placement: bySeat.get(seat)!.placement,
        seat,
        moves: this.play.moves.filter((_, i) => (i % 2 === 0 ? 1 : 2) === seat).length,
      };
    });
    return { players, startedAt, endedAt, durationMs: endedAt - startedAt };
  }

  /** The turn timer as the state shows it: rounded up to the whole second, so it changes once a second. */
  private showTimeLeft(): void {
    const shown = this.phase === "active" ? Math.ceil(this.turnTimer.remainingMs / 1000) * 1000 : 0;
    if (this.state.turnTimeLeftMs === shown) return;
    this.state.turnTimeLeftMs = shown;
    this.changed();
  }

  protected serialiseGame(): Connect4Payload {
    return { game: rules.serialise(this.play), phase: this.phase, rng: [...this.rng], startedAt: this.startedAt };
  }

  /**
   * Restores the board by replaying its moves (rules.restore refuses a payload that is not a legal game). A rollback
   * never goes back to the waiting room: its wait timeout has run, nothing would start the game again, and the match
   * would hold its room and its players forever.
   */
  protected restoreGame(payload: Connect4Payload, format: number, reason: "recovery" | "rollback"): void {
    if (format !== CONNECT4_PAYLOAD_FORMAT) throw new Error(`connect4 snapshots of format ${format} are not readable`);
    if (reason === "rollback" && payload.phase === "waiting") {
      throw new Error("this snapshot is from before the game started; roll back to one taken since");
    }
    const play = rules.restore(payload.game);
    this.play = play;
    this.rng = [...payload.rng];
    this.phase = payload.phase;
    this.startedAt = payload.startedAt;
    this.state.players.clear();
    for (const seat of this.seats.values()) this.seatPlayer(seat.key, seat.entry);
    this.state.phase = this.phase;
    this.copyBoard();
    // The player to move gets a whole turn again: after a crash, players first have to come back.
    if (this.phase === "active") this.beginTurn();
    this.changed();
  }
}
