import { ProjectionCheckpoint } from '../../projections/entities';
import { ProjectionRunner } from '../../projections/projection-runner';
import { DocumentProjector, foldDocuments } from '../../projections/projector';
import { streamCatalog } from '../../projections/stream-catalog/stream-catalog.projector';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { formatPosition, START } from '../../src/event-store/position';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';
import { meta, viewDocuments } from '../support/fixtures';

/** Counts events per type: a view whose double-application would show at once. */
const typeCounter = (version: number): DocumentProjector<{ count: number }> => ({
  name: 'type-counter',
  version,
  handles: '*',
  keys: (event) => [event.type],
  evolve: (doc) => ({ count: (doc?.count ?? 0) + 1 }),
});

describe(`projection runner (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  let store: PostgresEventStore;

  beforeEach(async () => {
    test = await openTestDatabase();
    store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
  });
  afterEach(async () => test.close());

  const appendSome = async (streams: number, perStream: number, prefix = 'journal') => {
    for (let s = 0; s < streams; s++) {
      for (let v = 0; v < perStream; v++) {
        await store.append(`${prefix}-${s}`, v, [{ type: v % 2 ? 'MarkRecorded' : 'LessonRecorded', data: { v } }], meta());
      }
    }
  };

  it('follows the log live and keeps each view equal to a fold of the whole log', async () => {
    const runner = new ProjectionRunner(test.database.dataSource, store, [streamCatalog as DocumentProjector, typeCounter(1)], {
      batchSize: 7,
      pollIntervalMs: 10,
    });
    await runner.start();
    await appendSome(3, 10);
    const last = await store.append('journal-x', 'no-stream', [{ type: 'Other', data: {} }], meta());
    expect(await runner.waitFor(last.position, 5000)).toBe(true);
    await runner.stop();
    const all = await store.readAll(START, { limit: 10_000 });
    expect(await viewDocuments(test.database, 'stream-catalog')).toEqual(foldDocuments(streamCatalog, all));
    expect(await viewDocuments(test.database, 'type-counter')).toEqual(
      new Map([
        ['LessonRecorded', { count: 15 }],
        ['MarkRecorded', { count: 15 }],
        ['Other', { count: 1 }],
      ]),
    );
    const checkpoint = await test.database.dataSource.getRepository(ProjectionCheckpoint).findOneByOrFail({ name: 'type-counter' });
    expect(checkpoint.position).toBe(formatPosition(last.position));
  });

  it('waitFor gives up after its timeout when the views cannot reach a position', async () => {
    const runner = new ProjectionRunner(test.database.dataSource, store, [typeCounter(1)]);
    await runner.catchUp();
    expect(await runner.waitFor({ major: 10n ** 15n, minor: 1n }, 50)).toBe(false);
  });

  it('rebuilds a view from position 0 when its projector version is bumped, and only that view', async () => {
    await appendSome(2, 5);
    const first = new ProjectionRunner(test.database.dataSource, store, [typeCounter(1), streamCatalog as DocumentProjector]);
    await first.catchUp();
    // Corrupt the stored counter so a rebuild is visible: version 2 must recompute it from the log.
    await test.database.pool.query(`UPDATE view_document SET doc = '{"count": 999}' WHERE projection = 'type-counter'`);
    await test.database.pool.query(`UPDATE view_document SET doc = '{"stale": true}' WHERE projection = 'stream-catalog'`);
    const second = new ProjectionRunner(test.database.dataSource, store, [typeCounter(2), streamCatalog as DocumentProjector]);
    await second.catchUp();
    const counts = await viewDocuments(test.database, 'type-counter');
    expect(counts.get('LessonRecorded')).toEqual({ count: 6 });
    expect(counts.get('MarkRecorded')).toEqual({ count: 4 });
    // Same version: left as it was (a rebuild is decided by version, not by guesswork).
    expect((await viewDocuments(test.database, 'stream-catalog')).get('journal-0')).toEqual({ stale: true });
  });

  it('never applies an event twice, even with two runners on one database', async () => {
    await appendSome(4, 10);
    const a = new ProjectionRunner(test.database.dataSource, store, [typeCounter(1)], { batchSize: 3 });
    const b = new ProjectionRunner(test.database.dataSource, store, [typeCounter(1)], { batchSize: 5 });
    await a.catchUp();
    await Promise.all([a.catchUp(), b.catchUp()]);
    await appendSome(1, 4, 'later');
    await Promise.all([a.catchUp(), b.catchUp()]);
    const counts = await viewDocuments(test.database, 'type-counter');
    expect(counts.get('LessonRecorded')).toEqual({ count: 22 });
    expect(counts.get('MarkRecorded')).toEqual({ count: 22 });
  });

  it('rebuilding from scratch gives the same documents as the live run', async () => {
    const runner = new ProjectionRunner(test.database.dataSource, store, [streamCatalog as DocumentProjector], { batchSize: 4 });
    await appendSome(3, 6);
    await runner.catchUp();
    const live = await viewDocuments(test.database, 'stream-catalog');
    await runner.reset(['stream-catalog']);
    // The rebuild goes into a shadow generation: until it has caught up, reads see the old one whole.
    expect(await viewDocuments(test.database, 'stream-catalog')).toEqual(live);
    await runner.catchUp();
    expect(await viewDocuments(test.database, 'stream-catalog')).toEqual(live);
    // Switched: one generation left, the old rows dropped.
    const { rows } = await test.database.pool.query<{ generations: number }>(
      `SELECT count(DISTINCT generation)::int AS generations FROM view_document WHERE projection = 'stream-catalog'`,
    );
    expect(rows[0].generations).toBe(1);
    await expect(runner.reset(['nope'])).rejects.toThrow('no projection named nope');
  });
});
