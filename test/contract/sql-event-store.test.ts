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
