import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ManualClock } from '../../src/common/clock';
import { Database, DATABASE } from '../../src/database/database';
import { startAppOn, startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND, testDatabaseEnv } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, SchoolWorld } from '../support/school-fixture';

interface DenialItem {
  type: string;
  actor: { accountId: string };
  data: { accountId: string; action: string; route: string; reason: string; targetSchoolId: string | null; count: number };
}

const countDenials = async (database: Database) =>
  Number((await database.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM event_log WHERE type = 'AccessDenied'`)).rows[0].n);

/** Polls a condition the service reaches on its own (a window closing), never a fixed sleep. */
async function eventually<T>(read: () => Promise<T>, holds: (value: T) => boolean, what: string): Promise<T> {
  for (let attempt = 0; attempt < 400; attempt++) {
    const value = await read();
    if (holds(value)) return value;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  throw new Error(`never happened: ${what}`);
}

describe(`access denials: recorded in the target school too, repeats coalesced (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let client: ReturnType<typeof api>;
  let world: SchoolWorld;
  let database: Database;
  const clock = new ManualClock('2026-11-20T08:00:00.000Z');

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD }, clock });
    client = api(subject.server);
    world = await buildSchool(subject.server);
    database = subject.app.get(DATABASE);
  });
  afterAll(async () => subject?.close());

  const denialsIn = async (schoolId: string, token: string | null, accountId: string) =>
    (await client.get(`/schools/${schoolId}/audit/events?type=AccessDenied&accountId=${accountId}&limit=500`, token).expect(200)).body.items as DenialItem[];
  const total = (items: DenialItem[]) => items.reduce((sum, item) => sum + item.data.count, 0);

  it("lists a probe against another school in that school's audit, and in the prober's own", async () => {
    const classPath = `/schools/${world.schoolId}/classes/${world.classId}`;
    await client.get(classPath, world.tokens.otherSchool).expect(404);
    const inTarget = await denialsIn(world.schoolId, world.tokens.securityOfficer, world.accounts.otherSchool);
    expect(inTarget).toEqual([
      expect.objectContaining({
        type: 'AccessDenied',
        actor: expect.objectContaining({ accountId: world.accounts.otherSchool }),
        data: expect.objectContaining({ action: 'class.read', route: 'GET /api/v1/schools/:schoolId/classes/:classId', targetSchoolId: world.schoolId, count: 1 }),
      }),
    ]);
    const inOwn = (await client.get(`/schools/${world.otherSchoolId}/audit/events?type=AccessDenied`, world.tokens.otherSchool).expect(200)).body.items as DenialItem[];
    expect(inOwn.map((item) => item.data)).toEqual([expect.objectContaining({ action: 'class.read', targetSchoolId: world.schoolId, count: 1 })]);
    // A denial inside the caller's own school is recorded once, there.
    await client.get(`/schools/${world.schoolId}/audit/events`, world.tokens.student).expect(403);
    expect(await denialsIn(world.schoolId, world.tokens.securityOfficer, world.accounts.student)).toHaveLength(1);
  });

  it('grows the log by a bounded handful for 1,000 refused GETs of one student, and the audit still shows the count', async () => {
    clock.advance(61_000);
    const before = await countDenials(database);
    const path = `/schools/${world.schoolId}/incidents`;
    for (let batch = 0; batch < 50; batch++) {
      await Promise.all(Array.from({ length: 20 }, () => client.get(path, world.tokens.student).expect(403)));
    }
    // The first refusal is in the log at once; the 999 repeats wait for their minute to close.
    const during = await countDenials(database);
    expect(during - before).toBe(1);
    clock.advance(60_000);
    const items = await eventually(
      async () => (await denialsIn(world.schoolId, world.tokens.securityOfficer, world.accounts.student)).filter((i) => i.data.action === 'incident.read'),
      (found) => total(found) === 1000,
      'the repeats of the minute in the audit',
    );
    // One event for the first refusal, one with the count of its repeats in the minute.
    expect(items.map((item) => item.data.count)).toEqual([1, 999]);
    expect(items[1].data).toMatchObject({ firstAt: expect.any(String), lastAt: expect.any(String) });
    expect(await countDenials(database)).toBe(before + 2);
  });
});

describe(`access denials pending at shutdown are written before the service stops (${TEST_DATABASE_KIND})`, () => {
  it('flushes the coalesced repeats on close', async () => {
    const dataDir = mkdtempSync(join(tmpdir(), 'zhurnal-denials-'));
    const database = TEST_DATABASE_KIND === 'postgres' ? await testDatabaseEnv() : { env: { DATA_DIR: dataDir }, drop: async () => undefined };
    try {
      const { app, config } = await startAppOn(database.env, { env: { ADMIN_PASSWORD } });
      const world = await buildSchool(app.getHttpServer());
      const client = api(app.getHttpServer());
      for (let i = 0; i < 10; i++) await client.get(`/schools/${world.schoolId}/incidents`, world.tokens.student).expect(403);
      await app.close();
      const reopened = await Database.open({ databaseUrl: config.DATABASE_URL, dataDir: config.DATA_DIR, poolSize: 1 });
      try {
        const { rows } = await reopened.pool.query<{ count: string }>(
          `SELECT (envelope::jsonb -> 'data' ->> 'count') AS count FROM event_log WHERE type = 'AccessDenied' AND actor_account_id = $1`,
          [world.accounts.student],
        );
        expect(rows.map((row) => Number(row.count)).reduce((a, b) => a + b, 0)).toBe(10);
      } finally {
        await reopened.close();
      }
    } finally {
      await database.drop();
      rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
