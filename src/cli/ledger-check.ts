/**
 * `npm run ledger:check`: checks the audit ledger against the log now, with a progress bar, as the
 * service does every LEDGER_AUDIT_MINUTES: every event hashed again and compared with its leaf,
 * every checkpoint's root recomputed from the log and its signature checked. Prints "whole" or
 * "BROKEN at index N: why", records the outcome for /health, and exits 0 or 1.
 */
import 'reflect-metadata';
import { Presets, SingleBar } from 'cli-progress';
import { deriveKey, loadMasterSecret } from '../auth/service-keys';
import { ConfigError, loadConfig } from '../config/app-config';
import { Database } from '../database/database';
import { openEventStore } from '../event-store/open-event-store';
import { LedgerAudit } from '../ledger/ledger-audit';
import { ledgerKeys } from '../ledger/ledger.keys';
import { LedgerStore } from '../ledger/ledger-store';

async function main(): Promise<number> {
  const config = loadConfig();
  const database = await Database.open({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 2 });
  const events = openEventStore(config, database);
  const keys = ledgerKeys(config, deriveKey(await loadMasterSecret(database, config.masterSecret), 'ledgerSigning'));
  const bar = new SingleBar({ format: 'check [{bar}] {percentage}% | {value}/{total} leaves | eta {eta}s', stream: process.stderr }, Presets.shades_classic);
  let started = false;
  try {
    const outcome = await new LedgerAudit(events, new LedgerStore(database.pool), { origin: config.LEDGER_ORIGIN, accepted: keys.accepted }).run((checked, total) => {
      if (!started) bar.start(total, 0);
      started = true;
      bar.update(checked);
    });
    bar.stop();
    if (outcome.reason === null) {
      process.stdout.write(`The ledger is whole: ${outcome.checkedSize} leaves checked against the log.\n`);
      return 0;
    }
    process.stdout.write(`The ledger is BROKEN${outcome.brokenAt === null ? '' : ` at index ${outcome.brokenAt}`}: ${outcome.reason}\n`);
    return 1;
  } finally {
    bar.stop();
    await events.close();
    await database.close();
  }
}

main().then(
  (code) => process.exit(code),
  (error: unknown) => {
    process.stderr.write(`${error instanceof ConfigError ? error.message : `The check could not run: ${(error as Error).message}`}\n`);
    process.exit(2);
  },
);
