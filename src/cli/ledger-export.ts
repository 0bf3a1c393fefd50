/**
 * `npm run ledger:export -- <dir> [--school <id>]`: writes the audit ledger up to its latest
 * checkpoint into `dir` as C2SP tlog-tiles files (entries, tiles, every checkpoint, the key, a
 * README), with a progress bar; with `--school`, only that school's slice: its entries, each with
 * a receipt under the latest served checkpoint, and no other school's data. What an inspector or a
 * court takes away and checks with `npm run verify -- <dir> --key …`. Reads only; safe while the
 * service runs.
 */
import 'reflect-metadata';
import { Presets, SingleBar } from 'cli-progress';
import { deriveKey, loadMasterSecret } from '../auth/service-keys';
import { ConfigError, loadConfig } from '../config/app-config';
import { Database } from '../database/database';
import { openEventStore } from '../event-store/open-event-store';
import { exportLedger, exportSchoolSlice } from '../ledger/ledger-export';
import { LedgerProofs } from '../ledger/ledger-proofs';
import { parseWitnesses } from '../ledger/ledger-witnesses';
import { ledgerSigner } from '../ledger/ledger.keys';
import { LedgerStore } from '../ledger/ledger-store';

async function main(args: string[]): Promise<void> {
  const school = args.indexOf('--school');
  const schoolId = school >= 0 ? args[school + 1] : undefined;
  const rest = school >= 0 ? args.filter((_, i) => i !== school && i !== school + 1) : args;
  const [dir] = rest;
  if (!dir || rest.length !== 1 || (school >= 0 && !/^[0-9a-f-]{36}$/i.test(schoolId ?? ''))) {
    process.stderr.write('usage: npm run ledger:export -- <directory> [--school <school id>]\n');
    process.exit(2);
  }
  const config = loadConfig();
  const database = await Database.open({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 2 });
  const events = openEventStore(config, database);
  const { signer } = ledgerSigner(config, deriveKey(await loadMasterSecret(database, config.masterSecret), 'ledgerSigning'));
  const bar = new SingleBar({ format: 'export [{bar}] {percentage}% | {value}/{total} entries | eta {eta}s', stream: process.stderr }, Presets.shades_classic);
  const started = Date.now();
  try {
    if (schoolId) {
      const store = new LedgerStore(database.pool);
      const proofs = new LedgerProofs(store, events, config.LEDGER_WITNESS_QUORUM ?? parseWitnesses(config.LEDGER_WITNESSES).length);
      const slice = await exportSchoolSlice(store, events, proofs, schoolId, dir, {
        vkey: signer.vkey,
        onProgress: (done) => process.stderr.write(`\rexported ${done} entries of school ${schoolId}`),
      });
      process.stdout.write(`\nExported ${slice.entries} entries of school ${schoolId} with their receipts under the checkpoint of size ${slice.size} to ${dir}.\nCheck it: npm run verify -- ${dir} --key '${signer.vkey}'\n`);
      return;
    }
    let begun = false;
    const summary = await exportLedger(new LedgerStore(database.pool), events, dir, {
      vkey: signer.vkey,
      onProgress: (done, total) => {
        if (!begun) bar.start(total, 0);
        begun = true;
        bar.update(done);
      },
    });
    bar.stop();
    process.stdout.write(
      `Exported ${summary.size} entries (${summary.bundles} bundles, ${summary.tiles} tiles, ${summary.checkpoints} checkpoints) to ${dir} in ${((Date.now() - started) / 1000).toFixed(1)} s.\n` +
        `Check it: npm run verify -- ${dir} --key '${signer.vkey}'\n`,
    );
  } finally {
    bar.stop();
    await events.close();
    await database.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Export failed: ${(error as Error).message}`}\n`);
  process.exit(1);
});
