import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { PROJECTORS } from '../../projections';
import { ProjectionCheckpoint } from '../../projections/entities';
import { ProjectionRunner } from '../../projections/projection-runner';
import { foldDocuments } from '../../projections/projector';
import { streamCatalog } from '../../projections/stream-catalog/stream-catalog.projector';
import { Database } from '../../src/database/database';
import { StoredEvent } from '../../src/event-store/envelope';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { comparePositions, parsePosition, START } from '../../src/event-store/position';
import { testDatabaseEnv, TEST_DATABASE_KIND } from '../support/database';
import { viewDocuments } from '../support/fixtures';

const ACKS_BEFORE_KILL = 150;

/** Runs the writer in a child process and kills it with SIGKILL after some acknowledged appends. */
async function runWriterAndKill(env: Record<string, string>): Promise<Set<string>> {
  const child = spawn(process.execPath, ['-r', join(__dirname, '../support/register-ts.js'), join(__dirname, '../support/crash-writer.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (chunk) => (stderr += chunk));
  const acknowledged = new Set<string>();
  let viewsCommitted = false;
  let killed = false;
  const exited = new Promise<NodeJS.Signals | number | null>((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  // A writer whose views never commit would run forever: stop it and fail instead of hanging.
  const watchdog = setTimeout(() => child.kill('SIGTERM'), 60_000);
  for await (const line of createInterface({ input: child.stdout })) {
    if (line.startsWith('ACK ')) acknowledged.add(line.slice(4));
    if (line.startsWith('VIEWS ')) viewsCommitted = true;
    // Killed mid-stream: appends going on and the views known to be committing batches.
    if (!killed && acknowledged.size >= ACKS_BEFORE_KILL && viewsCommitted) {
      killed = true;
      child.kill('SIGKILL');
    }
  }
  const ending = await exited;
  clearTimeout(watchdog);
  if (!killed) throw new Error(`the writer was never killed mid-stream (views committed: ${viewsCommitted}, acks: ${acknowledged.size}): ${stderr}`);
  if (ending !== 'SIGKILL') throw new Error(`the writer ended by itself (${ending}) before it was killed: ${stderr}`);
  return acknowledged;
}

async function readEverything(store: PostgresEventStore): Promise<StoredEvent[]> {
  const all: StoredEvent[] = [];
  for (let batch = await store.readAll(START, { limit: 1000 }); batch.length > 0; batch = await store.readAll(batch[batch.length - 1].position, { limit: 1000 })) {
    all.push(...batch);
  }
  return all;
}

describe(`crash safety: kill -9 of a writer mid-stream (${TEST_DATABASE_KIND})`, () => {
  it('keeps every acknowledged append, no half append, and views that resume without double-applying', async () => {
    const postgres = TEST_DATABASE_KIND === 'postgres' ? await testDatabaseEnv() : undefined;
    const dataDir = postgres ? '' : mkdtempSync(join(tmpdir(), 'zhurnal-crash-'));
    const childEnv: Record<string, string> = postgres ? { CRASH_DATABASE_URL: postgres.env.DATABASE_URL } : { CRASH_DATA_DIR: dataDir };
    let database: Database | undefined;
    try {
      const acknowledged = await runWriterAndKill(childEnv);

      database = await Database.open({ databaseUrl: postgres?.env.DATABASE_URL, dataDir, poolSize: 4 });
      const store = new PostgresEventStore(database.pool, { kind: database.kind });
      const events = await readEverything(store);

      // Every acknowledged append is there, whole; no append is there in part.
      const byCorrelation = new Map<string, StoredEvent[]>();
      for (const event of events) byCorrelation.set(event.correlationId, [...(byCorrelation.get(event.correlationId) ?? []), event]);
      for (const id of acknowledged) expect(byCorrelation.get(id)).toHaveLength(3);
      for (const group of byCorrelation.values()) expect(group.map((e) => (e.data as { part: number }).part)).toEqual([0, 1, 2]);
      expect(byCorrelation.size).toBeGreaterThanOrEqual(acknowledged.size);
      expect(byCorrelation.size).toBeLessThanOrEqual(acknowledged.size + 1); // at most the one in flight

      // The views hold exactly the events up to their checkpoint: nothing half or twice applied.
      const checkpoint = await database.dataSource.getRepository(ProjectionCheckpoint).findOneByOrFail({ name: 'stream-catalog' });
      const reached = parsePosition(checkpoint.position)!;
      const applied = events.filter((e) => comparePositions(e.position, reached) <= 0);
      expect(applied.length).toBeGreaterThan(0);
      expect(await viewDocuments(database, 'stream-catalog')).toEqual(foldDocuments(streamCatalog, applied));

      // Resuming from the checkpoint brings the views to the whole log, each event once.
      await new ProjectionRunner(database.dataSource, store, PROJECTORS).catchUp();
      expect(await viewDocuments(database, 'stream-catalog')).toEqual(foldDocuments(streamCatalog, events));
    } finally {
      await database?.close();
      await postgres?.drop();
      if (dataDir) rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
