import { Database } from '../database/database';
import { randomBytes } from 'node:crypto';

/**
 * The key tokens are signed with: JWT_SECRET if set; otherwise one made on first start and kept in
 * the database, so tokens survive a restart of the embedded service. Never logged.
 */
export async function loadSigningKey(database: Database, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const made = randomBytes(48).toString('base64url');
  await database.pool.query(`INSERT INTO service_setting (key, value) VALUES ('jwt-signing-key', $1) ON CONFLICT (key) DO NOTHING`, [made]);
  const { rows } = await database.pool.query<{ value: string }>(`SELECT value FROM service_setting WHERE key = 'jwt-signing-key'`);
  return rows[0].value;
}
