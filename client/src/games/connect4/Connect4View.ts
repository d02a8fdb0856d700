/**
 * One Connect Four match in the browser: the 7 × 6 board (click a column or press 1–7; the cell a piece would land
 * on is previewed under the pointer), whose turn it is, the turn timer, the players with their bot and connection
 * status, the server's refusals shown for a moment, and the connection (the SDK's match handle gets back into the
 * match by itself; the view says so meanwhile), as the arena's view does. Everything shown is computed by model.ts.
 */
import { ServerMessage } from "@arena/sdk";
import { Connect4ErrorCode, Connect4Message } from "../../../../src/games/connect4/protocol.ts";
import { CELLS, COLUMNS } from "../../../../src/games/connect4/rules.ts";
import type { GameDebug, GameView, Match, MatchEvents, MatchResultRow } from "../GameView.ts";
import {
  type BoardModel,
  boardModel,
  type Connect4Player,
  type Connect4Snapshot,
  columnForKey,
  formatSeconds,
  TurnClock,
} from "./model.ts";

/** How long a refusal stays on screen. */
const REFUSAL_SHOWN_MS = 2_500;

/** Readable refusals of the codes the room sends; anything else shows the server's message. */
const REFUSAL_TEXT: Record<string, string> = {
  [Connect4ErrorCode.NotYourTurn]: "It is not your turn.",
  [Connect4ErrorCode.ColumnFull]: "That column is full.",
};

/** The decoded state as the SDK hands it over (schema collections, read through their iterators). */
interface Connect4StateView {
  phase: string;
  board: Iterable<number>;
  turn: number;
  turnTimeLeftMs: number;
  winner: number;
  players: { forEach(callback: (value: Omit<Connect4Player, "sessionId">, key: string) => void): void };
}

/** Debug and test view of the match, published as `window.__arena.match`. */
export interface Connect4Debug extends GameDebug {
  game: "connect4";
  board: number[];
  turn: number;
  ownSeat: number;
  myTurn: boolean;
  status: string;
  /** The timer as shown (counted down locally between patches). */
  turnTimeLeftMs: number;
  winner: number;
  players: Connect4Player[];
  /** The refusal on screen, if any. */
  refusal: { code: string; message: string } | null;
  /** Every refusal code received, in order. */
  refusals: string[];
  /** Moves sent (columns, 0-based), in order. */
  sent: number[];
}

export class Connect4View implements GameView {
  readonly debug: Connect4Debug;
  private readonly cells: HTMLElement[] = [];
  private readonly clock = new TurnClock();
  private readonly detach: Array<() => unknown> = [];
  private hoverColumn: number | null = null;
  private refusalTimer: ReturnType<typeof setTimeout> | undefined;
  private timer: ReturnType<typeof setInterval> | undefined;
  private stopped = false;
  /** The match is over (matchEnd arrived): moves would mean nothing, so none are sent. */
  private ended = false;

  constructor(
    private readonly host: HTMLElement,
    private readonly match: Match,
    events: MatchEvents,
    private readonly playerId: string,
  ) {
    this.debug = {
      game: "connect4",
      roomId: match.id,
      sessionId: match.room.sessionId,
      phase: "",
      connection: "ok",
      board: [],
      turn: 0,
      ownSeat: 0,
      myTurn: false,
      status: "",
      turnTimeLeftMs: 0,
      winner: 0,
      players: [],
      refusal: null,
      refusals: [],
      sent: [],
    };
    this.buildBoard();
    this.part("#c4-refusal").textContent = "";
    this.detach.push(
      match.onStateChange(() => this.render()),
      match.onMessage(ServerMessage.Chat, (line) => events.chat(line)),
      match.onMessage(ServerMessage.MatchEnd, (end) => {
        this.ended = true;
        this.render();
        events.ended(end.results as MatchResultRow[]);
      }),
      match.onMessage(ServerMessage.Error, (error) => this.refused(error)),
      match.on("dropped", () => this.setConnection("reconnecting")),
      match.on("rejoined", ({ room }) => {
        this.debug.sessionId = room.sessionId;
        this.setConnection("ok");
      }),
    );
    this.listen(window, "keydown", (e) => this.onKey(e as KeyboardEvent));
    this.timer = setInterval(() => this.render(), 250);
    this.render();
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    clearInterval(this.timer);
    clearTimeout(this.refusalTimer);
    for (const off of this.detach) off();
  }

  /** A copy of the board as it ended, for the end screen. */
  finalPicture(): Node {
    const board = this.part("#c4-board").cloneNode(true) as HTMLElement;
    board.removeAttribute("id");
    board.classList.remove("playable");
    for (const cell of board.querySelectorAll(".preview")) cell.classList.remove("preview");
    return board;
  }

  /** Drops a piece into `column` (0-based). The server decides; a refusal comes back as `error`. */
  play(column: number): void {
    if (this.ended || this.stopped || this.debug.connection !== "ok") return;
    this.match.send(Connect4Message.Move, { column });
    this.debug.sent.push(column);
  }

  private part(selector: string): HTMLElement {
    const element = this.host.querySelector<HTMLElement>(selector);
    if (element === null) throw new Error(`missing ${selector} in #${this.host.id}`);
    return element;
  }

  private listen(target: EventTarget, type: string, handler: (e: Event) => void): void {
    target.addEventListener(type, handler);
    this.detach.push(() => target.removeEventListener(type, handler));
  }

