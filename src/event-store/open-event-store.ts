import { Clock, systemClock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { EsdbEventStore } from './esdb/esdb-event-store';
import { EventStore } from './event-store.port';
import { IndexedQueryStore } from './indexed-query-store';
import { PostgresEventStore } from './postgres/postgres-event-store';
import { UpcasterRegistry } from './upcasting';

/** The adapter the configuration asks for: EventStoreDB if named, else the SQL database's own log. */
export function openEventStore(
  config: AppConfig,
  database: Database,
  clock: Clock = systemClock,
  upcasters = new UpcasterRegistry(),
  onIndexError?: (error: unknown) => void,
): EventStore {
  if (!config.EVENTSTORE_CONNECTION_STRING) return new PostgresEventStore(database.pool, { kind: database.kind, clock, upcasters });
  // EventStoreDB has no index on our envelope: queries (voiding, audits) use one kept in the views database.
  return new IndexedQueryStore(new EsdbEventStore({ connectionString: config.EVENTSTORE_CONNECTION_STRING, clock, upcasters }), database.pool, { onError: onIndexError });
}
