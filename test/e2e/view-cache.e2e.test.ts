import request from 'supertest';
import { ManualClock } from '../../src/common/clock';
import { JournalViews } from '../../src/journal/journal-views';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, SchoolWorld } from '../support/school-fixture';

const BUDGET_BYTES = 1024 * 1024;
const septemberWeekdays = Array.from({ length: 30 }, (_, i) => `2026-09-${String(i + 1).padStart(2, '0')}`).filter((d) => ![0, 6].includes(new Date(`${d}T00:00:00Z`).getUTCDay()));
const mondays = septemberWeekdays.filter((d) => new Date(`${d}T00:00:00Z`).getUTCDay() === 1);

describe(`the journal's read caches are held to VIEW_CACHE_MB (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let client: ReturnType<typeof api>;
  let world: SchoolWorld;
  let s: string;
  let last = '0.0';
  const clock = new ManualClock('2026-08-25T07:00:00.000Z');
  const cacheBytes = (text: string) => Number(/^zhurnal_cache_bytes\{cache="views"\} (\S+)$/m.exec(text)?.[1] ?? NaN);

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD, VIEW_CACHE_MB: '1' }, clock });
    client = api(subject.server);
    world = await buildSchool(subject.server, 'cache');
    s = `/schools/${world.schoolId}`;
    // 22 lessons with 2,000-character topics: a grid whose built view weighs more than its share of the budget.
    for (const date of septemberWeekdays) {
      clock.set(`${date}T07:30:00.000Z`);
      const response = await client.post(`${s}/groups/${world.groupId}/lessons`, world.tokens.assignedTeacher, { date, slot: 1, topic: `${date} ${'т'.repeat(1989)}` }).expect(201);
      last = response.body.position;
    }
  });
  afterAll(async () => subject?.close());

  it('serves a grid too heavy to keep, every time, and keeps what it holds under the budget', async () => {
    const views = subject.app.get(JournalViews);
    for (let read = 0; read < 3; read++) {
      const grid = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${world.periodIds[0]}&atLeast=${last}`, world.tokens.deputy).expect(200);
      expect(grid.body.lessons).toHaveLength(septemberWeekdays.length);
      expect(grid.body.lessons[21].topic).toHaveLength(2000);
    }
    for (const monday of mondays) {
      const week = await client.get(`${s}/students/${world.studentId}/diary?weekOf=${monday}`, world.tokens.parent).expect(200);
      expect(week.body.days.flatMap((day: { lessons: unknown[] }) => day.lessons).length).toBeGreaterThan(0);
    }
    expect(views.cachedBytes).toBeGreaterThan(0);
    expect(views.cachedBytes).toBeLessThanOrEqual(BUDGET_BYTES);
  });

  it('GET /metrics says what the view caches hold, as they count it', async () => {
    const views = subject.app.get(JournalViews);
    const response = await request(subject.server).get('/metrics').expect(200);
    expect(cacheBytes(response.text)).toBe(views.cachedBytes);
  });
});
