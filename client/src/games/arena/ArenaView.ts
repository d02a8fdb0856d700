/**
 * One arena match in the browser: local input at the server's fixed step, prediction of the own player,
 * interpolation of everything else, the HUD and match chat, over the SDK's match handle. The handle gets back into
 * the match after a drop, a hand-off or a restart (docs/CLIENT.md "Reconnection"); the view shows "reconnecting…"
 * meanwhile, and starts its prediction afresh when the way back was a new seat.
 */
import { ServerMessage } from "@arena/sdk";
import { ClientMessage } from "../../../../src/protocol.ts";
import { Interpolator } from "./Interpolator.ts";
import type { GameDebug, GameView, Match, MatchEvents, MatchResultRow } from "../GameView.ts";
import { Predictor } from "./Predictor.ts";
import { type DrawnLabel, type DrawnPlayer, draw, type EdgeIndicator } from "./render.ts";

/**
 * The server's tick rate until its state says (`tickRateHz`, from TICK_RATE_HZ): prediction and inputs must step at
 * the server's fixed dt, or the prediction drifts from every ack and the server refuses the faster input stream.
 */
export const DEFAULT_TICK_RATE_HZ = 30;
/**
 * The most time one frame steps inputs for. A longer gap (a hidden tab, a stalled page) is not caught up: the burst
 * would overflow the server's input buffer, which drops the oldest as stale.
 */
export const MAX_FRAME_MS = 250;

/** What the client reads of the decoded `arena` state (docs/API.md). */
interface PlayerView {
  playerId: string;
  username: string;
  team: number;
  bot: boolean;
  x: number;
  y: number;
  angle: number;
  hp: number;
  kills: number;
  deaths: number;
  alive: boolean;
  ack: number;
  connected: boolean;
}
interface ProjectileView {
  owner: string;
  x: number;
  y: number;
}
interface EntityMap<T> {
  forEach(callback: (value: T, key: string) => void): void;
  get(key: string): T | undefined;
}
interface ArenaStateView {
  phase: string;
  tick: number;
  timeLeftMs: number;
  mode: string;
  tickRateHz: number;
  players: EntityMap<PlayerView>;
  projectiles: EntityMap<ProjectileView>;
}

const MOVE_KEYS: Record<string, [number, number]> = {
  KeyW: [0, -1],
  ArrowUp: [0, -1],
  KeyS: [0, 1],
  ArrowDown: [0, 1],
  KeyA: [-1, 0],
  ArrowLeft: [-1, 0],
  KeyD: [1, 0],
  ArrowRight: [1, 0],
};

/** Debug and test view of the match, published as `window.__arena.match`. */
export interface MatchDebug extends GameDebug {
  game: "arena";
  timeLeftMs: number;
  /** The tick rate inputs and prediction step at (the server's, once its state has arrived). */
  tickRateHz: number;
  frame: number;
  /** The own player: where it is drawn (`x`, `y`: the prediction plus its fading correction), the prediction itself
   * (`predictedX`, `predictedY`) and the last server position. */
  self: {
    x: number;
    y: number;
    predictedX: number;
    predictedY: number;
    serverX: number;
    serverY: number;
    hp: number;
    kills: number;
    alive: boolean;
  } | null;
  lastSentSeq: number;
  lastAck: number;
  pending: number;
  others: Array<{ id: string; username: string; bot: boolean; x: number; y: number; serverX: number; serverY: number }>;
  /** The canvas' size in its own pixels, which `labels` and `indicators` are in (the camera is at its centre). */
  view: { width: number; height: number };
  /** The names drawn on the last frame (own included), moved inside the view when they would be cut off. */
  labels: DrawnLabel[];
  /** The players in the state but off the view on the last frame: arrows on the view's edge pointing at them. */
  indicators: EdgeIndicator[];
}

/** The arena's view: the canvas, the HUD and the netcode of the own player. */
export class ArenaView implements GameView {
  private tickRateHz = DEFAULT_TICK_RATE_HZ;
  private tickMs = 1000 / DEFAULT_TICK_RATE_HZ;
  private predictor = new Predictor(this.tickMs);
  private interpolator = new Interpolator(100);
  private readonly keys = new Set<string>();
  private aim = 0;
  private aimFromMouse = false;
  private firing = false;
  private acc = 0;
  private lastFrame: number | undefined;
  private lastMove = "0,0";
  private lastSentSeq = 0;
  private raf = 0;
  private frame = 0;
  private connection: "ok" | "reconnecting" = "ok";
  private ownTeam = 0;
  private stopped = false;
  /** The match is over (matchEnd arrived): inputs from now on mean nothing to the server, so none are sent. */
  private ended = false;
  private readonly detach: Array<() => unknown> = [];
  readonly debug: MatchDebug;

