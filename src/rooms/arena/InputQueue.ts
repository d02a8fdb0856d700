/**
 * Per-client input buffers of the arena: bounded, strictly increasing seq, rate-limited by a token bucket. The
 * handler offers; the fixed-step tick takes at most one input per player per tick. Refusals are reported to the
 * caller as reasons (the room turns them into strikes); a refused input changes nothing.
 */
import type { Input } from "../../logic/types.ts";

export interface InputQueueLimits {
  /** Inputs held per client (a burst after a network stall). */
  capacity: number;
  /** Sustained inputs per second allowed (a little above the tick rate). */
  ratePerSec: number;
  /**
   * Inputs that may wait for a tick; older ones are stale when more wait (a burst after jitter would otherwise
   * delay every later input by the burst's length, for good). Default: no trimming.
   */
  maxWaiting?: number;
}

interface ClientInputs {
  buffer: Input[];
  lastSeq: number;
  tokens: number;
  refilledAt: number;
}

const TAU = Math.PI * 2;

/** Wraps an angle into (-π, π]. */
export function normaliseAngle(angle: number): number {
  const wrapped = angle - TAU * Math.floor((angle + Math.PI) / TAU);
  return wrapped === -Math.PI ? Math.PI : wrapped;
}

export class InputQueue {
  private readonly clients = new Map<string, ClientInputs>();
  /** Inputs dropped as stale so far (see `next`). */
  staleDropped = 0;

  constructor(private readonly limits: InputQueueLimits) {}

  /** Accepts the input, or returns why not. `now` is the room clock in ms. */
  offer(id: string, input: Input, now: number): string | undefined {
    let state = this.clients.get(id);
    if (state === undefined) {
      state = { buffer: [], lastSeq: -1, tokens: this.limits.capacity, refilledAt: now };
      this.clients.set(id, state);
    }
    if (input.seq <= state.lastSeq) return `input seq ${input.seq} is not after ${state.lastSeq}`;
    state.tokens = Math.min(
      this.limits.capacity,
      state.tokens + ((now - state.refilledAt) / 1000) * this.limits.ratePerSec,
    );
    state.refilledAt = now;
    if (state.tokens < 1 || state.buffer.length >= this.limits.capacity)
      return "inputs arrive faster than the tick rate";
    state.tokens -= 1;
    state.lastSeq = input.seq;
    state.buffer.push({
      seq: input.seq,
      moveX: Math.min(Math.max(input.moveX, -1), 1),
      moveY: Math.min(Math.max(input.moveY, -1), 1),
      aim: normaliseAngle(input.aim),
      fire: input.fire,
    });
    return undefined;
  }

  /**
   * The oldest buffered input of `id`, removed; undefined when none arrived. When more than `maxWaiting` inputs
   * wait, the oldest are dropped first (their seqs are acknowledged with the one applied; a shot among them is
   * kept), so a client's input delay never stays above `maxWaiting` ticks.
   */
  next(id: string): Input | undefined {
    const buffer = this.clients.get(id)?.buffer;
    if (buffer === undefined || buffer.length === 0) return undefined;
    let fire = false;
    const maxWaiting = this.limits.maxWaiting ?? Number.POSITIVE_INFINITY;
    while (buffer.length > maxWaiting) {
      fire = buffer.shift()!.fire || fire;
      this.staleDropped += 1;
    }
    const input = buffer.shift()!;
    return fire && !input.fire ? { ...input, fire: true } : input;
  }

  /** The last seq accepted from `id` (so a reconnecting client continues after it). */
  lastSeq(id: string): number {
    return this.clients.get(id)?.lastSeq ?? -1;
  }

  forget(id: string): void {
    this.clients.delete(id);
  }
}
