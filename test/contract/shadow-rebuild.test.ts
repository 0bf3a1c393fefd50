import { ProjectionRunner, RunnerOptions } from '../../projections/projection-runner';
import { DocumentProjector } from '../../projections/projector';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';
import { meta, TEACHER, viewDocuments } from '../support/fixtures';
import { v7 as uuidv7 } from 'uuid';

/** Counts events: a view that shows at once whether it holds the whole log or only a part of it. */
const counter = (version: number, step = 1): DocumentProjector<{ count: number }> => ({
  name: 'counter',
  version,
  handles: '*',
  keys: () => ['all'],
  evolve: (doc) => ({ count: (doc?.count ?? 0) + step }),
});

/**
 * A rebuild (`npm run rebuild`, or a projector version bumped by a deploy) while a live runner
 * keeps following the log: the view must come out whole, never as "only what came after the reset".
 */
describe(`rebuilding beside a live runner (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  let store: PostgresEventStore;
  const running: ProjectionRunner[] = [];

  beforeEach(async () => {
    test = await openTestDatabase();
    store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
  });
  afterEach(async () => {
    for (const runner of running.splice(0)) await runner.stop();
    await test.close();
  });

  const live = async (projectors: DocumentProjector[], options: RunnerOptions = {}) => {
    const runner = new ProjectionRunner(test.database.dataSource, store, projectors, { pollIntervalMs: 5, ...options });
    running.push(runner);
    await runner.start();
    return runner;
  };
  const append = (i: number) => store.append(`journal-${i % 3}`, 'any', [{ type: 'MarkRecorded', data: { i } }], meta());

  it('keeps the whole history when an event arrives during `rebuild` (the view held only that event)', async () => {
    const service = await live([counter(1) as DocumentProjector]);
    let last = await append(0);
    for (let i = 1; i < 50; i++) last = await append(i);
    expect(await service.waitFor(last.position, 5000)).toBe(true);

    // `npm run rebuild counter` in another process: its own runner on the same database.
    const cli = new ProjectionRunner(test.database.dataSource, store, [counter(1) as DocumentProjector], { batchSize: 10 });
    await cli.reset(['counter']);
    const during = await append(50);
    expect(await service.waitFor(during.position, 5000)).toBe(true);
    await cli.catchUp();
    expect(await viewDocuments(test.database, 'counter')).toEqual(new Map([['all', { count: 51 }]]));

    // The service goes on writing the rebuilt view.
    const after = await append(51);
    expect(await service.waitFor(after.position, 5000)).toBe(true);
    expect(await viewDocuments(test.database, 'counter')).toEqual(new Map([['all', { count: 52 }]]));
  });

  it('keeps every void when `rebuild voiding-facts` runs beside the live runner (it forgot the past voids)', async () => {
    const service = await live([counter(1) as DocumentProjector]);
    for (let i = 0; i < 10; i++) await append(i);
    // The teacher's account was compromised before any of those operations: they are void.
    const officer = { accountId: uuidv7(), role: 'security_officer', generation: 1 };
    const report = await store.append(
      `account-${TEACHER.accountId}`,
      'any',
      [{ type: 'CredentialCompromiseReported', data: { incidentId: uuidv7(), accountId: TEACHER.accountId, effectiveFrom: '2000-01-01T00:00:00.000Z', suspectedSince: null } }],
      { ...meta(), actor: officer },
    );
    expect(await service.waitFor(report.position, 5000)).toBe(true);
    expect(await viewDocuments(test.database, 'counter')).toEqual(new Map([['all', { count: 1 }]]));

    const cli = new ProjectionRunner(test.database.dataSource, store, [counter(1) as DocumentProjector], { batchSize: 4 });
    await cli.reset(['voiding-facts']);
    const during = await store.append('journal-officer', 'any', [{ type: 'MarkRecorded', data: {} }], { ...meta(), actor: officer });
    expect(await service.waitFor(during.position, 5000)).toBe(true);
    await cli.catchUp();
    expect(await viewDocuments(test.database, 'counter')).toEqual(new Map([['all', { count: 2 }]]));
    expect(((await viewDocuments(test.database, 'voiding-facts')).get('all') as { facts: unknown[] }).facts).toHaveLength(1);

    // The teacher's later operations are still void for the service.
    const later = await append(99);
    expect(await service.waitFor(later.position, 5000)).toBe(true);
    expect(await viewDocuments(test.database, 'counter')).toEqual(new Map([['all', { count: 2 }]]));
  });

  it('a deploy that bumps a version: the old version serves, whole, until the new one has caught up, never a half-built view', async () => {
    const old = await live([counter(1) as DocumentProjector]);
    let last = await append(0);
    for (let i = 1; i < 40; i++) last = await append(i);
    expect(await old.waitFor(last.position, 5000)).toBe(true);
    await old.stop();

    // The new code counts by ten: a half-built view would show some other number.
    const next = await live([counter(2, 10) as DocumentProjector], { rebuildBatchSize: 3 });
    const seen = new Set<string>();
    let served = '';
    for (let i = 0; i < 2000 && served !== JSON.stringify({ count: 400 }); i++) {
      // The status first: the switch may land between the two reads, but never undo itself.
      const { frozen } = await next.status();
      served = JSON.stringify((await viewDocuments(test.database, 'counter')).get('all'));
      seen.add(served);
      if (!frozen.includes('counter')) expect(served).toBe(JSON.stringify({ count: 400 }));
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    expect([...seen].every((doc) => doc === JSON.stringify({ count: 40 }) || doc === JSON.stringify({ count: 400 }))).toBe(true);
    expect(served).toBe(JSON.stringify({ count: 400 }));

    // The new version is the one written from now on.
    const after = await append(40);
    expect(await next.waitFor(after.position, 5000)).toBe(true);
    expect(await viewDocuments(test.database, 'counter')).toEqual(new Map([['all', { count: 410 }]]));
    expect((await next.status()).frozen).toEqual([]);
  });
});
