/**
 * Client-side prediction of the own player with the server's own movement step (`movePlayer` from src/logic/), at
 * the server's fixed dt. Each local input is applied at once and kept until the server's `ack` covers it; on every
 * patch the prediction restarts from the authoritative position at `ack` and replays the inputs still pending.
 *
 * The state carries positions but not velocities, so the velocity at `ack` is the one this client predicted for
 * that input. Whatever the replay moves the prediction by (a tick the server coasted) becomes a visual offset that
 * shrinks a little at each step: the rendered player never jumps on a patch. While the player moves, the offset
 * shrinks by at most half of the step's own movement against it, so a large correction (a loaded server that had
 * none of several inputs in time) slows the run down on screen instead of pulling the player backwards.
 *
 * Positions travel as whole world units. A prediction that agrees with the server's position at `ack` to within
 * that rounding is kept as it is: restarting from the rounded position would trade the client's exact position
 * for one up to half a unit off, and replay that error into every pending step.
 */
import { ARENA_MAP } from "../../../../src/games/arena/logic/maps.ts";
import { type MovingBody, movePlayer } from "../../../../src/games/arena/logic/simulation.ts";
import { DEFAULT_TUNING } from "../../../../src/games/arena/logic/tuning.ts";
import type { Input } from "../../../../src/games/arena/logic/types.ts";

/** Corrections larger than this are a teleport (respawn, rollback, rejoin): taken at once, not smoothed. */
const SNAP_DISTANCE = 120;
/** How far a position on the wire may be from the server's own: it is rounded to whole units (half a unit). */
const WIRE_ROUNDING = 0.5 + 1e-9;
/** Fraction of the visual offset kept per step (about 0.2 s to fade out at 30 Hz). */
const OFFSET_KEEP = 0.8;
/** While moving, the offset fades against the movement by at most this fraction of the step's movement. */
const MAX_FADE_AGAINST_MOVEMENT = 0.5;

interface Pending {
  input: Input;
  /** The predicted body after this input. */
  after: MovingBody;
}

export class Predictor {
  readonly body: MovingBody = { x: 0, y: 0, vx: 0, vy: 0, angle: 0 };
  /** Visual offset added to `body` when rendering (what reconciliation moved the prediction by). */
  readonly offset = { x: 0, y: 0 };
  private pending: Pending[] = [];
  /**
   * The predicted body after the last acknowledged input (moved to the server's position when that differed). A
   * patch that repeats an ack (the server ticked without a new input of this client: it was late, or the server
   * coasted) is checked against it: that input is no longer pending.
   */
  private acked: MovingBody | undefined;
  private nextSeq = 1;
  private started = false;
  /** The last `ack` reconciled against. */
  lastAck = 0;
  /** How many inputs were predicted but not yet acknowledged. */
  get pendingCount(): number {
    return this.pending.length;
  }

  constructor(
    private dtMs: number,
    private readonly tuning = DEFAULT_TUNING,
    private readonly map = ARENA_MAP,
  ) {}

  /** Changes the fixed step (the server's tick rate arrives with its first state); pending inputs replay at it. */
  setStep(dtMs: number): void {
    this.dtMs = dtMs;
  }

  /** Where to draw the own player. */
  get rendered(): { x: number; y: number } {
    return { x: this.body.x + this.offset.x, y: this.body.y + this.offset.y };
  }

  /** Predicts one step of `command` and returns the numbered input to send. */
  step(command: Omit<Input, "seq">, alive: boolean): Input {
    const input: Input = { ...command, seq: this.nextSeq++ };
    const from = { x: this.body.x, y: this.body.y };
    if (alive && this.started) movePlayer(this.body, input, this.dtMs / 1000, this.tuning, this.map);
    else this.body.angle = input.aim;
    this.pending.push({ input, after: { ...this.body } });
    if (this.pending.length > 120) this.pending.shift();
    this.fadeOffset(this.body.x - from.x, this.body.y - from.y);
    return input;
  }

  /**
   * Shrinks the visual offset by (1 - OFFSET_KEEP); while the body moved by (mx, my), the part of that fade against
   * the movement is capped at MAX_FADE_AGAINST_MOVEMENT of it, so the rendered player keeps going forward.
   */
  private fadeOffset(mx: number, my: number): void {
    let fx = -this.offset.x * (1 - OFFSET_KEEP);
    let fy = -this.offset.y * (1 - OFFSET_KEEP);
    const moved = mx * mx + my * my;
    if (moved > 0) {
      // The fade along the movement, in units of the movement: -1 would cancel the step on screen.
      const along = (fx * mx + fy * my) / moved;
      if (along < -MAX_FADE_AGAINST_MOVEMENT) {
        const scale = MAX_FADE_AGAINST_MOVEMENT / -along;
        fx *= scale;
        fy *= scale;
      }
    }
    this.offset.x += fx;
    this.offset.y += fy;
  }

  /** Applies an authoritative patch of the own player: position and the last input seq the server applied. */
  reconcile(server: { x: number; y: number; ack: number; alive: boolean }): void {
    if (!this.started) {
      // First state (or after a rejoin): continue numbering after what the server has seen.
      this.started = true;
      this.nextSeq = Math.max(this.nextSeq, server.ack + 1);
      Object.assign(this.body, { x: server.x, y: server.y, vx: 0, vy: 0 });
      this.acked = { ...this.body };
      this.lastAck = server.ack;
      return;
    }
    const before = this.rendered;
    if (server.ack !== this.lastAck) this.acked = this.pending.find((entry) => entry.input.seq === server.ack)?.after;
    const acked = this.acked;
    this.pending = this.pending.filter((entry) => entry.input.seq > server.ack);
    this.lastAck = server.ack;
    if (!server.alive) {
      Object.assign(this.body, { x: server.x, y: server.y, vx: 0, vy: 0 });
      this.acked = undefined;
      this.pending = [];
      this.offset.x = 0;
      this.offset.y = 0;
      return;
    }
    if (acked !== undefined && agrees(acked, server)) return;
    this.body.x = server.x;
    this.body.y = server.y;
    if (acked !== undefined) {
      this.body.vx = acked.vx;
      this.body.vy = acked.vy;
      this.acked = { ...acked, x: server.x, y: server.y };
    }
    for (const entry of this.pending) {
      movePlayer(this.body, entry.input, this.dtMs / 1000, this.tuning, this.map);
      entry.after = { ...this.body };
    }
    const dx = before.x - this.body.x;
    const dy = before.y - this.body.y;
    if (Math.hypot(dx, dy) > SNAP_DISTANCE) {
      this.offset.x = 0;
      this.offset.y = 0;
    } else {
      this.offset.x = dx;
      this.offset.y = dy;
    }
  }

  /** Forgets everything (a new match, or a rejoin with a new seat). */
  reset(): void {
    this.pending = [];
    this.acked = undefined;
    this.started = false;
    this.offset.x = 0;
    this.offset.y = 0;
    this.lastAck = 0;
  }
}

/** The predicted position rounds to the server's: the client predicted exactly what the server did. */
function agrees(predicted: { x: number; y: number }, server: { x: number; y: number }): boolean {
  return Math.abs(predicted.x - server.x) <= WIRE_ROUNDING && Math.abs(predicted.y - server.y) <= WIRE_ROUNDING;
}
