import { Database } from '../../src/database/database';
import { openTestDatabase, testDatabaseEnv, TEST_DATABASE_KIND } from '../support/database';

const onPostgres = TEST_DATABASE_KIND === 'postgres';
const skipReason = 'PGlite is one process (its data folder cannot be opened twice), so two can never migrate at once; this runs in the PostgreSQL pass (DATABASE_URL set)';
if (!onPostgres) console.warn(`SKIPPED concurrent migrations: ${skipReason}`);

/** Several instances deployed together start at the same moment on one empty database. */
describe(`migrations (${TEST_DATABASE_KIND})`, () => {
  (onPostgres ? it : it.skip)('lets processes that start at once on an empty database all succeed, each table made once', async () => {
    for (let round = 0; round < 3; round++) {
      const target = await testDatabaseEnv();
      const opened: Database[] = [];
      try {
        const attempts = await Promise.allSettled(
          [0, 1, 2].map(async () => {
            const database = await Database.open({ databaseUrl: target.env.DATABASE_URL, dataDir: '', poolSize: 2 });
            opened.push(database);
            return database;
          }),
        );
        expect(attempts.map((a) => (a.status === 'rejected' ? String(a.reason) : 'opened'))).toEqual(['opened', 'opened', 'opened']);
        const { rows } = await opened[0].pool.query<{ n: number }>('SELECT count(*)::int AS n FROM migrations');
        expect(rows[0].n).toBe(opened[0].dataSource.migrations.length);
      } finally {
        for (const database of opened) await database.close();
        await target.drop();
      }
    }
  });
  if (!onPostgres) it.todo(`run concurrent migrations: ${skipReason}`);

  // Issue 14: pglz was ~40% of PostgreSQL's time per document a rebuild writes. PGlite has no lz4: there the migration keeps pglz and still succeeds.
  it(`compresses view documents with ${onPostgres ? 'lz4' : "the server's default (PGlite is built without lz4)"}, and writes them`, async () => {
    const test = await openTestDatabase();
    try {
      const { rows } = await test.database.pool.query<{ compression: string }>(
        `SELECT attcompression::text AS compression FROM pg_attribute WHERE attrelid = 'view_document'::regclass AND attname = 'doc'`,
      );
      expect(rows[0].compression).toBe(onPostgres ? 'l' : '');
      const big = { text: 'Тема урока '.repeat(400) };
      await test.database.pool.query(`INSERT INTO view_document (projection, generation, key, doc, sources, position) VALUES ('lz4-check', 0, 'k', $1::json, '{}', '0.0')`, [JSON.stringify(big)]);
      const stored = await test.database.pool.query<{ doc: unknown; method: string | null }>(`SELECT doc, pg_column_compression(doc) AS method FROM view_document WHERE projection = 'lz4-check'`);
      expect(stored.rows[0]).toEqual({ doc: big, method: onPostgres ? 'lz4' : 'pglz' });
    } finally {
      await test.close();
    }
  });
});
