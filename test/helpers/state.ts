/**
 * Waiting on a client's synchronised state, for room tests of every game.
 */
import type { Room as ClientRoom } from "@colyseus/sdk";

// biome-ignore lint/suspicious/noExplicitAny: the client sees the synchronised state untyped.
export type AnyState = any;

/**
 * Resolves with the room's state once `predicate` holds (at most `timeoutMs`). A predicate that throws (the state is
 * not synchronised that far yet) does not hold.
 */
export function waitForState(
  room: ClientRoom,
  predicate: (state: AnyState) => boolean,
  timeoutMs = 10_000,
): Promise<AnyState> {
  const holds = (state: AnyState) => {
    try {
      return state !== undefined && predicate(state) === true;
    } catch {
      return false;
    }
  };
  return new Promise((resolve, reject) => {
    if (holds(room.state)) {
      resolve(room.state);
      return;
    }
    const onChange = (state: AnyState) => {
      if (!holds(state)) return;
      clearTimeout(timer);
      room.onStateChange.remove(onChange);
      resolve(state);
    };
    const timer = setTimeout(() => {
      room.onStateChange.remove(onChange);
      reject(new Error(`state condition not met within ${timeoutMs} ms (phase ${room.state?.phase})`));
    }, timeoutMs);
    room.onStateChange(onChange);
  });
}
