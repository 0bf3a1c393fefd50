import fc from 'fast-check';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { canonicalEnvelope, StoredEvent } from '../../src/event-store/envelope';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { comparePositions, Position, START } from '../../src/event-store/position';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';
import { meta, SCHOOL_ID, TEACHER } from '../support/fixtures';

const onPostgres = TEST_DATABASE_KIND === 'postgres';
if (!onPostgres) {
  console.warn(
    'SKIPPED interleaved-transaction tests of global order: PGlite is a single session, so two transactions ' +
      'can never be open at once there; they run in the PostgreSQL pass (DATABASE_URL set).',
  );
}
const onPostgresIt = onPostgres ? it : it.skip;

/** Writes one event the way the adapter does, but inside a transaction the test controls. */
async function insertInOpenTransaction(client: Client, stream: string): Promise<string> {
  const eventId = uuidv7();
  const envelope = {
    eventId,
    type: 'MarkRecorded',
    schemaVersion: 1,
    stream,
    streamVersion: 1,
    schoolId: SCHOOL_ID,
    actor: TEACHER,
    recordedAt: new Date().toISOString(),
    correlationId: eventId,
    causationId: null,
    data: {},
  };
  await client.query(
    `INSERT INTO event_log (event_id, stream_id, stream_version, type, schema_version, school_id, actor_account_id, recorded_at, envelope)
     VALUES ($1, $2, 1, 'MarkRecorded', 1, $3, $4, now(), $5)`,
    [eventId, stream, SCHOOL_ID, TEACHER.accountId, canonicalEnvelope(envelope)],
  );
  return eventId;
}

async function readEverything(store: PostgresEventStore, after: Position = START): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  let position = after;
  for (;;) {
    const batch = await store.readAll(position, { limit: 1000 });
    if (batch.length === 0) return all;
    all.push(...batch);
    position = batch[batch.length - 1].position;
  }
}

