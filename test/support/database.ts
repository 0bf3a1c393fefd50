import { randomBytes } from 'node:crypto';
import { Client } from 'pg';
import { Database } from '../../src/database/database';

/** Which database the integration tests run on: PGlite unless DATABASE_URL is set. */
export const TEST_DATABASE_KIND: 'postgres' | 'pglite' = process.env.DATABASE_URL ? 'postgres' : 'pglite';

export interface TestDatabase {
  readonly database: Database;
  /** Connection string of the throw-away database (PostgreSQL only), for child processes. */
  readonly url?: string;
  close(): Promise<void>;
}

/**
 * A fresh, empty, migrated database for one test file: an in-memory PGlite, or on PostgreSQL a
 * new database on the server of DATABASE_URL, dropped afterwards.
 */
export async function openTestDatabase(options: { poolSize?: number } = {}): Promise<TestDatabase> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) {
    const database = await Database.open({ dataDir: 'memory://', poolSize: 1 });
    return { database, close: () => database.close() };
  }
  const name = `zhurnal_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  const url = withDatabase(serverUrl, name);
  const database = await Database.open({ databaseUrl: url, dataDir: '', poolSize: options.poolSize ?? 10 });
  return {
    database,
    url,
    close: async () => {
      await database.close();
      await adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    },
  };
}

/**
 * Where a whole app under test keeps its data: memory:// PGlite, or a new PostgreSQL database
 * (dropped by `drop`). Returned as the environment the app is configured with.
 */
export async function testDatabaseEnv(): Promise<{ env: Record<string, string>; drop(): Promise<void> }> {
  const serverUrl = process.env.DATABASE_URL;
  if (!serverUrl) return { env: { DATA_DIR: 'memory://' }, drop: async () => undefined };
  const name = `zhurnal_t_${randomBytes(6).toString('hex')}`;
  await adminQuery(serverUrl, `CREATE DATABASE ${name}`);
  return {
    env: { DATABASE_URL: withDatabase(serverUrl, name) },
    drop: () => adminQuery(serverUrl, `DROP DATABASE IF EXISTS ${name} WITH (FORCE)`),
  };
}

export function withDatabase(serverUrl: string, name: string): string {
  const url = new URL(serverUrl);
  url.pathname = `/${name}`;
  return url.toString();
}

async function adminQuery(serverUrl: string, sql: string): Promise<void> {
  const client = new Client({ connectionString: serverUrl });
  await client.connect();
  try {
    await client.query(sql);
  } finally {
    await client.end();
  }
}
