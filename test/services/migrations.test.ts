import assert from "node:assert/strict";
import { PgDatabase } from "../../src/services/db/PgDatabase.ts";
import { MIGRATIONS, migrate, splitStatements } from "../../src/services/db/migrations.ts";
import { createScratchPostgres, forEachDatabase, type ScratchPostgres } from "../helpers/databases.ts";
import { testLogger } from "../helpers/logger.ts";

const newest = Math.max(...MIGRATIONS.map((m) => m.version));

forEachDatabase("migrations", (db, kind) => {
  it("records every migration and re-running applies nothing", async () => {
    const rows = await db().query<{ version: number }>("SELECT version FROM schema_migrations ORDER BY version");
    assert.deepEqual(
      rows.map((row) => row.version),
      MIGRATIONS.map((m) => m.version),
    );
    const again = await migrate(db());
    assert.deepEqual(again, { applied: [], current: newest });
  });

  it(`runs on ${kind}: normalises int8 to number and bytea to Buffer`, async () => {
    const [row] = await db().query<{ big: unknown; bytes: unknown }>(
      "SELECT 9007199254740991::int8 AS big, '\\x0102ff'::bytea AS bytes",
    );
    assert.equal(row!.big, Number.MAX_SAFE_INTEGER);
    assert.ok(Buffer.isBuffer(row!.bytes));
    assert.deepEqual([...(row!.bytes as Buffer)], [1, 2, 255]);
  });

  it("rolls a failed transaction back", async () => {
    await assert.rejects(
      db().transaction(async (tx) => {
        await tx.execute(
          "INSERT INTO leaderboards (id, title, sort_order, operator) VALUES ('tmp', 't', 'asc', 'set')",
        );
        throw new Error("boom");
      }),
      /boom/,
    );
    const rows = await db().query("SELECT id FROM leaderboards WHERE id = 'tmp'");
    assert.equal(rows.length, 0);
  });
});

describe("migrations under concurrent start-up [postgres]", function () {
  this.timeout(30_000);
  let scratch: ScratchPostgres;
  before(async () => {
    scratch = await createScratchPostgres();
  });
  after(() => scratch.drop());

  it("five processes migrating at once apply each version exactly once", async () => {
    const dbs = Array.from({ length: 5 }, () => new PgDatabase({ connectionString: scratch.url }, testLogger));
    try {
      const reports = await Promise.all(dbs.map((db) => migrate(db)));
      const appliedCounts = reports.map((report) => report.applied.length).sort();
      assert.deepEqual(appliedCounts, [0, 0, 0, 0, MIGRATIONS.length]);
      for (const report of reports) assert.equal(report.current, newest);
    } finally {
      await Promise.all(dbs.map((db) => db.close()));
    }
  });
});

describe("splitStatements", () => {
  it("splits on statement-ending semicolons only", () => {
    assert.deepEqual(splitStatements("CREATE TABLE a (x int);\nCREATE INDEX b ON a (x);\n"), [
      "CREATE TABLE a (x int)",
      "CREATE INDEX b ON a (x)",
    ]);
  });
});
