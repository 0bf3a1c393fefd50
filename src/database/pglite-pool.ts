import { PGlite, types } from '@electric-sql/pglite';
import { EventEmitter } from 'node:events';
import { SqlConnection, SqlPool, SqlResult } from './sql-pool';

interface PgliteResultLike {
  rows: unknown[];
  affectedRows?: number;
  fields?: unknown[];
}

/**
 * PGlite is one PostgreSQL session. This pool hands that session to one borrower at a time, the
 * way `pg.Pool({ max: 1 })` would, so a transaction never sees another caller's statements.
 * It speaks enough of node-postgres' Pool for TypeORM's postgres driver as well.
 */
export class PglitePool extends EventEmitter implements SqlPool {
  private tail: Promise<void> = Promise.resolve();
  private ended = false;

  private constructor(readonly db: PGlite) {
    super();
  }

  /** `dataDir`: a folder, or `memory://` for a throw-away database. */
  static async open(dataDir: string): Promise<PglitePool> {
    const db = new PGlite(dataDir === 'memory://' ? undefined : dataDir, {
      // node-postgres returns int8 as text; so must we, or the same SQL would give other types.
      parsers: { [types.INT8]: (value: string) => value },
    });
    await db.waitReady;
    return new PglitePool(db);
  }

  async query<Row>(text: string, params?: unknown[]): Promise<SqlResult<Row>> {
    const lease = await this.connect();
    try {
      return await lease.query<Row>(text, params);
    } finally {
      lease.release();
    }
  }

  connect(): Promise<SqlConnection>;
  connect(callback: (error: Error | null, connection: SqlConnection | null, release: () => void) => void): void;
  connect(callback?: (error: Error | null, connection: SqlConnection | null, release: () => void) => void): Promise<SqlConnection> | void {
    const leased = this.acquire();
    if (!callback) return leased;
    leased.then(
      (connection) => callback(null, connection, () => connection.release()),
      (error: Error) => callback(error, null, () => undefined),
    );
  }

  /** Waits for the borrower in hand, then closes the database. Takes a callback for TypeORM. */
  end(callback?: (error?: Error) => void): Promise<void> {
    const ending = this.close();
    if (callback) ending.then(() => callback(), callback);
    return ending;
  }

  private async close(): Promise<void> {
    if (this.ended) return;
    this.ended = true;
    await this.tail;
    await this.db.close();
  }

  private async acquire(): Promise<SqlConnection> {
    if (this.ended) throw new Error('the embedded database is closed');
    let free!: () => void;
    const previous = this.tail;
    this.tail = new Promise<void>((resolve) => (free = resolve));
    await previous;
    return new PgliteLease(this.db, free);
  }
}

/** The session, lent to one borrower until `release`. An EventEmitter because TypeORM listens on it. */
class PgliteLease extends EventEmitter implements SqlConnection {
  private released = false;

  constructor(
    private readonly db: PGlite,
    private readonly free: () => void,
  ) {
    super();
  }

  async query<Row>(text: string, params?: unknown[]): Promise<SqlResult<Row>> {
    if (this.released) throw new Error('query on a released embedded connection');
    return toPgResult<Row>(text, await run(this.db, text, params));
  }

  release(): void {
    if (this.released) return;
    this.released = true;
    this.free();
  }
}

async function run(db: PGlite, text: string, params?: unknown[]): Promise<PgliteResultLike> {
  if (params && params.length > 0) return db.query(text, params);
  // Without parameters a text may hold several statements (migrations); answer with the last.
  const results = await db.exec(text);
  return results[results.length - 1] ?? { rows: [] };
}

function toPgResult<Row>(text: string, result: PgliteResultLike): SqlResult<Row> & { command: string; fields: unknown[] } {
  const command = /^\s*(\w+)/.exec(text)?.[1]?.toUpperCase() ?? '';
  return {
    rows: result.rows as Row[],
    rowCount: result.affectedRows ?? result.rows.length,
    command,
    fields: result.fields ?? [],
  };
}