describe(`global order without gaps (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  let store: PostgresEventStore;

  beforeAll(async () => {
    test = await openTestDatabase({ poolSize: 24 });
    store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
  });
  afterAll(async () => test.close());

  it('orders by transaction id as a number, also where it gains a digit (9 before 10)', async () => {
    // Explicit old transaction ids, below any reader's horizon: a text sort would put 10 first.
    for (const txId of ['10', '9']) {
      const eventId = uuidv7();
      await test.database.pool.query(
        `INSERT INTO event_log (tx_id, event_id, stream_id, stream_version, type, schema_version, school_id, actor_account_id, recorded_at, envelope)
         VALUES ($1::text::xid8, $2, $3, 1, 'MarkRecorded', 1, $4, $5, now(), $6)`,
        [txId, eventId, `tx-${txId}`, SCHOOL_ID, TEACHER.accountId, JSON.stringify({ eventId, type: 'MarkRecorded', schemaVersion: 1, data: {} })],
      );
    }
    const first = await store.readAll(START, { limit: 2 });
    expect(first.map((e) => e.position.major)).toEqual([9n, 10n]);
    const afterNine = await store.readAll(first[0].position, { limit: 1 });
    expect(afterNine[0].position.major).toBe(10n);
  });

  onPostgresIt('does not hand out a later commit while an earlier transaction is still open — a seq-ordered reader would skip it', async () => {
    const slow = new Client({ connectionString: test.url });
    await slow.connect();
    try {
      const before = await store.head();
      await slow.query('BEGIN');
      const slowId = await insertInOpenTransaction(slow, `slow-${uuidv7()}`); // takes its seq first
      const fast = await store.append(`fast-${uuidv7()}`, 'no-stream', [{ type: 'MarkRecorded', data: {} }], meta());

      // The naive reader of Marten #3321: order by seq, resume after the last seq seen.
      const naive = await test.database.pool.query<{ seq_text: string }>(`SELECT seq::text AS seq_text FROM event_log ORDER BY seq`);
      const naiveResumeAfter = naive.rows[naive.rows.length - 1].seq_text;
      expect(await readEverything(store, before)).toEqual([]); // ours waits for the slow transaction

      await slow.query('COMMIT');
      const naiveLater = await test.database.pool.query(`SELECT event_id::text AS id FROM event_log WHERE seq > $1`, [naiveResumeAfter]);
      expect(naiveLater.rows).toEqual([]); // the naive reader has passed the slow event for good
      const ours = await readEverything(store, before);
      expect(ours.map((e) => e.eventId)).toEqual([slowId, fast.events[0].eventId]);
    } finally {
      await slow.end();
    }
  });

  it('a subscriber sees every event of 16 concurrent writers × 1,000 appends exactly once, in global order', async () => {
    const writers = 16;
    const perWriter = onPostgres ? 1000 : 250;
    const start = await store.head();
    const seen: StoredEvent[] = [];
    let regressions = 0;
    const subscription = store.subscribe(
      start,
      async (events) => {
        for (const event of events) {
          if (seen.length > 0 && comparePositions(seen[seen.length - 1].position, event.position) >= 0) regressions++;
          seen.push(event);
        }
      },
      { batchSize: 200, pollIntervalMs: 5 },
    );
    const written = new Set<string>();
    await Promise.all(
      Array.from({ length: writers }, async (_, writer) => {
        const stream = `writer-${writer}-${uuidv7()}`;
        for (let i = 0; i < perWriter; i++) {
          const result = await store.append(stream, i, [{ type: 'MarkRecorded', data: { writer, i } }], meta());
          written.add(result.events[0].eventId);
        }
      }),
    );
    const deadline = Date.now() + 60_000;
    while (seen.length < written.size && Date.now() < deadline) await new Promise((r) => setTimeout(r, 20));
    await subscription.stop();

    expect(regressions).toBe(0);
    expect(seen).toHaveLength(writers * perWriter);
    expect(new Set(seen.map((e) => e.eventId))).toEqual(written);
    // What the subscriber saw live is exactly what a reader from scratch sees now: no gap was filled later.
    const fromScratch = await readEverything(store, start);
    expect(seen.map((e) => e.eventId)).toEqual(fromScratch.map((e) => e.eventId));
  });

  onPostgresIt('property: whatever the interleaving of transactions and reads, the reader misses and repeats nothing', async () => {
    const connections = await Promise.all(
      Array.from({ length: 4 }, async () => {
        const client = new Client({ connectionString: test.url });
        await client.connect();
        return client;
      }),
    );
    type Step = { kind: 'begin' | 'insert' | 'commit' | 'rollback' | 'read'; connection: number };
    const step = fc.record({
      kind: fc.constantFrom<Step['kind']>('begin', 'insert', 'insert', 'commit', 'rollback', 'read'),
      connection: fc.integer({ min: 0, max: connections.length - 1 }),
    });
    try {
      await fc.assert(
        fc.asyncProperty(fc.array(step, { minLength: 5, maxLength: 40 }), async (steps) => {
          const from = await store.head();
          const open = new Set<number>();
          const read: StoredEvent[] = [];
          let position = from;
          const readMore = async () => {
            const batch = await readEverything(store, position);
            read.push(...batch);
            if (batch.length > 0) position = batch[batch.length - 1].position;
          };
          for (const { kind, connection } of steps) {
            const client = connections[connection];
            if (kind === 'read') await readMore();
            else if (kind === 'begin' && !open.has(connection)) {
              await client.query('BEGIN');
              open.add(connection);
            } else if (kind === 'insert') await insertInOpenTransaction(client, `p-${uuidv7()}`);
            else if ((kind === 'commit' || kind === 'rollback') && open.has(connection)) {
              await client.query(kind === 'commit' ? 'COMMIT' : 'ROLLBACK');
              open.delete(connection);
            }
          }
          for (const connection of open) await connections[connection].query('COMMIT');
          await readMore();
          const truth = await readEverything(store, from);
          expect(read.map((e) => e.eventId)).toEqual(truth.map((e) => e.eventId));
        }),
        { numRuns: 60 },
      );
    } finally {
      await Promise.all(connections.map((c) => c.end()));
    }
  });
});
