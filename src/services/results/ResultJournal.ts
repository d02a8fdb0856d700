/**
 * Durable holding area for match results that could not be written because PostgreSQL was down: a Redis stream
 * when Redis is configured (any process may drain it), else an append-only file under DATA_DIR. Draining records
 * each result through the idempotent store, so a result drained twice is still stored once.
 *
 * An entry that cannot be stored while the database answers (refused, malformed, failing every try) is *parked*:
 * moved to a second list with the reason, kept for an operator to inspect and replay, never deleted — so one bad
 * entry cannot block the ones behind it, and no result disappears without a trace.
 */
import { createHash } from "node:crypto";
import fs from "node:fs/promises";
import path from "node:path";
import type { Redis } from "ioredis";
import type { MatchResult } from "../matches/MatchResults.ts";

export interface JournalEntry {
  id: string;
  /** The entry as stored (JSON). */
  raw: string;
  /** The parsed result; undefined when the entry is not a readable result (it gets parked as `malformed`). */
  result: MatchResult | undefined;
}

export interface ParkedEntry extends JournalEntry {
  /** Why it was parked: `fenced`, `conflict`, `malformed`, `failing`. */
  reason: string;
  /** The error or refusal, for the operator. */
  detail: string;
  parkedAt: number;
}

export interface ResultJournal {
  append(result: MatchResult): Promise<void>;
  /** The oldest `limit` entries, in the order they were appended. */
  pending(limit: number): Promise<JournalEntry[]>;
  remove(id: string): Promise<void>;
  /** Moves the entry (if pending) to the parked list, with why; an entry not in the journal is parked all the same. */
  park(entry: Pick<JournalEntry, "id" | "raw">, reason: string, detail: string): Promise<void>;
  /** Parked entries, oldest first. */
  parked(limit: number): Promise<ParkedEntry[]>;
  /** Puts a parked entry back at the end of the journal (after the operator fixed its cause); false if unknown. */
  replay(id: string): Promise<boolean>;
  /** Session ids that have a result here, pending or parked: those matches ended and must not be restored. */
  sessionIds(): Promise<Set<string>>;
}

const STREAM = "arena:results:pending";
const PARKED_STREAM = "arena:results:parked";
const SCAN_BATCH = 500;

function parse(raw: string): MatchResult | undefined {
  try {
    const value = JSON.parse(raw) as Partial<MatchResult> | null;
    if (value === null || typeof value !== "object" || typeof value.sessionId !== "string") return undefined;
    if (!Array.isArray(value.players)) return undefined;
    return value as MatchResult;
  } catch {
    return undefined;
  }
}

function sessionIdOf(raw: string): string | undefined {
  try {
    const value = JSON.parse(raw) as { sessionId?: unknown } | null;
    return typeof value?.sessionId === "string" ? value.sessionId : undefined;
  } catch {
    return undefined;
  }
}

/** Field list of a stream entry as a record. */
function fieldsOf(fields: string[]): Record<string, string> {
  const record: Record<string, string> = {};
  for (let i = 0; i + 1 < fields.length; i += 2) record[fields[i]!] = fields[i + 1]!;
  return record;
}

export class RedisResultJournal implements ResultJournal {
  constructor(private readonly redis: Redis) {}

  async append(result: MatchResult): Promise<void> {
    await this.redis.xadd(STREAM, "*", "result", JSON.stringify(result));
  }

  async pending(limit: number): Promise<JournalEntry[]> {
    const entries = await this.redis.xrange(STREAM, "-", "+", "COUNT", limit);
    return entries.map(([id, fields]) => {
      const raw = fieldsOf(fields).result ?? "";
      return { id, raw, result: parse(raw) };
    });
  }

  async remove(id: string): Promise<void> {
    await this.redis.xdel(STREAM, id);
  }

