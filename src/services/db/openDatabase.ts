import path from "node:path";
import type { Logger } from "../../logger.ts";
import type { Database } from "./Database.ts";
import { PgDatabase } from "./PgDatabase.ts";
import { PgliteDatabase } from "./PgliteDatabase.ts";

/** PostgreSQL when a URL is given, else PGlite persisted under `<dataDir>/pglite`. */
export async function openDatabase(
  options: { databaseUrl: string | undefined; dataDir: string },
  log: Logger,
): Promise<Database> {
  if (options.databaseUrl !== undefined) return new PgDatabase({ connectionString: options.databaseUrl }, log);
  return PgliteDatabase.open(path.join(options.dataDir, "pglite"));
}
