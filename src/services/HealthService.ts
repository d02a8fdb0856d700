import type { Redis } from "ioredis";
import type { Database, DatabaseKind } from "./db/Database.ts";
import { withTimeout } from "./db/Database.ts";

export interface DependencyCheck {
  ok: boolean;
  latencyMs: number;
  error?: string;
}

export interface Readiness {
  ready: boolean;
  database: DependencyCheck & { kind: DatabaseKind };
  redis: (DependencyCheck & { configured: true }) | { configured: false };
}

async function timed(check: () => Promise<unknown>): Promise<DependencyCheck> {
  const started = performance.now();
  try {
    await check();
    return { ok: true, latencyMs: Math.round((performance.now() - started) * 10) / 10 };
  } catch (error) {
    return {
      ok: false,
      latencyMs: Math.round(performance.now() - started),
      error: error instanceof Error ? error.message : String(error),
    };
  }
}

/**
 * Readiness of this process: the database answers, and Redis answers when it is configured. Each check is bounded
 * by `timeoutMs`, so `/readyz` answers within that time even when a dependency hangs rather than refuses.
 */
export class HealthService {
  constructor(
    private readonly db: Database,
    private readonly redis: Redis | undefined,
    /** Status of every Redis connection the process holds (presence pub/sub, driver, own), by name. */
    private readonly redisConnections: () => Record<string, string> = () => ({}),
    /**
     * Round trips through the Redis users Colyseus holds (matchmaker driver, presence), by name: each rejects while
     * its user cannot serve, however its connection looks.
     */
    private readonly redisProbes: Record<string, (timeoutMs: number) => Promise<void>> = {},
    private readonly timeoutMs = 1000,
  ) {}

  async readiness(): Promise<Readiness> {
    const redis = this.redis;
    const [database, redisCheck] = await Promise.all([
      timed(() => this.db.ping(this.timeoutMs)),
      redis === undefined ? undefined : timed(() => this.pingRedis(redis)),
    ]);
    return {
      ready: database.ok && (redisCheck?.ok ?? true),
      database: { ...database, kind: this.db.kind },
      redis: redisCheck === undefined ? { configured: false } : { ...redisCheck, configured: true },
    };
  }

  /**
   * Redis is usable when it answers a PING, every connection of ours is (again) established, and the matchmaker
   * driver and presence answer through their own connections.
   */
  private async pingRedis(redis: Redis): Promise<void> {
    await withTimeout(redis.ping(), this.timeoutMs, "Redis");
    const down = Object.entries(this.redisConnections()).filter(([, status]) => status !== "ready");
    if (down.length > 0)
      throw new Error(`Redis connections not ready: ${down.map(([name, status]) => `${name}=${status}`).join(", ")}`);
    const probes = Object.entries(this.redisProbes);
    const failed = (await Promise.allSettled(probes.map(([, probe]) => probe(this.timeoutMs))))
      .map((outcome, i) => (outcome.status === "rejected" ? probes[i]![0] : undefined))
      .filter((name) => name !== undefined);
    if (failed.length > 0) throw new Error(`Redis not usable by: ${failed.join(", ")}`);
  }
}
