/**
 * Operator's view of the result journal (docs/RECOVERY.md, "Outages"): what is waiting for PostgreSQL, what was
 * parked and why, and a replay of a parked entry once its cause is fixed. Uses the server's own journal: the Redis
 * stream when REDIS_URL is set, else the file under DATA_DIR (default ./data) — run it with the server's environment.
 *
 *   node --import tsx scripts/resultJournal.ts list          pending count, then each parked entry as a JSON line
 *   node --import tsx scripts/resultJournal.ts replay <id>   moves a parked entry back to the end of the journal
 */
import path from "node:path";
import { Redis } from "ioredis";
import { FileResultJournal, RedisResultJournal, type ResultJournal } from "../src/services/results/ResultJournal.ts";

const LIMIT = 10_000;

async function main(args: string[]): Promise<number> {
  const redisUrl = process.env.REDIS_URL;
  const redis =
    redisUrl === undefined || redisUrl === "" ? undefined : new Redis(redisUrl, { maxRetriesPerRequest: 1 });
  // Reported once, below, by the command that could not run; not as ioredis' unhandled error events.
  redis?.on("error", () => {});
  const journal: ResultJournal =
    redis === undefined
      ? new FileResultJournal(path.resolve(process.env.DATA_DIR ?? "data", "results-journal.ndjson"))
      : new RedisResultJournal(redis);
  try {
    const [command, id] = args;
    if (command === "list") {
      process.stdout.write(`${JSON.stringify({ pending: (await journal.pending(LIMIT)).length })}\n`);
      for (const entry of await journal.parked(LIMIT)) {
        const { id: entryId, reason, detail, parkedAt, result, raw } = entry;
        const shown = result === undefined ? { raw } : { sessionId: result.sessionId, epoch: result.epoch, result };
        process.stdout.write(`${JSON.stringify({ id: entryId, reason, detail, parkedAt, ...shown })}\n`);
      }
      return 0;
    }
    if (command === "replay" && id !== undefined) {
      if (!(await journal.replay(id))) {
        process.stderr.write(`no parked entry ${id}\n`);
        return 1;
      }
      process.stdout.write(`replayed ${id}: it is drained with the next pending results\n`);
      return 0;
    }
    process.stderr.write("usage: resultJournal.ts list | replay <id>\n");
    return 2;
  } finally {
    redis?.disconnect();
  }
}

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (error: unknown) => {
    const message = error instanceof Error ? error.message : String(error);
    const redisDown = (error as Error).name === "MaxRetriesPerRequestError";
    process.stderr.write(`${redisDown ? `REDIS_URL does not answer: ${message}` : message}\n`);
    process.exit(1);
  },
);
