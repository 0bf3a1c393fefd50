import { Clock, systemClock } from '../common/clock';
import { AppConfig } from '../config/app-config';
import { Database } from '../database/database';
import { EsdbEventStore } from './esdb/esdb-event-store';
import { EventStore } from './event-store.port';
import { IndexedQueryStore } from './indexed-query-store';
import { PostgresEventStore } from './postgres/postgres-event-store';
import { EventSchemas } from './upcasting';
import { serviceEventSchemas } from '../event-schemas';

/** The adapter the configuration asks for: EventStoreDB if named, else the SQL database's own log. */
/** With the service's event schemas unless told otherwise: every write stamps them, every read upcasts to them. */
export function openEventStore(
  config: AppConfig,
  database: Database,
  clock: Clock = systemClock,
  schemas: EventSchemas = serviceEventSchemas(),
  onIndexError?: (error: unknown) => void,
): EventStore {
  if (!config.EVENTSTORE_CONNECTION_STRING) return new PostgresEventStore(database.pool, { kind: database.kind, clock, schemas });
  // EventStoreDB has no index on our envelope: queries (voiding, audits) use one kept in the views database.
  return new IndexedQueryStore(new EsdbEventStore({ connectionString: config.EVENTSTORE_CONNECTION_STRING, clock, schemas }), database.pool, { onError: onIndexError });
}
