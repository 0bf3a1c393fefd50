import { Pool } from 'pg';
import { DataSource, Logger as TypeOrmLogger } from 'typeorm';
import { READ_MODEL_ENTITIES } from '../../projections/entities';
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
  ) {}

  static async open(options: DatabaseOptions, logger?: TypeOrmLogger): Promise<Database> {
    const kind = options.databaseUrl ? 'postgres' : 'pglite';
    const pool: SqlPool & { on?: unknown } = options.databaseUrl
      ? new Pool({ connectionString: options.databaseUrl, max: options.poolSize, application_name: 'zhurnal' })
      : await PglitePool.open(options.dataDir);
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
    await dataSource.runMigrations();
    return new Database(kind, pool, dataSource);
  }

  /** Closes TypeORM and the pool it was handed. */
  async close(): Promise<void> {
    if (this.dataSource.isInitialized) await this.dataSource.destroy();
  }
}
