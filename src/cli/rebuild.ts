/**
 * `npm run rebuild [projection …]`: builds the named views (all when none are named) again from the
 * whole log, with a progress bar, into a new generation beside the serving one (docs/architecture.md,
 * "Generations"). Safe while the service runs: its views keep serving reads, and go on following
 * the log, until this rebuild has caught up; then reads switch to it in one transaction and the old
 * rows are dropped. If this process stops half way, the service's leader finishes the rebuild.
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
  const bar = new SingleBar({ format: 'rebuild [{bar}] {percentage}% | {value}/{total} events | {rate} ev/s | eta {eta}s', stream: process.stderr }, Presets.shades_classic);
  const started = Date.now();
  let done = 0;
  const runner = new ProjectionRunner(database.dataSource, store, PROJECTORS, {
    batchSize: 2000,
    locks: database.locks(),
    rebuildMemoryBytes: config.REBUILD_MEMORY_MB * 1024 * 1024,
    rebuildFlushEvents: config.REBUILD_FLUSH_EVENTS,
    onBatch: (events) => {
      done += events;
      if (done > bar.getTotal()) bar.setTotal(done);
      bar.update(done, { rate: Math.round(done / Math.max(0.001, (Date.now() - started) / 1000)) });
    },
  });
  try {
    const rebuild = await runner.rebuild(names.length > 0 ? names : undefined);
    const { rebuilds } = await runner.status();
    const total = rebuilds.find((r) => r.generation === rebuild.generation)?.eventsTotal ?? 0;
    process.stderr.write(
      `Rebuilding ${rebuild.views.join(', ')} into generation ${rebuild.generation} from ${total > 0 ? `${total} events` : 'the whole log'} (${config.storeDescription}); the serving views answer reads until it is done.\n`,
    );
    bar.start(total, 0, { rate: 0 });
    await rebuild.finish();
    bar.stop();
    const seconds = (Date.now() - started) / 1000;
    process.stdout.write(`Rebuilt ${rebuild.views.length} view(s) from ${done} events in ${seconds.toFixed(1)} s (${Math.round(done / Math.max(seconds, 0.001))} events/s); reads now see the rebuild.\n`);
  } finally {
    bar.stop();
    await runner.stop();
    await store.close();
    await database.close();
  }
}

main(process.argv.slice(2)).catch((error: unknown) => {
  process.stderr.write(`${error instanceof ConfigError ? error.message : `Rebuild failed: ${(error as Error).message}`}\n`);
  process.exit(1);
});
