import fc from 'fast-check';
import { v7 as uuidv7 } from 'uuid';
import { ManualClock } from '../../src/common/clock';
import { LogQuery } from '../../src/event-store/event-store.port';
import { IndexedQueryStore } from '../../src/event-store/indexed-query-store';
import { comparePositions } from '../../src/event-store/position';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';

/**
 * Issue 14 point 5: EventStoreDB answers `query` by scanning `$all`; `IndexedQueryStore` answers it
 * from an index in the views database plus a scan of only the log past the index. Its answers must
 * be the inner store's exactly. The inner store here is the SQL log (no EventStoreDB server on the
 * build machines): the decorator sees it only through the port, as it sees EventStoreDB.
 */
describe(`IndexedQueryStore answers as the inner store does (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  let inner: PostgresEventStore;
  const clock = new ManualClock('2026-09-01T06:00:00.000Z');
  const accounts = [uuidv7(), uuidv7(), uuidv7()];
  const schools = [uuidv7(), uuidv7()];
  const types = ['MarkRecorded', 'LessonRecorded', 'CredentialCompromiseReported'];
  const moments: string[] = [];
  const eventIds: string[] = [];

  const write = async (count: number, seed: number) => {
    for (let i = 0; i < count; i++) {
      const n = seed + i;
      const stream = `journal-${n % 7}`;
      const written = await inner.append(stream, 'any', [{ type: types[n % 3], data: { n } }], {
        schoolId: n % 5 === 0 ? null : schools[n % 2],
        actor: { accountId: accounts[n % 3], role: 'teacher', generation: 1 },
        correlationId: uuidv7(),
      });
      moments.push(written.events[0].recordedAt);
      eventIds.push(written.events[0].eventId);
      clock.advance(1000 * ((n % 4) + 1));
    }
  };

  const filter = fc.record(
    {
      accountId: fc.constantFrom(...accounts),
      schoolId: fc.constantFrom<string | null>(...schools, null),
      types: fc.subarray(types, { minLength: 1 }),
      eventIds: fc.integer({ min: 0, max: 10_000 }).map((i) => [eventIds[i % eventIds.length], eventIds[(i * 7) % eventIds.length]]),
      recordedFrom: fc.integer({ min: 0, max: 10_000 }).map((i) => moments[i % moments.length]),
      recordedBefore: fc.integer({ min: 0, max: 10_000 }).map((i) => moments[i % moments.length]),
      limit: fc.integer({ min: 1, max: 40 }),
    },
    { requiredKeys: [] },
  );

  beforeAll(async () => {
    test = await openTestDatabase();
    inner = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND, clock });
    await write(240, 0);
  });
  afterAll(async () => test.close());

  it('once the index is complete, and with a tail the follower has not copied, every query gives the inner store’s answer', async () => {
    const following = new IndexedQueryStore(inner, test.database.pool, { batchSize: 50 });
    try {
      const head = await inner.head();
      for (let waited = 0; comparePositions(await following.indexedTo(), head) < 0; waited += 20) {
        if (waited > 30_000) throw new Error('the index did not reach the head in 30 s');
        await new Promise((resolve) => setTimeout(resolve, 20));
      }
    } finally {
      await following.stopFollowing();
    }
    // More events the index does not have: a reader of it must find them by the tail scan.
    await write(60, 240);
    const reader = new IndexedQueryStore(inner, test.database.pool, { follow: false });
    expect(comparePositions(await reader.indexedTo(), await inner.head())).toBeLessThan(0);
    await fc.assert(
      fc.asyncProperty(filter, fc.option(fc.nat(299), { nil: undefined }), fc.option(fc.nat(299), { nil: undefined }), async (query, afterIndex, upToIndex) => {
        const all = await inner.query({});
        const bounded: LogQuery = upToIndex === undefined ? query : { ...query, upTo: all[upToIndex % all.length].position };
        const withAfter: LogQuery = afterIndex === undefined ? bounded : { ...bounded, after: all[afterIndex % all.length].position };
        const ids = (events: { eventId: string }[]) => events.map((e) => e.eventId);
        expect(ids(await reader.query(withAfter))).toEqual(ids(await inner.query(withAfter)));
      }),
      { numRuns: 150 },
    );
  });
});
