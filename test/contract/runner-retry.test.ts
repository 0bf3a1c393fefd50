import { Client } from 'pg';
import { ProjectionRunner, RunnerLogger } from '../../projections/projection-runner';
import { DocumentProjector } from '../../projections/projector';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';
import { meta, viewDocuments } from '../support/fixtures';

const onPostgres = TEST_DATABASE_KIND === 'postgres';
const skipReason = 'PGlite runs in this process: there is no server connection to terminate; this runs in the PostgreSQL pass (DATABASE_URL set)';
if (!onPostgres) console.warn(`SKIPPED pg_terminate_backend of the runner's connections: ${skipReason}`);

/** Counts events; `fails(attempt)` makes its fold throw (a projector bug, or one that heals). */
function counter(fails: () => boolean): DocumentProjector<{ count: number }> {
  return {
    name: 'counter',
    version: 1,
    handles: ['MarkRecorded'],
    keys: () => ['all'],
    evolve: (doc) => {
      if (fails()) throw new Error('cannot fold this (a bug)');
      return { count: (doc?.count ?? 0) + 1 };
    },
  };
}

/** A logger that keeps what the runner said. */
const recording = () => {
  const lines: { level: string; message: string; object: object }[] = [];
  const logger: RunnerLogger = {
    info: (object, message) => lines.push({ level: 'info', message, object }),
    error: (object, message) => lines.push({ level: 'error', message, object }),
  };
  return { lines, logger };
};

describe(`the runner after errors (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  let store: PostgresEventStore;
  let runner: ProjectionRunner | undefined;

  beforeEach(async () => {
    test = await openTestDatabase({ poolSize: 4 });
    store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
  });
  afterEach(async () => {
    await runner?.stop();
    runner = undefined;
    await test.close();
  });

  (onPostgres ? it : it.skip)('goes on after pg_terminate_backend of its connections: the next event is projected within seconds', async () => {
    runner = new ProjectionRunner(test.database.dataSource, store, [counter(() => false) as DocumentProjector], { pollIntervalMs: 10, locks: test.database.locks() });
    await runner.start();
    const first = await store.append('journal-1', 'any', [{ type: 'MarkRecorded', data: {} }], meta());
    expect(await runner.waitFor(first.position, 5000)).toBe(true);

    // Every session of this database but the test's own (the pool's, the lock session), again and
    // again while events keep coming, so that some die in the middle of the runner's reads and batches.
    const admin = new Client({ connectionString: test.url });
    await admin.connect();
    const append = async () => {
      for (let attempt = 0; ; attempt++) {
        try {
          return await store.append('journal-1', 'any', [{ type: 'MarkRecorded', data: {} }], meta());
        } catch (error) {
          // The store's pool may hand out a connection the server has just closed: retried as a client would.
          if (attempt > 5) throw error;
        }
      }
    };
    let appended = 1;
    try {
      for (let round = 0; round < 10; round++) {
        for (let i = 0; i < 10; i++, appended++) await append();
        const { rows } = await admin.query<{ n: number }>(
          `SELECT count(pg_terminate_backend(pid))::int AS n FROM pg_stat_activity WHERE datname = current_database() AND pid <> pg_backend_pid()`,
        );
        expect(rows[0].n).toBeGreaterThan(0);
      }
    } finally {
      await admin.end();
    }
    const written = await append();
    appended++;
    expect(await runner.waitFor(written.position, 10_000)).toBe(true);
    expect(await viewDocuments(test.database, 'counter')).toEqual(new Map([['all', { count: appended }]]));
    const status = await runner.status();
    expect(status.retries).toBeGreaterThan(0);
    expect(status.role).toBe('leader');
  });

  it('retries a fold that fails with growing, jittered pauses until it goes through (it used to stay dead)', async () => {
    let failures = 4;
    const delays: number[] = [];
    const { lines, logger } = recording();
    runner = new ProjectionRunner(test.database.dataSource, store, [counter(() => failures-- > 0) as DocumentProjector], {
      pollIntervalMs: 5,
      retryBaseMs: 100,
      retryMaxMs: 1000,
      logger,
      sleep: async (ms) => void delays.push(ms),
    });
    await runner.start();
    const written = await store.append('journal-1', 'any', [{ type: 'MarkRecorded', data: {} }], meta());
    expect(await runner.waitFor(written.position, 10_000)).toBe(true);
    expect(await viewDocuments(test.database, 'counter')).toEqual(new Map([['all', { count: 1 }]]));
    expect(delays).toHaveLength(4);
    delays.forEach((delay, i) => {
      expect(delay).toBeGreaterThanOrEqual((100 * 2 ** i) / 2);
      expect(delay).toBeLessThanOrEqual(100 * 2 ** i);
    });
    expect(lines.filter((line) => line.level === 'error')).toHaveLength(4);
  });

  it('a projector that always throws: back-off up to its bound, each attempt logged, reported in plain words as needing a fix', async () => {
    const delays: number[] = [];
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    const { lines, logger } = recording();
    runner = new ProjectionRunner(test.database.dataSource, store, [counter(() => true) as DocumentProjector], {
      pollIntervalMs: 5,
      retryBaseMs: 100,
      retryMaxMs: 2000,
      logger,
      // The first twelve pauses pass at once; then the runner waits (as it would, for 2 s) until the test ends.
      sleep: (ms) => {
        delays.push(ms);
        return delays.length < 12 ? Promise.resolve() : blocked;
      },
    });
    await runner.start();
    await store.append('journal-1', 'any', [{ type: 'MarkRecorded', data: {} }], meta());
    for (let i = 0; i < 500 && delays.length < 12; i++) await new Promise((resolve) => setTimeout(resolve, 10));
    expect(delays).toHaveLength(12);
    delays.forEach((delay, i) => {
      const ceiling = Math.min(2000, 100 * 2 ** i);
      expect(delay).toBeGreaterThanOrEqual(ceiling / 2);
      expect(delay).toBeLessThanOrEqual(ceiling);
    });
    const status = await runner.status();
    expect(status.failure).toMatchObject({ permanent: true, attempts: 12, reason: expect.stringContaining('the counter view could not fold the events after position') });
    expect(status.failure!.reason).not.toContain('a bug');
    expect(lines.filter((line) => line.level === 'error')).toHaveLength(12);
    expect(lines.find((line) => line.level === 'error')!.object).toMatchObject({ err: expect.any(Error) });
    release();
  });
});
