import { ManualClock } from '../../src/common/clock';
import { Database, DATABASE } from '../../src/database/database';
import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { IdempotencyPurge } from '../../src/operations/idempotency-purge';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, SchoolWorld } from '../support/school-fixture';

const HOUR = 60 * 60 * 1000;

/**
 * Issue 14: `idempotency_record` is purged after its 24 h (it grew without end). What goes: every
 * record whose last claim is older than that, finished or left running by a dead process; what
 * stays: younger ones. A retry after the purge still writes nothing twice (its ids replay).
 */
describe(`Idempotency records purged after 24 h (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let world: SchoolWorld;
  let client: ReturnType<typeof api>;
  const clock = new ManualClock('2026-09-14T06:00:00.000Z');
  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD }, clock });
    client = api(subject.server);
    world = await buildSchool(subject.server);
  });
  afterAll(async () => subject?.close());

  const keys = async () =>
    (await subject.app.get<Database>(DATABASE).pool.query<{ key: string }>(`SELECT key FROM idempotency_record ORDER BY key`)).rows.map((row) => row.key);
  const subjects = () => `/schools/${world.schoolId}/subjects`;
  const countSubjects = async (name: string) =>
    (await subject.app.get<EventStore>(EVENT_STORE).readStream(`school-${world.schoolId}`)).filter((e) => e.type === 'SubjectCreated' && (e.data as { name: string }).name === name).length;

  it('deletes records past 24 h, finished or left running, and keeps younger ones', async () => {
    await client.post(subjects(), world.tokens.deputy, { name: 'Химия' }).set('Idempotency-Key', 'old-done').expect(201);
    // A first attempt whose process died: its row stays 'running'.
    await subject.app.get<Database>(DATABASE).pool.query(
      `INSERT INTO idempotency_record (account_id, key, request_hash, state, created_at) VALUES ($1, 'old-running', 'h', 'running', $2)`,
      [world.accounts.deputy, clock.now().toISOString()],
    );
    clock.advance(23 * HOUR);
    await client.post(subjects(), world.tokens.deputy, { name: 'Физика' }).set('Idempotency-Key', 'young').expect(201);
    clock.advance(1 * HOUR + 1000);

    const purged = await subject.app.get(IdempotencyPurge).purge();
    expect(purged).toBe(2);
    expect(await keys()).toEqual(['young']);
  });

  it('a retry after the purge answers from the log and writes nothing twice', async () => {
    // Its own record, not the test above's: it passes or fails alone.
    await client.post(subjects(), world.tokens.deputy, { name: 'Биология' }).set('Idempotency-Key', 'retried-after-purge').expect(201);
    clock.advance(24 * HOUR + 1000);
    await subject.app.get(IdempotencyPurge).purge();
    expect(await keys()).not.toContain('retried-after-purge');
    const deputy = await client.login('a-deputy');
    const retry = await client.post(subjects(), deputy, { name: 'Биология' }).set('Idempotency-Key', 'retried-after-purge').expect(200);
    expect(retry.body.id).toEqual(expect.any(String));
    expect(await countSubjects('Биология')).toBe(1);
  });
});
