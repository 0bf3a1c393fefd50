import { Client, Pool } from 'pg';
import { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import { READ_MODEL_ENTITIES } from '../../projections/entities';
import { AdvisoryLocks, LocalLocks, LOCK_NAMESPACE, MIGRATIONS_LOCK, SessionLocks } from './advisory-locks';
import { MIGRATIONS } from './migrations';
import { PglitePool } from './pglite-pool';
import { SqlPool } from './sql-pool';

export const DATABASE = Symbol('DATABASE');

export interface DatabaseOptions {
  /** postgres://… ; absent → embedded PGlite. */
  readonly databaseUrl?: string;
  /** PGlite folder, or memory:// */
  readonly dataDir: string;
  readonly poolSize: number;
}

/**
 * One pool per process, shared by the event store, the projection runner and TypeORM. On PGlite
 * that pool is the single session; TypeORM is handed the same object instead of making its own.
 */
export class Database {
  private constructor(
    readonly kind: 'postgres' | 'pglite',
    readonly pool: SqlPool,
    readonly dataSource: DataSource,
    private readonly url?: string,
  ) {}

  static async open(options: DatabaseOptions, logger?: TypeOrmLogger): Promise<Database> {
    const kind = options.databaseUrl ? 'postgres' : 'pglite';
    const pool: SqlPool & { on?: unknown } = options.databaseUrl ? openPool(options.databaseUrl, options.poolSize) : await PglitePool.open(options.dataDir);
    const dataSource = new DataSource({
      type: 'postgres',
      // TypeORM calls `new driver.Pool(options)`; a constructor that returns an object yields it.
      driver: { Pool: function SharedPool() { return pool; } },
      entities: READ_MODEL_ENTITIES,
      migrations: MIGRATIONS,
      migrationsTransactionMode: 'each',
      synchronize: false,
      logger,
      logging: logger ? ['error', 'warn', 'migration'] : false,
    });
    await dataSource.initialize();
    if (options.databaseUrl) await migrateLocked(options.databaseUrl, dataSource);
    else await dataSource.runMigrations();
    return new Database(kind, pool, dataSource, options.databaseUrl);
  }

  /**
   * A session of advisory locks of its own (who leads the views, who builds a rebuild). On PGlite,
   * one process: locks in memory, shared by everything on this database object.
   */
  locks(): AdvisoryLocks {
    return this.url ? new SessionLocks(this.url) : new LocalLocks(this.dataSource);
  }

  /** Closes TypeORM and the pool it was handed. */
  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}

function openPool(connectionString: string, max: number): Pool {
  const pool = new Pool({ connectionString, max, application_name: 'zhurnal' });
  // An idle connection the server closed (a restart, a failover, pg_terminate_backend): the pool
  // drops it and opens another when asked. Unheard, this event would end the process.
  pool.on('error', () => undefined);
  return pool;
}

/**
 * Migrations one process at a time: processes started together on an empty database would all
 * create the same tables. The lock lives on its own session, so it goes when that session ends.
 */
async function migrateLocked(connectionString: string, dataSource: DataSource): Promise<void> {
  const session = new Client({ connectionString, application_name: 'zhurnal-migrations' });
  session.on('error', () => undefined);
  await session.connect();
  try {
    await session.query('SELECT pg_advisory_lock($1, $2)', [LOCK_NAMESPACE, MIGRATIONS_LOCK]);
    await dataSource.runMigrations();
  } finally {
    await session.end();
  }
}
