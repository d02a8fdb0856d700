/**
 * Durable holding area for match results that could not be written because PostgreSQL was down: a Redis stream
 * when Redis is configured (any process may drain it), else an append-only file under DATA_DIR. Draining records
 * each result through the idempotent store, so a result drained twice is still stored once.
 */
import fs from "node:fs/promises";
import path from "node:path";
import type { Redis } from "ioredis";
import type { MatchResult } from "../matches/MatchResults.ts";

export interface JournalEntry {
  id: string;
  result: MatchResult;
}

export interface ResultJournal {
  append(result: MatchResult): Promise<void>;
  pending(limit: number): Promise<JournalEntry[]>;
  remove(id: string): Promise<void>;
}

const STREAM = "arena:results:pending";

export class RedisResultJournal implements ResultJournal {
  constructor(private readonly redis: Redis) {}

  async append(result: MatchResult): Promise<void> {
    await this.redis.xadd(STREAM, "*", "result", JSON.stringify(result));
  }

  async pending(limit: number): Promise<JournalEntry[]> {
    const entries = await this.redis.xrange(STREAM, "-", "+", "COUNT", limit);
    return entries.map(([id, fields]) => ({ id, result: JSON.parse(fields[1] ?? "null") as MatchResult }));
  }

  async remove(id: string): Promise<void> {
    await this.redis.xdel(STREAM, id);
  }
}

/** One JSON line per result; entries are removed by rewriting the file without them. Single process only. */
export class FileResultJournal implements ResultJournal {
  constructor(private readonly file: string) {}

  async append(result: MatchResult): Promise<void> {
    await fs.mkdir(path.dirname(this.file), { recursive: true });
    const handle = await fs.open(this.file, "a");
    try {
      await handle.appendFile(`${JSON.stringify(result)}\n`);
      await handle.sync();
    } finally {
      await handle.close();
    }
  }

  private async lines(): Promise<string[]> {
    try {
      return (await fs.readFile(this.file, "utf8")).split("\n").filter((line) => line.trim() !== "");
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
      throw error;
    }
  }

  async pending(limit: number): Promise<JournalEntry[]> {
    return (await this.lines()).slice(0, limit).map((line) => {
      const result = JSON.parse(line) as MatchResult;
      return { id: result.sessionId, result };
    });
  }

  async remove(id: string): Promise<void> {
    const kept = (await this.lines()).filter((line) => (JSON.parse(line) as MatchResult).sessionId !== id);
    const temporary = `${this.file}.tmp`;
    await fs.writeFile(temporary, kept.map((line) => `${line}\n`).join(""));
    await fs.rename(temporary, this.file);
  }
}
