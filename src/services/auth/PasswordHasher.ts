import os from "node:os";
import argon2 from "argon2";
import { Semaphore } from "../Semaphore.ts";

/** OWASP's argon2id floor (Password Storage Cheat Sheet): m = 19 MiB, t = 2, p = 1. */
export const ARGON2_OPTIONS = { type: argon2.argon2id, memoryCost: 19 * 1024, timeCost: 2, parallelism: 1 } as const;

/**
 * Default concurrency: half the cores (at least one), so a burst of logins leaves the other cores to the game loop.
 * Each hash also costs 19 MiB while it runs, so concurrency bounds memory too.
 */
export function defaultHashConcurrency(): number {
  return Math.max(1, Math.floor(os.availableParallelism() / 2));
}

/**
 * argon2id hashing with bounded concurrency and a bounded queue. `verifyOrBurn` costs a full hash even when there
 * is no stored hash (unknown username), so response time does not reveal whether an account exists.
 */
export class PasswordHasher {
  private readonly gate: Semaphore;
  private dummyHash: Promise<string> | undefined;

  constructor(
    readonly concurrency = defaultHashConcurrency(),
    maxWaiting = 256,
  ) {
    this.gate = new Semaphore(concurrency, maxWaiting);
  }

  hash(password: string): Promise<string> {
    return this.gate.run(() => argon2.hash(password, ARGON2_OPTIONS));
  }

  /** True when `password` matches `stored`; with no stored hash, spends the same work and returns false. */
  async verifyOrBurn(stored: string | null | undefined, password: string): Promise<boolean> {
    if (stored === null || stored === undefined) {
      this.dummyHash ??= argon2.hash("not-a-real-password-for-timing", ARGON2_OPTIONS);
      const dummy = await this.dummyHash;
      await this.gate.run(() => argon2.verify(dummy, password));
      return false;
    }
    return this.gate.run(() => argon2.verify(stored, password));
  }
}
