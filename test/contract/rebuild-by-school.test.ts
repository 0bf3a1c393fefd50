import { v7 as uuidv7 } from 'uuid';
import { ProjectionRunner } from '../../projections/projection-runner';
import { DocumentProjector, foldDocuments } from '../../projections/projector';
import { streamCatalog } from '../../projections/stream-catalog/stream-catalog.projector';
import { LogQuery } from '../../src/event-store/event-store.port';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { START } from '../../src/event-store/position';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';
import { TEACHER, viewDocuments } from '../support/fixtures';

/** One document per stream, counting its events in order. */
const perStream: DocumentProjector<{ seen: number[] }> = {
  name: 'per-stream',
  version: 1,
  handles: ['MarkRecorded'],
  keys: (event) => [event.stream],
  evolve: (doc, event) => ({ seen: [...(doc?.seen ?? []), (event.data as { v: number }).v] }),
};
const projectors = [perStream as DocumentProjector, streamCatalog as DocumentProjector];
const SCHOOLS = [uuidv7(), uuidv7(), uuidv7()].sort();

/**
 * Issue 14, point 7 at 5M events: a rebuild read in the log's order held every school's documents
 * at once, could not keep them within its memory, wrote them several times and read them back
 * (17,600 events/s and 8 GiB at 5M). Now it reads the log school by school up to its head and
 * writes each school's documents once (projections/rebuild-by-school.ts).
 */
