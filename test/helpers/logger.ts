import { Writable } from "node:stream";
import { pino } from "pino";
import { createLogger, type Logger } from "../../src/logger.ts";

/** Tests log only warnings and worse unless TEST_LOG_LEVEL says otherwise. */
export const testLogger = createLogger((process.env.TEST_LOG_LEVEL as "silent" | undefined) ?? "silent");

/** One parsed pino line. */
export interface LogLine {
  level: number;
  msg?: string;
  err?: { type?: string; message?: string; stack?: string };
  [key: string]: unknown;
}

/** pino's numeric levels. */
export const LOG_LEVEL = { debug: 20, info: 30, warn: 40, error: 50, fatal: 60 } as const;

/**
 * A logger that keeps every line (debug and up) in memory, for assertions on what was logged and at which level.
 * `errors()` are the lines at error level or worse.
 */
export function captureLogger(): { logger: Logger; lines: LogLine[]; errors(): LogLine[]; clear(): void } {
  const lines: LogLine[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const text of chunk.toString("utf8").split("\n")) if (text !== "") lines.push(JSON.parse(text) as LogLine);
      done();
    },
  });
  const logger = pino({ level: "debug" }, sink);
  return {
    logger,
    lines,
    errors: () => lines.filter((line) => line.level >= LOG_LEVEL.error),
    clear: () => {
      lines.length = 0;
    },
  };
}
