import { BeforeApplicationShutdown, Global, Inject, Injectable, Logger, Module, OnApplicationBootstrap, OnApplicationShutdown } from '@nestjs/common';
import { PROJECTORS } from '../../projections';
import { ProjectionRunner } from '../../projections/projection-runner';
import { CLOCK, Clock, systemClock } from '../common/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database, DATABASE } from '../database/database';
import { EntityIndex } from '../event-store/entity-index';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { InstrumentedEventStore } from '../event-store/instrumented-event-store';
import { openEventStore } from '../event-store/open-event-store';
import { StreamFreshness } from '../event-store/stream-freshness';
import { EventSchemas } from '../event-store/upcasting';
import { serviceEventSchemas } from '../event-schemas';
import { Metrics } from '../operations/metrics';
import { deriveKey, loadMasterSecret } from '../auth/service-keys';
import { PersonalDataVault } from '../privacy/personal-data-vault';
import { OpeningEventStore, SealingEventStore } from '../privacy/personal-data-stores';

export interface InfrastructureOptions {
  readonly config: AppConfig;
  readonly clock?: Clock;
}

/**
 * How long a write of another process may take to reach this one's cached account and school
 * states on reads, beyond the poll interval (docs/architecture.md, "Freshness of reads").
 */
export const FRESHNESS_MARGIN_MS = 250;

/** Starts the views after every module is ready and stops them before the database closes. */
@Injectable()
class Lifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown, OnApplicationShutdown {
  private readonly logger = new Logger('lifecycle');

  constructor(
    private readonly runner: ProjectionRunner,
    private readonly freshness: StreamFreshness,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(DATABASE) private readonly database: Database,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    await this.runner.start();
    this.freshness.start();
  }

  async beforeApplicationShutdown(signal?: string): Promise<void> {
    this.logger.log({ signal }, 'shutting down: finishing the batch of views in hand');
    await this.freshness.stop();
    await this.runner.stop();
  }

  async onApplicationShutdown(): Promise<void> {
    await this.store.close();
    await this.database.close();
  }
}

/** The database, the event store, the projection runner and metrics: one of each per process. */
@Global()
@Module({})
export class InfrastructureModule {
  static forRoot(options: InfrastructureOptions) {
    const { config } = options;
    return {
      module: InfrastructureModule,
      providers: [
        { provide: APP_CONFIG, useValue: config },
        { provide: CLOCK, useValue: options.clock ?? systemClock },
        {
          provide: DATABASE,
          useFactory: () =>
            Database.open({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: config.DB_POOL_SIZE }),
        },
        {
          provide: Metrics,
          inject: [ProjectionRunner],
          useFactory: (runner: ProjectionRunner) =>
            new Metrics(
              async () => {
                const oldest = await runner.oldestUnprocessed();
                return oldest ? Math.max(0, (Date.now() - Date.parse(oldest.recordedAt)) / 1000) : 0;
              },
              () => runner.status(),
            ),
        },
        // Built, and so checked, at start: a broken upcaster chain stops the service here.
        { provide: EventSchemas, useFactory: serviceEventSchemas },
        {
          provide: PersonalDataVault,
          inject: [DATABASE],
          useFactory: async (database: Database) => {
            const logger = new Logger('personal-data');
            const kek = deriveKey(await loadMasterSecret(database, config.masterSecret), 'personalData');
            const vault = new PersonalDataVault(database.pool, kek, Date.now, (person, error) =>
              logger.error({ person, err: error instanceof Error ? error.message : String(error) }, 'a sealed field does not open with its person\'s key: it reads as erased'),
            );
            await vault.checkKeyEncryptionKey();
            return vault;
          },
        },
        {
          // Below every reader: the log only ever receives personal fields sealed (src/privacy).
          provide: 'RAW_EVENT_STORE',
          inject: [DATABASE, CLOCK, EventSchemas, PersonalDataVault],
          useFactory: (database: Database, clock: Clock, schemas: EventSchemas, vault: PersonalDataVault): EventStore =>
            new SealingEventStore(openEventStore(config, database, clock, schemas), vault),
        },
        {
          provide: StreamFreshness,
          inject: ['RAW_EVENT_STORE'],
          useFactory: (store: EventStore) => {
            const logger = new Logger('freshness');
            return new StreamFreshness(store, {
              pollIntervalMs: config.PROJECTION_POLL_MS,
              windowMs: config.PROJECTION_POLL_MS + FRESHNESS_MARGIN_MS,
              onError: (error) => logger.error({ err: error }, 'following the log for fresh reads failed; reads re-read streams until it is back'),
            });
          },
        },
        {
          provide: EVENT_STORE,
          inject: ['RAW_EVENT_STORE', Metrics, StreamFreshness, PersonalDataVault],
          useFactory: (store: EventStore, metrics: Metrics, freshness: StreamFreshness, vault: PersonalDataVault) =>
            new InstrumentedEventStore(new OpeningEventStore(store, vault), metrics, (events) => freshness.observe(events)),
        },
        {
          provide: ProjectionRunner,
          inject: [DATABASE, 'RAW_EVENT_STORE'],
          useFactory: (database: Database, store: EventStore) => {
            const logger = new Logger('projections');
            return new ProjectionRunner(database.dataSource, store, PROJECTORS, {
              pollIntervalMs: config.PROJECTION_POLL_MS,
              retryMaxMs: config.PROJECTION_RETRY_MAX_MS,
              rebuildMemoryBytes: config.REBUILD_MEMORY_MB * 1024 * 1024,
              rebuildFlushEvents: config.REBUILD_FLUSH_EVENTS,
              // Of all the instances on one database, the one holding the lock writes the views.
              locks: database.locks(),
              logger: { info: (object, message) => logger.log(object, message), error: (object, message) => logger.error(object, message) },
            });
          },
        },
        EventSourcedRepository,
        EntityIndex,
        Lifecycle,
      ],
      exports: [APP_CONFIG, CLOCK, DATABASE, EVENT_STORE, 'RAW_EVENT_STORE', PersonalDataVault, ProjectionRunner, Metrics, EventSchemas, EventSourcedRepository, EntityIndex, StreamFreshness],
    };
  }
}
