import fc from 'fast-check';
import { v7 as uuidv7 } from 'uuid';
import { ProjectionRunner } from '../../projections/projection-runner';
import { DocumentProjector, foldDocuments } from '../../projections/projector';
import { streamCatalog } from '../../projections/stream-catalog/stream-catalog.projector';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { comparePositions, START } from '../../src/event-store/position';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';
import { meta, viewDocuments } from '../support/fixtures';

/** Order-sensitive on purpose: a skipped, repeated or reordered event changes the document. */
const eventOrder: DocumentProjector<{ ids: string[] }> = {
  name: 'event-order',
  version: 1,
  handles: ['MarkRecorded', 'MarkCorrected'],
  keys: (event) => [event.stream],
  evolve: (doc, event) => ({ ids: [...(doc?.ids ?? []), event.eventId] }),
};
const projectors = [streamCatalog as DocumentProjector, eventOrder as DocumentProjector];

type Step = { kind: 'append'; stream: number; types: string[] } | { kind: 'project'; batchSize: number };
const step: fc.Arbitrary<Step> = fc.oneof(
  { weight: 4, arbitrary: fc.record({ kind: fc.constant('append' as const), stream: fc.integer({ min: 0, max: 3 }), types: fc.array(fc.constantFrom('MarkRecorded', 'MarkCorrected', 'LessonRecorded'), { minLength: 1, maxLength: 3 }) }) },
  { weight: 1, arbitrary: fc.record({ kind: fc.constant('project' as const), batchSize: fc.integer({ min: 1, max: 10 }) }) },
);

describe(`property: live views equal views rebuilt from scratch (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  let store: PostgresEventStore;
  beforeAll(async () => {
    test = await openTestDatabase();
    store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
  });
  afterAll(async () => test.close());

  it('for any history and any way the runner batched it', async () => {
    await fc.assert(
      fc.asyncProperty(fc.array(step, { minLength: 1, maxLength: 25 }), async (steps) => {
        const run = uuidv7();
        const streamName = (n: number) => `prop-${run}-${n}`;
        let last = START;
        for (const s of steps) {
          if (s.kind === 'append') last = (await store.append(streamName(s.stream), 'any', s.types.map((type) => ({ type, data: {} })), meta())).position;
          else await new ProjectionRunner(test.database.dataSource, store, projectors, { batchSize: s.batchSize }).catchUp();
        }
        // The PostgreSQL horizon is server-wide: another database's open transaction may hold readers back a moment.
        const final = new ProjectionRunner(test.database.dataSource, store, projectors, { batchSize: 4 });
        for (await final.catchUp(); comparePositions(final.position(), last) < 0; await final.catchUp()) await new Promise((resolve) => setTimeout(resolve, 20));

        const ours = (events: Awaited<ReturnType<typeof store.readAll>>) => events.filter((e) => e.stream.startsWith(`prop-${run}-`));
        const history = ours(await store.readAll(START, { limit: 100_000 }));
        for (const projector of projectors) {
          const live = new Map([...(await viewDocuments(test.database, projector.name))].filter(([key]) => key.startsWith(`prop-${run}-`)));
          expect(live).toEqual(foldDocuments(projector, history));
        }
      }),
      { numRuns: 100 },
    );
    // And the whole of each view, rebuilt by the runner itself from position 0.
    const live = await Promise.all(projectors.map((p) => viewDocuments(test.database, p.name)));
    const runner = new ProjectionRunner(test.database.dataSource, store, projectors, { batchSize: 13 });
    await runner.reset();
    await runner.catchUp();
    const rebuilt = await Promise.all(projectors.map((p) => viewDocuments(test.database, p.name)));
    expect(rebuilt).toEqual(live);
  });
});
