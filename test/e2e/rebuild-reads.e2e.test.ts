import request from 'supertest';
import { PROJECTORS } from '../../projections';
import { ProjectionRunner } from '../../projections/projection-runner';
import { ManualClock } from '../../src/common/clock';
import { Database, DATABASE } from '../../src/database/database';
import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, SchoolWorld } from '../support/school-fixture';

/**
 * `npm run rebuild journal-grid` while the service runs: the serving grid keeps answering, whole
 * and up to date, `?atLeast=` does not stall, and /health shows the rebuild as progress.
 */
describe(`reads during a rebuild (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let world: SchoolWorld;
  const clock = new ManualClock('2026-09-07T08:00:00.000Z');
  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD }, clock });
    world = await buildSchool(subject.server);
  });
  afterAll(async () => subject?.close());

  it('a rebuild of the grid under way: the journal with ?atLeast= answers 200 with every mark, /health is up with the rebuild\'s progress', async () => {
    const client = api(subject.server);
    const s = `/schools/${world.schoolId}`;
    const lesson = (await client.post(`${s}/groups/${world.groupId}/lessons`, world.tokens.assignedTeacher, { date: '2026-09-07', slot: 1, topic: 'Дроби' }).expect(201)).body.id;
    const marks: string[] = [];
    const mark = async (value: number) => {
      const written = await client.post(`${s}/lessons/${lesson}/marks`, world.tokens.assignedTeacher, { studentId: world.studentId, value, workKind: 'classwork' }).expect(201);
      marks.push(written.body.id);
      return written.body.position as string;
    };
    for (const value of [2, 3, 4, 5]) await mark(value);
    const markIds = async (position: string) => {
      const grid = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${world.periodIds[0]}&atLeast=${position}`, world.tokens.deputy).expect(200);
      return (grid.body.students.find((x: { id: string }) => x.id === world.studentId).marks as { id: string }[]).map((m) => m.id).sort();
    };

    // The CLI's runner, in small batches so that the rebuild stays under way while the service answers.
    const database = subject.app.get<Database>(DATABASE);
    const cli = new ProjectionRunner(database.dataSource, subject.app.get<EventStore>(EVENT_STORE), PROJECTORS, { rebuildBatchSize: 5, locks: database.locks() });
    try {
      const rebuild = await cli.rebuild(['journal-grid']);
      expect(await rebuild.step()).toBe(true);
      const during = await mark(5);
      expect(await markIds(during)).toEqual([...marks].sort());
      const first = await request(subject.server).get('/health').expect(200);
      expect(first.body.info.views).toMatchObject({ status: 'up', rebuilds: [{ views: ['journal-grid'], percent: expect.any(Number) }] });
      expect(first.body.info.views.rebuilds[0].percent).toBeGreaterThan(0);
      expect(first.body.info.views.rebuilds[0].percent).toBeLessThan(100);
      expect(first.body.info.views).not.toHaveProperty('degraded');
      expect(await rebuild.step()).toBe(true);
      const second = await request(subject.server).get('/health').expect(200);
      expect(second.body.info.views.rebuilds[0]).toMatchObject({ views: ['journal-grid'], etaSeconds: expect.any(Number) });
      expect(second.body.info.views.rebuilds[0].percent).toBeGreaterThan(first.body.info.views.rebuilds[0].percent);

      await rebuild.finish();
      const after = await mark(4);
      expect(await markIds(after)).toEqual([...marks].sort());
      const done = await request(subject.server).get('/health').expect(200);
      expect(done.body.info.views).not.toHaveProperty('rebuilds');
    } finally {
      await cli.stop();
    }
  });
});