  async park(entry: Pick<JournalEntry, "id" | "raw">, reason: string, detail: string): Promise<void> {
    // One transaction: the entry is in exactly one of the two lists whatever happens between the two commands.
    await this.redis
      .multi()
      .xadd(PARKED_STREAM, "*", "result", entry.raw, "reason", reason, "detail", detail, "from", entry.id)
      .xdel(STREAM, entry.id)
      .exec();
  }

  async parked(limit: number): Promise<ParkedEntry[]> {
    const entries = await this.redis.xrange(PARKED_STREAM, "-", "+", "COUNT", limit);
    return entries.map(([id, fields]) => {
      const record = fieldsOf(fields);
      const raw = record.result ?? "";
      return {
        id,
        raw,
        result: parse(raw),
        reason: record.reason ?? "",
        detail: record.detail ?? "",
        parkedAt: Number(id.split("-")[0]),
      };
    });
  }

  async replay(id: string): Promise<boolean> {
    const [entry] = await this.redis.xrange(PARKED_STREAM, id, id);
    if (entry === undefined) return false;
    await this.redis
      .multi()
      .xadd(STREAM, "*", "result", fieldsOf(entry[1]).result ?? "")
      .xdel(PARKED_STREAM, id)
      .exec();
    return true;
  }

  async sessionIds(): Promise<Set<string>> {
    const ids = new Set<string>();
    for (const stream of [STREAM, PARKED_STREAM]) {
      let start = "-";
      for (;;) {
        const batch = await this.redis.xrange(stream, start, "+", "COUNT", SCAN_BATCH);
        for (const [, fields] of batch) {
          const sessionId = sessionIdOf(fieldsOf(fields).result ?? "");
          if (sessionId !== undefined) ids.add(sessionId);
        }
        if (batch.length < SCAN_BATCH) break;
        start = `(${batch.at(-1)![0]}`;
      }
    }
    return ids;
  }
}

/** An entry's id in the file journal: the hash of its line (identical lines are the same result). */
function lineId(line: string): string {
  return createHash("sha256").update(line).digest("hex").slice(0, 24);
}

/**
 * One JSON line per result; entries are removed by rewriting the file without them. Parked entries go to a second
 * file next to it (`<name>.parked`, one JSON line each: `{reason, detail, parkedAt, result}` with the raw line as
 * `result`). One operation at a time — a rewrite must not drop a line appended while it ran — within this process
 * (a queue) and across processes (a lock file next to it: the server and the operator's `results:journal replay`).
 */
export class FileResultJournal implements ResultJournal {
  private readonly parkedFile: string;
  private queue: Promise<unknown> = Promise.resolve();

  constructor(private readonly file: string) {
    this.parkedFile = `${file}.parked`;
  }

  /** Runs `operation` after every operation started before it, holding the journal's lock file. */
  private exclusive<T>(operation: () => Promise<T>): Promise<T> {
    const locked = () => withLockFile(`${this.file}.lock`, operation);
    const run = this.queue.then(locked, locked);
    this.queue = run.catch(() => undefined);
    return run;
  }

  append(result: MatchResult): Promise<void> {
    return this.exclusive(() => appendLine(this.file, JSON.stringify(result)));
  }

  pending(limit: number): Promise<JournalEntry[]> {
    return this.exclusive(async () =>
      (await readLines(this.file)).slice(0, limit).map((raw) => ({ id: lineId(raw), raw, result: parse(raw) })),
    );
  }

  remove(id: string): Promise<void> {
    return this.exclusive(() => this.removeLine(id));
  }

  private async removeLine(id: string): Promise<void> {
    const lines = await readLines(this.file);
    const kept = lines.filter((line) => lineId(line) !== id);
    if (kept.length !== lines.length) await rewrite(this.file, kept);
  }

  park(entry: Pick<JournalEntry, "id" | "raw">, reason: string, detail: string): Promise<void> {
    return this.exclusive(async () => {
      // Parked first, then removed: a crash in between leaves it in both places, never in neither.
      await appendLine(this.parkedFile, JSON.stringify({ reason, detail, parkedAt: Date.now(), result: entry.raw }));
      await this.removeLine(entry.id);
    });
  }

