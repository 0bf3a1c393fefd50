import { Database } from '../../src/database/database';
import { testDatabaseEnv, TEST_DATABASE_KIND } from '../support/database';

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
});
