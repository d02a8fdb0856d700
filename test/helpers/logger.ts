import { createLogger } from "../../src/logger.ts";

/** Tests log only warnings and worse unless TEST_LOG_LEVEL says otherwise. */
export const testLogger = createLogger((process.env.TEST_LOG_LEVEL as "silent" | undefined) ?? "silent");
