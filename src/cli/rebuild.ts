/**
 * `npm run rebuild [projection …]`: forgets the named views (all when none are named) and builds
 * them again from the whole log, with a progress bar. Safe while the service runs: the runner's
 * checkpoint lock makes the service wait for, then skip, what this applied.
 */
import 'reflect-metadata';
import { SingleBar, Presets } from 'cli-progress';
import { PROJECTORS } from '../../projections';
import { ProjectionRunner } from '../../projections/projection-runner';
import { ConfigError, loadConfig } from '../config/app-config';
import { Database } from '../database/database';
import { openEventStore } from '../event-store/open-event-store';

async function main(names: string[]): Promise<void> {
  const config = loadConfig();
  const database = await Database.open({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 2 });
  const store = openEventStore(config, database);
  try {
    const total = store.kind === 'eventstoredb' ? 0 : await countEvents(database);
    const known = PROJECTORS.map((p) => p.name);
    const chosen = names.length > 0 ? names : known;
    process.stderr.write(`Rebuilding ${chosen.join(', ')} from ${total > 0 ? `${total} events` : 'the whole log'} (${config.storeDescription}).\n`);
    const bar = new SingleBar({ format: 'rebuild [{bar}] {percentage}% | {value}/{total} events | {rate} ev/s | eta {eta}s', stream: process.stderr }, Presets.shades_classic);
    bar.start(total, 0, { rate: 0 });
    const started = Date.now();
    let done = 0;
    const runner = new ProjectionRunner(database.dataSource, store, PROJECTORS, {
      batchSize: 2000,
      onBatch: (events) => {
        done += events;
        if (done > bar.getTotal()) bar.setTotal(done);
        bar.update(done, { rate: Math.round(done / Math.max(0.001, (Date.now() - started) / 1000)) });
      },
    });
    await runner.reset(names.length > 0 ? names : undefined);
    await runner.catchUp();
    bar.stop();
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`Rebuilt ${chosen.length} view(s) from ${done} events in ${seconds.toFixed(1)} s (${Math.round(done / Math.max(seconds, 0.001))} events/s).\n`);
  } finally {
    await store.close();
    await database.close();
  }
}

async function countEvents(database: Database): Promise<number> {
  const { rows } = await database.pool.query<{ count: string }>('SELECT count(*)::text AS count FROM event_log');
  return Number(rows[0].count);
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Rebuild failed: ${(error as Error).message}`}\n`);
  process.exit(1);
});