  parked(limit: number): Promise<ParkedEntry[]> {
    return this.exclusive(() => this.parkedEntries(limit));
  }

  private async parkedEntries(limit: number): Promise<ParkedEntry[]> {
    return (await readLines(this.parkedFile)).slice(0, limit).map((line) => {
      let record: { reason?: string; detail?: string; parkedAt?: number; result?: string } = {};
      try {
        record = JSON.parse(line);
      } catch {
        // an unreadable line still shows up, as itself
      }
      const raw = record.result ?? line;
      return {
        id: lineId(line),
        raw,
        result: parse(raw),
        reason: record.reason ?? "",
        detail: record.detail ?? "",
        parkedAt: record.parkedAt ?? 0,
      };
    });
  }

  replay(id: string): Promise<boolean> {
    return this.exclusive(async () => {
      const lines = await readLines(this.parkedFile);
      const found = (await this.parkedEntries(lines.length)).find((entry) => entry.id === id);
      if (found === undefined) return false;
      await appendLine(this.file, found.raw);
      await rewrite(
        this.parkedFile,
        lines.filter((line) => lineId(line) !== id),
      );
      return true;
    });
  }

  sessionIds(): Promise<Set<string>> {
    return this.exclusive(async () => {
      const ids = new Set<string>();
      for (const raw of await readLines(this.file)) {
        const sessionId = sessionIdOf(raw);
        if (sessionId !== undefined) ids.add(sessionId);
      }
      for (const entry of await this.parkedEntries(Number.MAX_SAFE_INTEGER)) {
        const sessionId = sessionIdOf(entry.raw);
        if (sessionId !== undefined) ids.add(sessionId);
      }
      return ids;
    });
  }
}

/** How long an operation waits for the lock file; operations take milliseconds. */
const LOCK_WAIT_MS = 10_000;
/** A lock file older than this was left by a process that died holding it. */
const STALE_LOCK_MS = 10_000;

async function withLockFile<T>(lockFile: string, work: () => Promise<T>): Promise<T> {
  await fs.mkdir(path.dirname(lockFile), { recursive: true });
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await (await fs.open(lockFile, "wx")).close();
      break;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
      const held = await fs.stat(lockFile).catch(() => undefined);
      if (held !== undefined && Date.now() - held.mtimeMs > STALE_LOCK_MS) await fs.rm(lockFile, { force: true });
      else if (Date.now() > deadline) throw new Error(`the result journal is locked (${lockFile})`);
      else await new Promise((resolve) => setTimeout(resolve, 5));
    }
  }
  try {
    return await work();
  } finally {
    await fs.rm(lockFile, { force: true });
  }
}

async function appendLine(file: string, line: string): Promise<void> {
  await fs.mkdir(path.dirname(file), { recursive: true });
  const handle = await fs.open(file, "a+");
  try {
    // A line cut short by a crash (no newline) stays a line of its own: this one must not be glued to it.
    const { size } = await handle.stat();
    const last = Buffer.alloc(1);
    if (size > 0) await handle.read(last, 0, 1, size - 1);
    await handle.appendFile(`${size > 0 && last[0] !== 0x0a ? "\n" : ""}${line}\n`);
    await handle.sync();
  } finally {
    await handle.close();
  }
}

async function readLines(file: string): Promise<string[]> {
  try {
    return (await fs.readFile(file, "utf8")).split("\n").filter((line) => line.trim() !== "");
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === "ENOENT") return [];
    throw error;
  }
}

async function rewrite(file: string, lines: readonly string[]): Promise<void> {
  const temporary = `${file}.tmp`;
  await fs.writeFile(temporary, lines.map((line) => `${line}\n`).join(""));
  await fs.rename(temporary, file);
}
