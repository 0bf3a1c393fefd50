import { canonicalEnvelope } from '../../src/event-store/envelope';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { openTestDatabase, TEST_DATABASE_KIND } from '../support/database';
import { eventStoreContract } from './event-store.contract';

// The same suite runs on PGlite (default) and on PostgreSQL (CI's second run, DATABASE_URL set).
eventStoreContract(TEST_DATABASE_KIND, async (clock, schemas) => {
  const test = await openTestDatabase();
  const store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND, clock, schemas });
  return {
    store,
    clock,
    storeOld: async (envelope) => {
      await test.database.pool.query(
        `INSERT INTO event_log (event_id, stream_id, stream_version, type, schema_version, school_id, actor_account_id, recorded_at, envelope)
         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)`,
        [envelope.eventId, envelope.stream, envelope.streamVersion, envelope.type, envelope.schemaVersion, envelope.schoolId, envelope.actor.accountId, envelope.recordedAt, canonicalEnvelope(envelope)],
      );
    },
    close: async () => {
      await store.close();
      await test.close();
    },
  };
});

describe(`SQL event log specifics (${TEST_DATABASE_KIND})`, () => {
  it('lists its schools with the planner up to date: a page of one school is then read through an index in order, not sorted whole', async () => {
    // A log written faster than autovacuum looks at it: the planner thought the school was a hundred
    // rows and sorted all 111,600 of them for every page of 2,000 (290 ms a page; 1 ms once analyzed).
    const test = await openTestDatabase();
    try {
      const store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
      const school = '0190a5c0-0000-7000-8000-0000000000a1';
      const actor = { accountId: '0190a5c0-0000-7000-8000-00000000aaaa', role: 'teacher', generation: 1 };
      for (let s = 0; s < 6; s++) {
        const events = Array.from({ length: 1000 }, (_, i) => ({ type: 'MarkRecorded', data: { i } }));
        await store.append(`journal-${s}`, 'no-stream', events, { schoolId: school, actor, correlationId: `c-${s}` });
      }
      expect(await store.schools()).toEqual([school]);
      const { rows } = await test.database.pool.query<{ 'QUERY PLAN': string }>(
        `EXPLAIN SELECT envelope FROM event_log WHERE event_log.school_id = $1::uuid AND event_log.tx_id < pg_snapshot_xmin(pg_current_snapshot())
            AND (event_log.tx_id, event_log.seq) > ('0'::xid8, 0::bigint) ORDER BY event_log.tx_id, event_log.seq LIMIT 2000`,
        [school],
      );
      const plan = rows.map((row) => row['QUERY PLAN']).join('\n');
      expect(plan).toMatch(/Index Scan/);
      expect(plan).not.toMatch(/Sort/);
    } finally {
      await test.close();
    }
  });

  it('stores the RFC 8785 canonical text of each envelope, and refuses UPDATE, DELETE and TRUNCATE', async () => {
    const test = await openTestDatabase();
    try {
      const store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
      const written = await store.append('canon-1', 'no-stream', [{ type: 'MarkRecorded', data: { z: 1, a: 'ё', n: 1.5e3 } }], {
        schoolId: null,
        actor: { accountId: '0190a5c0-0000-7000-8000-00000000aaaa', role: 'teacher', generation: 2 },
        correlationId: 'c-1',
      });
      const { rows } = await test.database.pool.query<{ envelope: string }>(`SELECT envelope FROM event_log WHERE stream_id = 'canon-1'`);
      const { position: _position, globalPosition: _global, ...envelope } = written.events[0];
      expect(rows[0].envelope).toBe(canonicalEnvelope(envelope));
      expect(rows[0].envelope).toContain('"data":{"a":"ё","n":1500,"z":1}');
      for (const statement of [`UPDATE event_log SET type = 'X'`, `DELETE FROM event_log`, `TRUNCATE event_log`]) {
        await expect(test.database.pool.query(statement)).rejects.toThrow(/append-only/);
      }
      expect(await store.readStream('canon-1')).toHaveLength(1);
    } finally {
      await test.close();
    }
  });
});
