import { Global, Module } from '@nestjs/common';
import { hkdfSync, randomBytes } from 'node:crypto';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database, DATABASE } from '../database/database';

/** The key access tokens are signed (HS256) and verified with. */
export const SIGNING_KEY = Symbol('SIGNING_KEY');
/** The key of the HMAC the idempotency records keep of each request (a body may hold a password). */
export const IDEMPOTENCY_KEY = Symbol('IDEMPOTENCY_KEY');
/** The Ed25519 seed of the ledger's checkpoint key when none is configured (src/ledger/ledger.module.ts). */
export const LEDGER_SEED = Symbol('LEDGER_SEED');

/**
 * One key per purpose, each HKDF-SHA256 of the master secret with its own `info`: a key that leaks
 * from one use (a token signature cannot, but say a dump of idempotency hashes) tells nothing
 * about another, and no key is ever the master itself. Changing an `info` changes that key
 * (see docs/architecture.md, "Secrets", for what each invalidates).
 */
export const KEY_PURPOSES = {
  tokenSigning: 'zhurnal/token-signing/v1',
  idempotency: 'zhurnal/idempotency-request-hash/v1',
  ledgerSigning: 'zhurnal/ledger-checkpoint-signing/v1',
  /** Wraps each person's data key (src/privacy): changing it makes every sealed field unreadable. */
  personalData: 'zhurnal/personal-data-key-encryption/v1',
} as const;
const SALT = 'zhurnal-service-keys';
const KEY_BYTES = 32;

/** `service_setting` row of the master made on first start when no secret is configured. */
export const MASTER_SECRET_SETTING = 'service-master-secret';

export function deriveKey(master: string, purpose: keyof typeof KEY_PURPOSES): Buffer {
  return Buffer.from(hkdfSync('sha256', master, SALT, KEY_PURPOSES[purpose], KEY_BYTES));
}

/**
 * SERVICE_SECRET (or its older name JWT_SECRET) if set. Otherwise a master made on first start and
 * kept in the database, so tokens survive a restart of the embedded service: a convenience for
 * trying it out. It sits in clear beside the data; production sets SERVICE_SECRET. Never logged.
 */
export async function loadMasterSecret(database: Database, configured: string | undefined): Promise<string> {
  if (configured) return configured;
  const made = randomBytes(48).toString('base64url');
  await database.pool.query(`INSERT INTO service_setting (key, value) VALUES ($1, $2) ON CONFLICT (key) DO NOTHING`, [MASTER_SECRET_SETTING, made]);
  const { rows } = await database.pool.query<{ value: string }>(`SELECT value FROM service_setting WHERE key = $1`, [MASTER_SECRET_SETTING]);
  return rows[0].value;
}

const MASTER_SECRET = Symbol('MASTER_SECRET');

/** The derived keys, made once per start (the master may need the database). The master itself is not exported. */
@Global()
@Module({
  providers: [
    {
      provide: MASTER_SECRET,
      inject: [DATABASE, APP_CONFIG],
      useFactory: (database: Database, config: AppConfig) => loadMasterSecret(database, config.masterSecret),
    },
    { provide: SIGNING_KEY, inject: [MASTER_SECRET], useFactory: (master: string) => deriveKey(master, 'tokenSigning') },
    { provide: IDEMPOTENCY_KEY, inject: [MASTER_SECRET], useFactory: (master: string) => deriveKey(master, 'idempotency') },
    { provide: LEDGER_SEED, inject: [MASTER_SECRET], useFactory: (master: string) => deriveKey(master, 'ledgerSigning') },
  ],
  exports: [SIGNING_KEY, IDEMPOTENCY_KEY, LEDGER_SEED],
})
export class ServiceKeysModule {}