describe(`a rebuild reads the log school by school (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  let store: PostgresEventStore;
  let queries: LogQuery[];

  beforeAll(async () => {
    test = await openTestDatabase();
    store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
    // 3 schools × 4 streams × 15 events, interleaved as a school day is; and one stream written from two schools.
    for (let v = 0; v < 15; v++) {
      for (const [s, schoolId] of SCHOOLS.entries()) {
        for (let j = 0; j < 4; j++) await store.append(`journal-${s}-${j}`, v, [{ type: 'MarkRecorded', data: { v } }], { schoolId, actor: TEACHER, correlationId: uuidv7() });
      }
      await store.append('account-shared', v, [{ type: 'MarkRecorded', data: { v } }], { schoolId: SCHOOLS[v % 2], actor: TEACHER, correlationId: uuidv7() });
    }
    await new ProjectionRunner(test.database.dataSource, store, projectors).catchUp();
    const query = store.query.bind(store);
    jest.spyOn(store, 'query').mockImplementation((filter) => {
      queries.push(filter);
      return query(filter);
    });
  });
  beforeEach(() => (queries = []));
  afterAll(async () => test.close());

  const definition = async (projector: DocumentProjector) => foldDocuments(projector, await store.readAll(START, { limit: 10_000 }));
  /** Distinct writing transactions of the serving rows of a view. */
  const writers = async (projection: string) =>
    (
      await test.database.pool.query<{ n: number }>(
        `SELECT count(DISTINCT d.xmin::text)::int AS n FROM view_document d
           JOIN projection_checkpoint c ON c.name = d.projection AND c.generation = d.generation AND c.state = 'serving' WHERE d.projection = $1`,
        [projection],
      )
    ).rows[0].n;
  const schoolsRead = () => queries.filter((q) => q.schoolId !== undefined).map((q) => q.schoolId);

  it("holds one school's documents at a time: each school read once, its documents written once, none read back", async () => {
    // Room for one school's documents (~40 KB as the rebuild estimates them: 10 documents, 136 folds),
    // not for all three: read in the log's order, they were flushed, dropped and read back.
    const runner = new ProjectionRunner(test.database.dataSource, store, projectors, { rebuildMemoryBytes: 60_000, rebuildBatchSize: 7 });
    const statements: string[] = [];
    const query = test.database.dataSource.query.bind(test.database.dataSource);
    const spy = jest.spyOn(test.database.dataSource, 'query').mockImplementation((sql: string, ...rest: unknown[]) => {
      statements.push(sql.trim());
      return query(sql, ...(rest as [unknown[]]));
    });
    try {
      await runner.reset();
      await runner.catchUp();
    } finally {
      spy.mockRestore();
    }
    for (const projector of projectors) expect(await viewDocuments(test.database, projector.name)).toEqual(await definition(projector));
    expect(new Set(schoolsRead())).toEqual(new Set([null, ...SCHOOLS]));
    // Each school's documents in one transaction (and the streams of no school's: none here).
    expect(await writers('per-stream')).toBe(SCHOOLS.length);
    expect(statements.filter((sql) => sql.startsWith('SELECT key, doc, sources'))).toEqual([]);
  });

  it('a document named by events of two schools is folded from its source streams, in the order of the log', async () => {
    const runner = new ProjectionRunner(test.database.dataSource, store, projectors);
    await runner.reset();
    await runner.catchUp();
    const docs = await viewDocuments(test.database, 'per-stream');
    expect(docs.get('account-shared')).toEqual({ seen: Array.from({ length: 15 }, (_, v) => v) });
    expect(docs).toEqual(await definition(perStream as DocumentProjector));
  });

  it.each([
    ['', 256 * 1024 * 1024],
    [', after writing part of it to stay within memory (what it wrote is found and folded again)', 1],
  ])('a school whose fold fails half way (folding in place) is never counted as written: the leader builds it again from the school before%s', async (_, memory) => {
    let failOnce = true;
    const inPlace: DocumentProjector<{ seen: number[] }> = {
      ...(perStream as DocumentProjector<{ seen: number[] }>),
      name: `in-place-${memory}`,
      evolveInPlace: (doc, event) => {
        const next = doc ?? { seen: [] };
        next.seen.push((event.data as { v: number }).v);
        if (failOnce && event.stream === 'journal-1-2' && (event.data as { v: number }).v === 9) {
          failOnce = false;
          throw new Error('a transient failure half way through a school');
        }
        return next;
      },
    };
    const runner = new ProjectionRunner(test.database.dataSource, store, [inPlace as DocumentProjector], { rebuildBatchSize: 4, rebuildMemoryBytes: memory, retryBaseMs: 1, retryMaxMs: 5, pollIntervalMs: 5 });
    await runner.start();
    try {
      const head = await store.head();
      expect(await runner.waitFor(head, 20_000, [`in-place-${memory}`])).toBe(true);
    } finally {
      await runner.stop();
    }
    expect(failOnce).toBe(false);
    expect(await viewDocuments(test.database, `in-place-${memory}`)).toEqual(await definition(perStream as DocumentProjector));
  });

  it('a school whose write fails stops the rebuild before any switch; a new pass goes on from the school before', async () => {
    // PostgreSQL refuses a NUL in a text: the documents of the second school cannot be written.
    let poisoned = true;
    const poison: DocumentProjector<{ seen: number[] }> = {
      ...(perStream as DocumentProjector<{ seen: number[] }>),
      name: 'poison',
      keys: (event) => [poisoned && event.schoolId === SCHOOLS[1] ? `${event.stream}\u0000bad` : event.stream],
    };
    const runner = new ProjectionRunner(test.database.dataSource, store, [poison as DocumentProjector]);
    await expect(runner.catchUp()).rejects.toThrow(/0x00|Unicode|\\u0000/);
    const states = await test.database.pool.query<{ state: string; build_after: string | null; events_applied: string }>(
      `SELECT state, build_after, events_applied::text FROM projection_checkpoint WHERE name = 'poison' ORDER BY generation`,
    );
    // The first build of this view runs beside an empty serving one: nothing switched, the first school recorded.
    expect(states.rows.map((r) => [r.state, r.build_after])).toEqual([
      ['serving', null],
      ['building', SCHOOLS[0]],
    ]);
    poisoned = false;
    queries = [];
    await new ProjectionRunner(test.database.dataSource, store, [poison as DocumentProjector]).catchUp();
    expect(new Set(schoolsRead())).toEqual(new Set([SCHOOLS[1], SCHOOLS[2]]));
    expect(await viewDocuments(test.database, 'poison')).toEqual(await definition(perStream as DocumentProjector));
  });

  it('stopped after a school, another runner goes on with the next: no school is read twice', async () => {
    const first = new ProjectionRunner(test.database.dataSource, store, projectors);
    const rebuild = await first.rebuild();
    // The first step reads the events of no school, the next two the first two schools.
    for (let i = 0; i < 3; i++) expect(await rebuild.step()).toBe(true);
    await rebuild.release();
    const before = schoolsRead();
    expect(before).toEqual([null, SCHOOLS[0], SCHOOLS[1]]);
    queries = [];
    await new ProjectionRunner(test.database.dataSource, store, projectors).catchUp();
    expect(new Set(schoolsRead())).toEqual(new Set([SCHOOLS[2]]));
    for (const projector of projectors) expect(await viewDocuments(test.database, projector.name)).toEqual(await definition(projector));
  });
});