  constructor(
    private readonly match: Match,
    private readonly canvas: HTMLCanvasElement,
    private readonly hud: Record<"phase" | "hp" | "kills" | "time" | "net", HTMLElement>,
    events: MatchEvents,
  ) {
    this.debug = {
      game: "arena",
      roomId: match.id,
      sessionId: match.room.sessionId,
      phase: "",
      timeLeftMs: 0,
      tickRateHz: this.tickRateHz,
      frame: 0,
      self: null,
      lastSentSeq: 0,
      lastAck: 0,
      pending: 0,
      others: [],
      view: { width: canvas.width, height: canvas.height },
      labels: [],
      indicators: [],
      connection: "ok",
    };
    this.detach.push(
      match.onStateChange((state) => this.onPatch(state as Partial<ArenaStateView>)),
      match.onMessage(ServerMessage.Chat, (line) => events.chat(line)),
      match.onMessage(ServerMessage.MatchEnd, (end) => {
        this.ended = true;
        events.ended(end.results as MatchResultRow[]);
      }),
      match.onMessage(ServerMessage.Error, (error) => console.warn("arena refused a message", error)),
      match.on("dropped", () => this.setConnection("reconnecting")),
      match.on("rejoined", ({ room }) => {
        if (room.sessionId !== this.debug.sessionId) {
          // A new seat (POST /sessions/:id/rejoin): its inputs are numbered afresh, as for a player who just joined.
          this.debug.sessionId = room.sessionId;
          this.predictor = new Predictor(this.tickMs);
          this.interpolator = new Interpolator(100);
          this.lastSentSeq = 0;
        }
        this.setConnection("ok");
      }),
    );
    this.listen(window, "keydown", (e) => this.onKey(e as KeyboardEvent, true));
    this.listen(window, "keyup", (e) => this.onKey(e as KeyboardEvent, false));
    this.listen(window, "blur", () => this.keys.clear());
    this.listen(canvas, "mousemove", (e) => this.onMouse(e as MouseEvent));
    this.listen(canvas, "mousedown", (e) => {
      // No text selection starts from the canvas (holding the button fires, dragging aims; a double click's second
      // mousedown would select a word): the default action is off, and the focus is set here instead.
      e.preventDefault();
      this.firing = true;
      canvas.focus();
    });
    this.listen(window, "mouseup", () => {
      this.firing = false;
    });
    this.raf = requestAnimationFrame((now) => this.onFrame(now));
  }

  stop(): void {
    if (this.stopped) return;
    this.stopped = true;
    cancelAnimationFrame(this.raf);
    for (const off of this.detach) off();
  }

  private listen(target: EventTarget, type: string, handler: (e: Event) => void): void {
    target.addEventListener(type, handler);
    this.detach.push(() => target.removeEventListener(type, handler));
  }

  private setConnection(state: "ok" | "reconnecting"): void {
    this.connection = state;
    this.debug.connection = state;
  }

  private onKey(e: KeyboardEvent, down: boolean): void {
    const target = e.target as HTMLElement | null;
    if (target !== null && (target.tagName === "INPUT" || target.tagName === "SELECT")) return;
    if (e.code in MOVE_KEYS || e.code === "Space") {
      e.preventDefault();
      if (e.code === "Space") this.firing = down;
      else if (down) this.keys.add(e.code);
      else this.keys.delete(e.code);
    }
  }

  private onMouse(e: MouseEvent): void {
    const rect = this.canvas.getBoundingClientRect();
    const sx = ((e.clientX - rect.left) * this.canvas.width) / rect.width;
    const sy = ((e.clientY - rect.top) * this.canvas.height) / rect.height;
    // The camera follows the own player: it is drawn at the centre of the canvas.
    this.aim = Math.atan2(sy - this.canvas.height / 2, sx - this.canvas.width / 2);
    this.aimFromMouse = true;
  }

  private command(): { moveX: number; moveY: number; aim: number; fire: boolean } {
    let moveX = 0;
    let moveY = 0;
    for (const key of this.keys) {
      const [dx, dy] = MOVE_KEYS[key]!;
      moveX += dx;
      moveY += dy;
    }
    moveX = Math.max(-1, Math.min(1, moveX));
    moveY = Math.max(-1, Math.min(1, moveY));
    // Without a mouse, aim where the player walks.
    if (!this.aimFromMouse && (moveX !== 0 || moveY !== 0)) this.aim = Math.atan2(moveY, moveX);
    return { moveX, moveY, aim: this.aim, fire: this.firing };
  }

  private ownState(): PlayerView | undefined {
    return (this.match.state as Partial<ArenaStateView> | undefined)?.players?.get(this.match.room.sessionId);
  }

  private stepOnce(command: ReturnType<ArenaView["command"]>): void {
    if (this.ended) return;
    const own = this.ownState();
    const input = this.predictor.step(command, own?.alive ?? false);
    if (this.connection === "ok") this.match.send(ClientMessage.Input, input);
    this.lastSentSeq = input.seq;
    this.lastMove = `${command.moveX},${command.moveY}`;
  }

  /** Steps at the server's tick rate once the state carries it. */
  private syncTickRate(): void {
    const hz = (this.match.state as Partial<ArenaStateView> | undefined)?.tickRateHz;
    if (hz === undefined || hz <= 0 || hz === this.tickRateHz) return;
    this.tickRateHz = hz;
    this.tickMs = 1000 / hz;
    this.predictor.setStep(this.tickMs);
    this.debug.tickRateHz = hz;
  }

