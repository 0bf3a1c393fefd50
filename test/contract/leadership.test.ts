import { ProjectionRunner } from '../../projections/projection-runner';
import { DocumentProjector, foldDocuments } from '../../projections/projector';
import { streamCatalog } from '../../projections/stream-catalog/stream-catalog.projector';
import { PostgresEventStore } from '../../src/event-store/postgres/postgres-event-store';
import { START } from '../../src/event-store/position';
import { openTestDatabase, TEST_DATABASE_KIND, TestDatabase } from '../support/database';
import { v7 as uuidv7 } from 'uuid';
import { meta, TEACHER, viewDocuments } from '../support/fixtures';

/** Several instances on one database: one writes the views, the others follow its checkpoints. */
describe(`one leader for the views (${TEST_DATABASE_KIND})`, () => {
  let test: TestDatabase;
  let store: PostgresEventStore;
  const runners: ProjectionRunner[] = [];

  beforeEach(async () => {
    test = await openTestDatabase();
    store = new PostgresEventStore(test.database.pool, { kind: TEST_DATABASE_KIND });
  });
  afterEach(async () => {
    for (const runner of runners.splice(0)) await runner.stop();
    await test.close();
  });

  const instance = async () => {
    const runner = new ProjectionRunner(test.database.dataSource, store, [streamCatalog as DocumentProjector], { pollIntervalMs: 5, locks: test.database.locks() });
    runners.push(runner);
    await runner.start();
    return runner;
  };
  const append = (i: number) => store.append(`journal-${i % 4}`, 'any', [{ type: 'MarkRecorded', data: { i } }], meta());

  it('lets one instance write; the others see its progress, and one takes over when it stops', async () => {
    const [a, b, c] = [await instance(), await instance(), await instance()];
    const roles = async () => Promise.all([a, b, c].map(async (r) => (await r.status()).role));
    expect((await roles()).sort()).toEqual(['follower', 'follower', 'leader']);
    let last = await append(0);
    for (let i = 1; i < 20; i++) last = await append(i);
    // A follower answers atLeast from the leader's checkpoints, and knows the voids the leader folded.
    const report = await store.append(
      `account-${TEACHER.accountId}`,
      'any',
      [{ type: 'CredentialCompromiseReported', data: { incidentId: uuidv7(), accountId: TEACHER.accountId, effectiveFrom: '2000-01-01T00:00:00.000Z', suspectedSince: null } }],
      { ...meta(), actor: { accountId: uuidv7(), role: 'security_officer', generation: 1 } },
    );
    for (const runner of [a, b, c]) expect(await runner.waitFor(report.position, 5000)).toBe(true);
    for (const runner of [a, b, c]) expect(runner.ledger().windows(TEACHER.accountId)).toHaveLength(1);

    const first = [a, b, c][(await roles()).indexOf('leader')];
    await first.stop();
    runners.splice(runners.indexOf(first), 1);
    for (let i = 20; i < 40; i++) last = await append(i);
    const rest = [a, b, c].filter((r) => r !== first);
    for (const runner of rest) expect(await runner.waitFor(last.position, 5000)).toBe(true);
    expect((await Promise.all(rest.map(async (r) => (await r.status()).role))).sort()).toEqual(['follower', 'leader']);
    expect(await viewDocuments(test.database, 'stream-catalog')).toEqual(foldDocuments(streamCatalog, await store.readAll(START, { limit: 1000 })));
  });
});
