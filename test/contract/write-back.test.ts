import { ProjectionRunner } from '../../projections/projection-runner';
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

  it('a first build on a long log: full batches fold in memory, one transaction writes them at the head', async () => {
    const runner = new ProjectionRunner(test.database.dataSource, store, projectors, { batchSize: 5 });
    await runner.catchUp();
    expect(await viewDocuments(test.database, 'per-stream')).toEqual(await expected());
    expect(await writers('per-stream')).toBe(1);
  });

  it('a rebuild into a shadow, in batches of 5: each document written once, then switched to', async () => {
    const runner = new ProjectionRunner(test.database.dataSource, store, projectors, { batchSize: 5, rebuildBatchSize: 5 });
    await runner.reset(['per-stream']);
    await runner.catchUp();
    expect(await viewDocuments(test.database, 'per-stream')).toEqual(await expected());
    expect(await writers('per-stream')).toBe(1);
  });

  it('with a small budget it flushes as it goes, and the views are the same', async () => {
    const runner = new ProjectionRunner(test.database.dataSource, store, projectors, { batchSize: 5, rebuildBatchSize: 5, rebuildFlushEvents: 50, rebuildMemoryBytes: 1024 });
    await runner.reset(['per-stream']);
    await runner.catchUp();
    expect(await viewDocuments(test.database, 'per-stream')).toEqual(await expected());
    expect(await writers('per-stream')).toBeGreaterThan(1);
  });

  it('a flush that fails while the next batches are folded stops the rebuild before any switch; a new pass resumes from what was stored', async () => {
    // PostgreSQL's jsonb refuses \u0000: documents as events 160-199 leave them cannot be written. Only the
    // background flush after the 200th event holds them (later events fold the note away): its failure must stop the pass.
    let poisoned = false;
    const poison: DocumentProjector<{ n: number; note?: string }> = {
      name: 'poison',
      version: 1,
      handles: '*',
      keys: (event) => [event.stream],
      evolve: (doc, event) => ({ n: (doc?.n ?? 0) + 1, ...(poisoned && [20, 21, 22, 23, 24].includes((event.data as { v: number }).v) ? { note: 'bad \u0000 byte' } : {}) }),
    };
    const options = { batchSize: 5, rebuildBatchSize: 5, rebuildFlushEvents: 50 };
    const expectedPoison = async () => foldDocuments({ ...perStream, name: 'poison' } as DocumentProjector, await store.readAll(START, { limit: 10_000 }));
    await new ProjectionRunner(test.database.dataSource, store, [poison as DocumentProjector], options).catchUp();
    expect(await viewDocuments(test.database, 'poison')).toEqual(await expectedPoison());

    poisoned = true;
    const runner = new ProjectionRunner(test.database.dataSource, store, [poison as DocumentProjector], options);
    const generation = await runner.reset(['poison']);
    await expect(runner.catchUp()).rejects.toThrow(/Unicode|\\u0000/);
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
