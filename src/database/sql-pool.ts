/**
 * The slice of node-postgres' Pool the service uses. `pg.Pool` is one; `PglitePool` is the other,
 * so the event store, the projection runner and TypeORM run the same SQL on both.
 */
export interface SqlResult<Row> {
  rows: Row[];
  rowCount: number | null;
}

export interface SqlClient {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  query<Row = any>(text: string, params?: unknown[]): Promise<SqlResult<Row>>;
}

export interface SqlConnection extends SqlClient {
  release(error?: Error | boolean): void;
}

export interface SqlPool extends SqlClient {
  connect(): Promise<SqlConnection>;
  end(): Promise<void>;
}

/**
 * Runs `work` inside one transaction on one connection. Never call the pool from inside `work`:
 * on PGlite (a single session) that waits for the very connection `work` holds.
 */
export async function inTransaction<T>(pool: SqlPool, work: (tx: SqlClient) => Promise<T>): Promise<T> {
  const connection = await pool.connect();
  let broken: Error | undefined;
  // A session the server drops mid-transaction (pg_terminate_backend, a restart) fails the query in
  // flight, and node-postgres also emits 'error' on the client it lent: unheard, that event would
  // end the process. The rejection is what counts; the listener only keeps the event heard.
  const events = connection as Partial<Pick<NodeJS.EventEmitter, 'on' | 'off'>>;
  const dropped = (error: Error) => (broken = error);
  events.on?.('error', dropped);
  try {
    await connection.query('BEGIN');
    const result = await work(connection);
    await connection.query('COMMIT');
    return result;
  } catch (error) {
    try {
      await connection.query('ROLLBACK');
    } catch (rollbackError) {
      broken = rollbackError as Error;
    }
    throw error;
  } finally {
    events.off?.('error', dropped);
    connection.release(broken);
  }
}

/** PostgreSQL error code of a driver error, if it is one. */
export function sqlState(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'code' in error ? String((error as { code: unknown }).code) : undefined;
}

export function constraintOf(error: unknown): string | undefined {
  return typeof error === 'object' && error !== null && 'constraint' in error
    ? String((error as { constraint: unknown }).constraint)
    : undefined;
}