  /** 42 cells in a 7-wide grid, row-major like the state's board; a cell stands for its column. */
  private buildBoard(): void {
    const board = this.part("#c4-board");
    board.replaceChildren();
    for (let index = 0; index < CELLS; index++) {
      const cell = document.createElement("div");
      cell.className = "c4-cell";
      cell.dataset.cell = String(index);
      cell.dataset.column = String(index % COLUMNS);
      this.cells.push(cell);
      board.append(cell);
    }
    const columnOf = (e: Event): number | null => {
      const column = (e.target as HTMLElement | null)?.closest<HTMLElement>(".c4-cell")?.dataset.column;
      return column === undefined ? null : Number(column);
    };
    this.listen(board, "pointermove", (e) => {
      const column = columnOf(e);
      if (column === this.hoverColumn) return;
      this.hoverColumn = column;
      this.render();
    });
    this.listen(board, "pointerleave", () => {
      this.hoverColumn = null;
      this.render();
    });
    this.listen(board, "click", (e) => {
      const column = columnOf(e);
      if (column !== null) this.play(column);
    });
  }

  private onKey(e: KeyboardEvent): void {
    const target = e.target as HTMLElement | null;
    if (target !== null && (target.tagName === "INPUT" || target.tagName === "SELECT")) return;
    const column = columnForKey(e.code);
    if (column === undefined || e.repeat) return;
    e.preventDefault();
    this.hoverColumn = column;
    this.play(column);
  }

  private refused(error: { code: string; message: string }): void {
    this.debug.refusal = error;
    this.debug.refusals.push(error.code);
    this.part("#c4-refusal").textContent = REFUSAL_TEXT[error.code] ?? error.message;
    clearTimeout(this.refusalTimer);
    this.refusalTimer = setTimeout(() => {
      this.debug.refusal = null;
      this.part("#c4-refusal").textContent = "";
    }, REFUSAL_SHOWN_MS);
  }

  private setConnection(state: "ok" | "reconnecting"): void {
    this.debug.connection = state;
  }

  /** The decoded state as plain data; undefined until the first state has arrived. */
  private snapshot(): Connect4Snapshot | undefined {
    const state = this.match.state as Partial<Connect4StateView> | undefined;
    if (state?.board === undefined || state.players === undefined) return undefined;
    const players: Connect4Player[] = [];
    state.players.forEach((player, sessionId) => {
      players.push({
        sessionId,
        playerId: player.playerId,
        username: player.username,
        seat: player.seat,
        bot: player.bot,
        connected: player.connected,
      });
    });
    players.sort((a, b) => a.seat - b.seat);
    return {
      phase: state.phase ?? "",
      board: Array.from(state.board),
      turn: state.turn ?? 0,
      turnTimeLeftMs: state.turnTimeLeftMs ?? 0,
      winner: state.winner ?? 0,
      players,
    };
  }

  private render(): void {
    if (this.stopped) return;
    const state = this.snapshot();
    if (state === undefined) return;
    const model = boardModel(
      state,
      { sessionId: this.match.room.sessionId, playerId: this.playerId },
      this.hoverColumn,
    );
    const now = performance.now();
    this.clock.observe(state.turn, state.turnTimeLeftMs, model.pieces, now);
    const running = state.phase === "active" && state.winner === 0 && !this.ended;
    const left = running ? this.clock.left(now) : 0;
    this.drawBoard(model);
    this.drawPlayers(state, model);
    this.part("#c4-status").textContent = model.status;
    this.part("#c4-status").className = model.myTurn ? "my-turn" : "";
    this.part("#c4-timer").textContent = running ? `${formatSeconds(left)} left in this turn` : "";
    this.part("#c4-net").textContent = this.debug.connection === "ok" ? "" : "connection lost: reconnecting…";
    Object.assign(this.debug, {
      phase: state.phase,
      board: [...state.board],
      turn: state.turn,
      ownSeat: model.ownSeat,
      myTurn: model.myTurn && !this.ended,
      status: model.status,
      turnTimeLeftMs: left,
      winner: state.winner,
      players: state.players,
    });
  }

  private drawBoard(model: BoardModel): void {
    for (const [index, cell] of model.cells.entries()) {
      const element = this.cells[index];
      if (element === undefined) continue;
      element.classList.toggle("seat-1", cell.seat === 1);
      element.classList.toggle("seat-2", cell.seat === 2);
      element.classList.toggle("own", cell.seat !== 0 && cell.seat === model.ownSeat);
      element.classList.toggle("preview", cell.preview);
      element.classList.toggle("winning", cell.winning);
    }
    const board = this.part("#c4-board");
    board.classList.toggle("playable", model.myTurn && !this.ended);
    // The preview takes the own seat's colour.
    board.dataset.ownSeat = String(model.ownSeat);
  }

  private drawPlayers(state: Connect4Snapshot, model: BoardModel): void {
    const list = this.part("#c4-players");
    list.replaceChildren(
      ...state.players.map((player) => {
        const item = document.createElement("li");
        item.className = `seat-${player.seat}${player.seat === model.ownSeat ? " me" : ""}`;
        const notes = [player.bot ? "bot" : "", player.connected ? "" : "disconnected"].filter((note) => note !== "");
        const you = player.seat === model.ownSeat ? " (you)" : "";
        const turn = state.phase === "active" && state.winner === 0 && state.turn === player.seat ? " ◀ to move" : "";
        item.textContent = `${player.username}${you}${notes.length > 0 ? ` · ${notes.join(", ")}` : ""}${turn}`;
        item.dataset.connected = String(player.connected);
        return item;
      }),
    );
  }
}