  private onFrame(now: number): void {
    if (this.stopped) return;
    this.syncTickRate();
    this.raf = requestAnimationFrame((t) => this.onFrame(t));
    this.frame += 1;
    this.acc += Math.min(now - (this.lastFrame ?? now), MAX_FRAME_MS);
    this.lastFrame = now;
    const command = this.command();
    // A new stick direction is applied on this very frame: the step borrows the next tick's slot, so inputs still
    // go out at the tick rate on average (the server refuses a sustained faster stream).
    if (`${command.moveX},${command.moveY}` !== this.lastMove && this.acc >= 0) {
      this.stepOnce(command);
      this.acc -= this.tickMs;
    }
    while (this.acc >= this.tickMs) {
      this.stepOnce(command);
      this.acc -= this.tickMs;
    }
    this.render(now);
  }

  private onPatch(state: Partial<ArenaStateView>): void {
    this.syncTickRate();
    if (state.players === undefined || state.projectiles === undefined) return;
    const t = performance.now();
    const seen = new Set<string>();
    const own = this.match.room.sessionId;
    state.players.forEach((player, key) => {
      if (key === own) {
        this.ownTeam = player.team;
        this.predictor.reconcile({ x: player.x, y: player.y, ack: player.ack, alive: player.alive });
        return;
      }
      seen.add(key);
      this.interpolator.record(key, t, player.x, player.y, player.angle);
    });
    state.projectiles.forEach((projectile, key) => {
      seen.add(`p:${key}`);
      this.interpolator.record(`p:${key}`, t, projectile.x, projectile.y, 0);
    });
    this.interpolator.retain(seen);
  }

  private render(now: number): void {
    const raw = this.match.state as Partial<ArenaStateView> | undefined;
    const ctx = this.canvas.getContext("2d");
    // Until the first state arrives the decoded root has no collections yet.
    if (raw?.players === undefined || raw.projectiles === undefined || ctx === null) return;
    const state = raw as ArenaStateView;
    const ownSession = this.match.room.sessionId;
    const own = state.players.get(ownSession);
    const self = this.predictor.rendered;
    const players: DrawnPlayer[] = [];
    const others: MatchDebug["others"] = [];
    state.players.forEach((p, key) => {
      const isSelf = key === ownSession;
      const at = isSelf ? { ...self, angle: this.predictor.body.angle } : this.interpolator.at(key, now);
      if (at === undefined) return;
      players.push({
        id: key,
        username: p.username,
        x: at.x,
        y: at.y,
        angle: at.angle,
        hp: p.hp,
        team: p.team,
        alive: p.alive,
        self: isSelf,
        connected: p.connected,
      });
      if (!isSelf)
        others.push({ id: key, username: p.username, bot: p.bot, x: at.x, y: at.y, serverX: p.x, serverY: p.y });
    });
    const projectiles: Array<{ x: number; y: number; own: boolean }> = [];
    state.projectiles.forEach((p, key) => {
      const at = this.interpolator.at(`p:${key}`, now);
      if (at !== undefined) projectiles.push({ x: at.x, y: at.y, own: p.owner === own?.playerId });
    });
    const banner =
      state.phase === "waiting"
        ? "waiting for players"
        : state.phase === "countdown"
          ? `starting in ${Math.ceil(state.timeLeftMs / 1000)}`
          : own !== undefined && !own.alive
            ? "respawning…"
            : undefined;
    const drawn = draw(ctx, { camera: self, players, projectiles, banner }, this.ownTeam);

    this.hud.phase.textContent = state.phase;
    this.hud.hp.textContent = `hp ${own?.hp ?? 0}`;
    this.hud.kills.textContent = `kills ${own?.kills ?? 0} · deaths ${own?.deaths ?? 0}`;
    this.hud.time.textContent = `${formatTime(state.timeLeftMs)} left`;
    this.hud.net.textContent = this.connection === "ok" ? "" : "connection lost: reconnecting…";

    Object.assign(this.debug, {
      phase: state.phase,
      timeLeftMs: state.timeLeftMs,
      frame: this.frame,
      self:
        own === undefined
          ? null
          : {
              x: self.x,
              y: self.y,
              predictedX: this.predictor.body.x,
              predictedY: this.predictor.body.y,
              serverX: own.x,
              serverY: own.y,
              hp: own.hp,
              kills: own.kills,
              alive: own.alive,
            },
      lastSentSeq: this.lastSentSeq,
      lastAck: this.predictor.lastAck,
      pending: this.predictor.pendingCount,
      others,
      view: { width: drawn.width, height: drawn.height },
      labels: drawn.labels,
      indicators: drawn.indicators,
    });
  }
}

function formatTime(ms: number): string {
  const sec = Math.ceil(ms / 1000);
  return `${Math.floor(sec / 60)}:${String(sec % 60).padStart(2, "0")}`;
}
