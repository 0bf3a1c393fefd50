/**
 * Child process of the crash test: appends groups of three events as fast as it can while the
 * projection runner follows, printing "ACK <correlationId>" once an append is acknowledged. The
 * parent kills it with SIGKILL at a moment of its choosing. "VIEWS n" tells that a batch of views committed.
 */
import { v7 as uuidv7 } from 'uuid';
import { PROJECTORS } from '../../projections';
import { ProjectionRunner } from '../../projections/projection-runner';
import { Database } from '../../src/database/database';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';

async function main(): Promise<void> {
  const databaseUrl = process.env.CRASH_DATABASE_URL || undefined;
  const database = await Database.open({ databaseUrl, dataDir: process.env.CRASH_DATA_DIR ?? '', poolSize: 4 });
  const store = new PostgresEventStore(database.pool, { kind: database.kind });
  const runner = new ProjectionRunner(database.dataSource, store, PROJECTORS, {
    batchSize: 7,
    pollIntervalMs: 1,
    onBatch: (events) => process.stdout.write(`VIEWS ${events}\n`),
  });
  await runner.start();
  const versions = new Map<string, number>();
  process.stdout.write('READY\n');
  for (let i = 0; ; i++) {
    const stream = `crash-${i % 5}`;
    const version = versions.get(stream) ?? 0;
    const correlationId = uuidv7();
    await store.append(
      stream,
      version,
      [0, 1, 2].map((part) => ({ type: 'CrashProbe', data: { i, part } })),
      { schoolId: null, actor: { accountId: uuidv7(), role: 'teacher', generation: 1 }, correlationId },
    );
    versions.set(stream, version + 3);
    process.stdout.write(`ACK ${correlationId}\n`);
  }
}

main().catch((error) => {
  process.stderr.write(`crash-writer failed: ${(error as Error).stack}\n`);
  process.exit(2);
});
