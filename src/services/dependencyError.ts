/**
 * Which failures mean "a dependency is away" rather than "this code is broken": HTTP answers them with 503 and
 * Retry-After, rooms with an UNAVAILABLE error, both logging a warning without a stack.
 */
import { DependencyError } from "../errors.ts";
import { isConnectionFailure } from "./db/ObservedDatabase.ts";

/**
 * Redis or the database did not answer (an outage `/readyz` reports too): 503 with Retry-After, which clients retry,
 * rather than a 500 that says the server is broken. ioredis gives up on a command with MaxRetriesPerRequestError.
 */
export function dependencyError(error: unknown): DependencyError | undefined {
  if (error instanceof Error && error.name === "MaxRetriesPerRequestError") return new DependencyError("redis", error);
  if (isConnectionFailure(error)) return new DependencyError("database", error);
  return undefined;
}
