import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { openTestDatabase, TEST_DATABASE_KIND } from '../support/database';
import { eventStoreContract } from './event-store.contract';

// The same suite runs on PGlite (default) and on PostgreSQL (CI's second run, DATABASE_URL set).
eventStoreContract(TEST_DATABASE_KIND, async (clock, upcasters) => {
  const test = await openTestDatabase();
  const store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND, clock, upcasters });
  return {
    store,
    clock,
    close: async () => {
      await store.close();
      await test.close();
    },
  };
});
