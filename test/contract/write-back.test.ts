import fc from 'fast-check';
import { ProjectionRunner } from '../../projections/projection-runner';
import { textArrayLiteral } from '../../projections/view-rows';
import { DocumentProjector, foldDocuments } from '../../projections/projector';
import { streamCatalog } from '../../projections/stream-catalog/stream-catalog.projector';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { START } from '../../src/event-store/position';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';
import { meta, viewDocuments } from '../support/fixtures';

/** One document per stream, changed by every event of it. */
const perStream: DocumentProjector<{ n: number }> = {
  name: 'per-stream',
  version: 1,
  handles: '*',
  keys: (event) => [event.stream],
  evolve: (doc) => ({ n: (doc?.n ?? 0) + 1 }),
};
const projectors = [perStream as DocumentProjector, streamCatalog as DocumentProjector];

/**
 * Issue 14, point 7: a rebuild (and a first build on a long log) folds in memory and writes each
 * document once per flush, not once per batch. Every row a transaction writes carries that
 * transaction's id (`xmin`): the number of distinct ones among a view's rows is the number of
 * transactions that wrote its final state. Before: one per batch that touched a document last.
 */
describe(`write-back: documents written once per flush, not per batch (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  let store: PostgresEventStore;
  beforeAll(async () => {
    test = await openTestDatabase();
    store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
    // 8 streams × 40 events, interleaved: every batch of 5 touches documents that later batches change again.
    for (let v = 0; v < 40; v++) for (let s = 0; s < 8; s++) await store.append(`journal-${s}`, v, [{ type: 'MarkRecorded', data: { v } }], meta());
  });
  afterAll(async () => test.close());

  const writers = async (projection: string) =>
    (await test.database.pool.query<{ n: number }>(`SELECT count(DISTINCT d.xmin::text)::int AS n FROM view_document d
         JOIN projection_checkpoint c ON c.name = d.projection AND c.generation = d.generation AND c.state = 'serving' WHERE d.projection = $1`, [projection])).rows[0].n;
  const expected = async () => foldDocuments(perStream, await store.readAll(START, { limit: 10_000 }));

  it('sources written as array literals read back as they were, whatever characters a stream name holds', async () => {
    // Any text PostgreSQL can hold (no NUL): quotes, backslashes, braces, commas, spaces, NULL-looking words, Cyrillic.
    const name = fc.string({ unit: fc.constantFrom('a', '"', '\\', '{', '}', ',', ' ', 'N', 'U', 'L', 'я', '\n') });
    await fc.assert(
      fc.asyncProperty(fc.array(name, { maxLength: 6 }), async (items) => {
        const { rows } = await test.database.pool.query<{ items: string[] }>(`SELECT $1::text[] AS items`, [textArrayLiteral(items)]);
        expect(rows[0].items).toEqual(items);
      }),
      { numRuns: 200 },
    );
  });

  // A first build on a log that has events goes by school where the store can (rebuild-by-school.test.ts):
  // these two pin the live pass's own first build, what stores without a school index do.
  it('a first build on a long log in the log’s order: full batches fold in memory, one transaction writes them at the head', async () => {
    const runner = new ProjectionRunner(test.database.dataSource, store, projectors, { batchSize: 5, rebuildBySchool: false });
    await runner.catchUp();
    expect(await viewDocuments(test.database, 'per-stream')).toEqual(await expected());
    expect(await writers('per-stream')).toBe(1);
  });

  it('a first build that flushes as it goes keeps its documents: none is read back after a flush, and the table is analyzed', async () => {
    // At 5M events the live pass dropped its cache at every flush and read each document back,
    // with a planner that had never seen view_document's statistics: 0.8 s a batch.
    const kept = { ...perStream, name: 'per-stream-kept' } as DocumentProjector;
    const runner = new ProjectionRunner(test.database.dataSource, store, [kept], { batchSize: 5, rebuildFlushEvents: 40, analyzeAfterRows: 8, rebuildBySchool: false });
    const statements: string[] = [];
    const query = test.database.dataSource.query.bind(test.database.dataSource);
    const spy = jest.spyOn(test.database.dataSource, 'query').mockImplementation((sql: string, ...rest: unknown[]) => {
      statements.push(sql.trim());
      return query(sql, ...(rest as [unknown[]]));
    });
    const transaction = test.database.dataSource.transaction.bind(test.database.dataSource) as (work: unknown) => Promise<unknown>;
    let transactions = 0;
    const transactionSpy = jest.spyOn(test.database.dataSource, 'transaction').mockImplementation(((work: unknown) => {
      transactions++;
      return transaction(work);
    }) as never);
    try {
      await runner.catchUp();
    } finally {
      spy.mockRestore();
      transactionSpy.mockRestore();
    }
    expect(await viewDocuments(test.database, 'per-stream-kept')).toEqual(await expected());
    // 320 events, a flush every 40: eight flushes (each its transaction), and the pass's start.
    expect(transactions).toBeGreaterThanOrEqual(8);
    expect(statements.filter((sql) => sql.startsWith('SELECT key, doc, sources'))).toEqual([]);
    expect(statements.filter((sql) => sql === 'ANALYZE view_document').length).toBeGreaterThan(0);
    const { rows } = await test.database.pool.query<{ tuples: number }>(`SELECT reltuples::float8 AS tuples FROM pg_class WHERE relname = 'view_document'`);
    expect(rows[0].tuples).toBeGreaterThan(0);
  });

  it('a rebuild into a shadow, in batches of 5: each document written once, then switched to', async () => {
    const runner = new ProjectionRunner(test.database.dataSource, store, projectors, { batchSize: 5, rebuildBatchSize: 5 });
    await runner.reset(['per-stream']);
    await runner.catchUp();
    expect(await viewDocuments(test.database, 'per-stream')).toEqual(await expected());
    expect(await writers('per-stream')).toBe(1);
  });

  it("in the log's order with a small budget it flushes as it goes, and the views are the same", async () => {
    const runner = new ProjectionRunner(test.database.dataSource, store, projectors, { batchSize: 5, rebuildBatchSize: 5, rebuildFlushEvents: 50, rebuildMemoryBytes: 1024, rebuildBySchool: false });
    await runner.reset(['per-stream']);
    await runner.catchUp();
    expect(await viewDocuments(test.database, 'per-stream')).toEqual(await expected());
    expect(await writers('per-stream')).toBeGreaterThan(1);
  });

  it('a batch that fails half way while folding in place is never written: the live pass starts again from the stored checkpoint', async () => {
    // Folded in place (a first build on a long log holds its documents in memory): the failing batch's
    // earlier events have already changed documents. Written, the retry would count them twice.
    let failOnce = true;
    const inPlace: DocumentProjector<{ n: number }> = {
      name: 'in-place',
      version: 1,
      handles: '*',
      keys: (event) => [event.stream],
      evolve: (doc) => ({ n: (doc?.n ?? 0) + 1 }),
      evolveInPlace: (doc, event) => {
        const next = doc ?? { n: 0 };
        next.n++;
        if (failOnce && event.stream === 'journal-7' && (event.data as { v: number }).v === 20) {
          failOnce = false;
          throw new Error('a transient failure half way through a batch');
        }
        return next;
      },
    };
    const runner = new ProjectionRunner(test.database.dataSource, store, [inPlace as DocumentProjector], { batchSize: 5, retryBaseMs: 1, retryMaxMs: 5, pollIntervalMs: 5, rebuildBySchool: false });
    const events = await store.readAll(START, { limit: 10_000 });
    await runner.start();
    try {
      expect(await runner.waitFor(events[events.length - 1].position, 10_000, ['in-place'])).toBe(true);
    } finally {
      await runner.stop();
    }
    expect(failOnce).toBe(false);
    expect(await viewDocuments(test.database, 'in-place')).toEqual(foldDocuments({ ...perStream, name: 'in-place' } as DocumentProjector, events));
  });

  it('a flush that fails while the next batches are folded stops the rebuild before any switch; a new pass resumes from what was stored', async () => {
    // PostgreSQL refuses a NUL in a text: documents that events 160-199 key with one cannot be written. The
    // background flush after the 200th event is the first to hold them: its failure must stop the pass.
    let poisoned = false;
    const poison: DocumentProjector<{ n: number }> = {
      name: 'poison',
      version: 1,
      handles: '*',
      keys: (event) => [poisoned && [20, 21, 22, 23, 24].includes((event.data as { v: number }).v) ? `${event.stream}\u0000bad` : event.stream],
      evolve: (doc) => ({ n: (doc?.n ?? 0) + 1 }),
    };
    const options = { batchSize: 5, rebuildBatchSize: 5, rebuildFlushEvents: 50, rebuildBySchool: false };
    const expectedPoison = async () => foldDocuments({ ...perStream, name: 'poison' } as DocumentProjector, await store.readAll(START, { limit: 10_000 }));
    await new ProjectionRunner(test.database.dataSource, store, [poison as DocumentProjector], options).catchUp();
    expect(await viewDocuments(test.database, 'poison')).toEqual(await expectedPoison());

    poisoned = true;
    const runner = new ProjectionRunner(test.database.dataSource, store, [poison as DocumentProjector], options);
    const generation = await runner.reset(['poison']);
    await expect(runner.catchUp()).rejects.toThrow(/0x00|Unicode|\\u0000/);
    // Not switched: the first build still serves, untouched.
    const states = await test.database.pool.query<{ generation: number; state: string; position: string }>(`SELECT generation, state, position FROM projection_checkpoint WHERE name = 'poison' ORDER BY generation`);
    expect(states.rows.find((r) => r.state === 'serving')?.generation).not.toBe(generation);
    expect(states.rows.find((r) => r.generation === generation)?.state).toBe('building');
    expect(await viewDocuments(test.database, 'poison')).toEqual(await expectedPoison());

    // The cause gone, a new pass goes on from the checkpoint stored with the last flush that committed.
    poisoned = false;
    await new ProjectionRunner(test.database.dataSource, store, [poison as DocumentProjector], options).catchUp();
    const after = await test.database.pool.query<{ generation: number; state: string }>(`SELECT generation, state FROM projection_checkpoint WHERE name = 'poison' AND state = 'serving'`);
    expect(after.rows).toEqual([{ generation, state: 'serving' }]);
    expect(await viewDocuments(test.database, 'poison')).toEqual(await expectedPoison());
  });
});
