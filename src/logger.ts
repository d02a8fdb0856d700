/**
 * The one structured logger. Child loggers carry context (`roomId`, `playerId`, `component`); secrets are redacted
 * at the root so no call site can leak a token or a password by accident.
 */
import { pino, type Logger } from "pino";
import type { LogLevel } from "./config.ts";

export type { Logger };

export function createLogger(level: LogLevel, base: Record<string, unknown> = {}): Logger {
  return pino({
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
  });
}
