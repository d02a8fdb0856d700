/**
 * The one structured logger. Child loggers carry context (`roomId`, `playerId`, `component`); secrets are redacted
 * at the root so no call site can leak a token or a password by accident. JSON lines by default (production, and
 * whenever the output is a file or a pipe); `pretty` writes one readable line per event instead, coloured on a
 * terminal (the development server on a TTY, see src/index.ts).
 */
import { PinoPretty } from "pino-pretty";
import { pino, type DestinationStream, type Logger } from "pino";
import type { LogLevel } from "./config.ts";

export type { Logger };

export interface LogOutput {
  /** One readable line per event (time, level, message, then the event's fields) instead of JSON. */
  pretty?: boolean;
  /** Colours in pretty output (default: when stdout is a terminal). */
  colorize?: boolean;
  /** Where the lines go (default: stdout). */
  destination?: NodeJS.WritableStream;
}

/** Whether the logs should be pretty: in development, on a terminal. Production and pipes get JSON. */
export function prettyLogs(nodeEnv: string, stdout: { isTTY?: boolean } = process.stdout): boolean {
  return nodeEnv !== "production" && stdout.isTTY === true;
}

export function createLogger(level: LogLevel, base: Record<string, unknown> = {}, output: LogOutput = {}): Logger {
  const destination: DestinationStream | undefined = output.pretty
    ? PinoPretty({
        colorize: output.colorize ?? process.stdout.isTTY === true,
        singleLine: true,
        sync: true,
        translateTime: "HH:MM:ss.l",
        ignore: "pid,hostname",
        destination: output.destination ?? process.stdout,
      })
    : (output.destination as DestinationStream | undefined);
  const options = {
    level,
    base: { pid: process.pid, ...base },
    redact: {
      paths: [
        "password",
        "*.password",
        "token",
        "*.token",
        "accessToken",
        "*.accessToken",
        "refreshToken",
        "*.refreshToken",
        "authorization",
        "*.authorization",
        "*.headers.authorization",
      ],
      censor: "[redacted]",
    },
  };
  return destination === undefined ? pino(options) : pino(options, destination);
}
