/**
 * Per-client input buffers of the arena: bounded, strictly increasing seq, rate-limited by a token bucket. The
 * handler offers; the fixed-step tick takes a client's inputs once per tick. Refusals are reported to the caller as
 * reasons (the room turns them into strikes); a refused input changes nothing.
 *
 * Network jitter delivers inputs unevenly: none before one tick, two before the next. Taking strictly one per tick
 * would leave the second waiting, and every later input a tick late, for good. So a client's steps are counted
 * against the ticks that went by, with `slack` steps of play either way: a tick applies every waiting input while the
 * client is at most `slack` steps ahead of the ticks (the late ones move the player too — the client predicted
 * them), and a tick that finds nothing lets the client be up to `slack` steps behind. Over any stretch of time a
 * client gets at most `2 × slack + 1` steps more than ticks — a faster sender only fills its buffer, whose oldest
 * inputs are dropped as stale past `maxWaiting`.
 *
 * Inputs beyond the burst capacity or the rate are dropped ("excess"), and cost a strike only when the excess is
 * sustained: every input spends one unit of an allowance worth `sustainSec` seconds of the rate. A server that stalls
 * (a busy CPU, a long GC) reads a second of a well-behaved client's inputs in one burst; that burst is dropped down
 * to the capacity, but the client's allowance, refilled during the stall, covers it, so the client is not kicked for
 * the server's lag. A client that keeps sending faster than the rate empties the allowance and is then struck.
 */
import type { Input } from "./logic/types.ts";

export interface InputQueueLimits {
  /** Inputs held per client (a burst after a network stall). */
  capacity: number;
  /** Sustained inputs per second allowed (a little above the tick rate). */
  ratePerSec: number;
  /** Steps a client may be ahead of or behind the ticks (see above). Default 0: one input per tick. */
  slack?: number;
  /** Inputs that may wait; older ones are dropped as stale when more wait. Default: no trimming. */
  maxWaiting?: number;
  /** Seconds of the rate a client may exceed it by before dropped inputs cost strikes (see above). Default 3. */
  sustainSec?: number;
}

/** Why an input was refused; `strike` when it counts against the client (see BaseRoom.strike). */
export interface InputRefusal {
  reason: string;
  strike: boolean;
}

/** What one tick takes from a client: the input of this step, and late ones to apply before it (oldest first). */
export interface TakenInputs {
  input: Input;
  late: readonly Input[];
}

interface ClientInputs {
  buffer: Input[];
  lastSeq: number;
  tokens: number;
  refilledAt: number;
  /** Ticks gone by minus steps taken, kept within [-slack, slack + 1]. */
  credit: number;
  /** Inputs the client may still send beyond the rate before excess costs strikes (`sustainSec` of the rate). */
  allowance: number;
}

const TAU = Math.PI * 2;

/** Wraps an angle into (-π, π]. */
export function normaliseAngle(angle: number): number {
  const wrapped = angle - TAU * Math.floor((angle + Math.PI) / TAU);
  return wrapped === -Math.PI ? Math.PI : wrapped;
}

export class InputQueue {
  private readonly clients = new Map<string, ClientInputs>();
  /** Inputs dropped as stale so far (see `take`). */
  staleDropped = 0;
  /** Inputs dropped so far for arriving beyond the burst capacity or the rate (see `offer`). */
  excessDropped = 0;
  private readonly maxAllowance: number;

  constructor(private readonly limits: InputQueueLimits) {
    this.maxAllowance = Math.max(limits.capacity, (limits.sustainSec ?? 3) * limits.ratePerSec);
  }

  /** Accepts the input, or returns why not and whether that costs a strike. `now` is the room clock in ms. */
  offer(id: string, input: Input, now: number): InputRefusal | undefined {
    let state = this.clients.get(id);
    if (state === undefined) {
      state = {
        buffer: [],
        lastSeq: -1,
        tokens: this.limits.capacity,
        refilledAt: now,
        credit: 0,
        allowance: this.maxAllowance,
      };
      this.clients.set(id, state);
    }
    if (input.seq <= state.lastSeq) {
      return { reason: `input seq ${input.seq} is not after ${state.lastSeq}`, strike: true };
    }
    const refill = ((now - state.refilledAt) / 1000) * this.limits.ratePerSec;
    state.tokens = Math.min(this.limits.capacity, state.tokens + refill);
    state.allowance = Math.min(this.maxAllowance, state.allowance + refill);
    state.refilledAt = now;
    state.allowance -= 1;
    if (state.tokens < 1 || state.buffer.length >= this.limits.capacity) {
      // Later seqs only from here on: a dropped input is not taken again.
      state.lastSeq = input.seq;
      this.excessDropped += 1;
      const strike = state.allowance < 0;
      if (strike) state.allowance = 0;
      return { reason: "inputs arrive faster than the tick rate", strike };
    }
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
   * Called once per tick for each client: counts the tick, then takes every waiting input the client's slack
   * allows, oldest first. The last is this step's input (carrying a shot of any taken with it); the others are late
   * steps to apply before it. Past `maxWaiting`, the oldest inputs are dropped as stale (their shots kept).
   * `"late"` when nothing is waiting but the client is within its slack — its input is on the way, so its player
   * should wait rather than coast a step the client never predicted; undefined when the client sends nothing (idle
   * past its slack, or unknown).
   */
  take(id: string): TakenInputs | "late" | undefined {
    const state = this.clients.get(id);
    if (state === undefined) return undefined;
    const slack = this.limits.slack ?? 0;
    state.credit = Math.min(state.credit + 1, slack + 1);
    const { buffer } = state;
    let fire = false;
    const maxWaiting = this.limits.maxWaiting ?? Number.POSITIVE_INFINITY;
    while (buffer.length > maxWaiting) {
      fire = buffer.shift()!.fire || fire;
      this.staleDropped += 1;
    }
    const taken = buffer.splice(0, Math.max(0, Math.min(buffer.length, state.credit + slack)));
    state.credit -= taken.length;
    // Still waiting at the limit of its slack: the client sends faster than the ticks. What waits is stale: kept,
    // it would delay every later input by a tick for as long as the client keeps this pace.
    if (slack > 0 && state.credit <= -slack && buffer.length > 0) {
      for (const stale of buffer.splice(0)) {
        fire = stale.fire || fire;
        this.staleDropped += 1;
      }
    }
    const input = taken.pop();
    if (input === undefined) return state.credit <= slack ? "late" : undefined;
    fire = fire || taken.some((late) => late.fire);
    return { input: fire && !input.fire ? { ...input, fire: true } : input, late: taken };
  }

  /** The last seq accepted from `id` (so a reconnecting client continues after it). */
  lastSeq(id: string): number {
    return this.clients.get(id)?.lastSeq ?? -1;
  }

  forget(id: string): void {
    this.clients.delete(id);
  }
}
