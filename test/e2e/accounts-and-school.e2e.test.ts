import { ManualClock } from '../../src/common/clock';
import { Database, DATABASE } from '../../src/database/database';
import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, PASSWORD, SchoolWorld } from '../support/school-fixture';

describe(`accounts, sign-in and the school year over HTTP (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let client: ReturnType<typeof api>;
  let world: SchoolWorld;
  const clock = new ManualClock('2026-11-20T08:00:00.000Z');

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD }, clock });
    client = api(subject.server);
    world = await buildSchool(subject.server);
  });
  afterAll(async () => subject?.close());

  const s = () => `/schools/${world.schoolId}`;

  it('shows the class as built: class teacher, students, the group that follows the class', async () => {
    const response = await client.get(`${s()}/classes/${world.classId}`, world.tokens.classTeacher).expect(200);
    expect(response.body).toMatchObject({
      id: world.classId,
      name: '5А',
      classTeacher: { id: world.accounts.classTeacher, fullName: 'Person a-class-teacher' },
      students: [{ id: world.studentId, fullName: 'Иванов Иван', birthDate: '2015-03-14' }],
      groups: [{ id: world.groupId, subject: 'Математика', teacherIds: [world.accounts.assignedTeacher], studentIds: null }],
    });
  });

  it('answers every write with id, eventIds, position and recordedAt, and the position works as atLeast', async () => {
    const written = await client.post(`${s()}/subjects`, world.tokens.deputy, { name: '  Физика  ' }).expect(201);
    expect(written.body).toEqual({ id: expect.any(String), eventIds: [expect.any(String)], position: expect.stringMatching(/^\d+\.\d+$/), recordedAt: '2026-11-20T08:00:00.000Z' });
    await client.get(`${s()}/classes/${world.classId}?atLeast=${written.body.position}`, world.tokens.deputy).expect(200);
  });

  it('tells who is signed in', async () => {
    const me = await client.get('/auth/me', world.tokens.assignedTeacher).expect(200);
    expect(me.body).toEqual({ accountId: world.accounts.assignedTeacher, schoolId: world.schoolId, login: 'a-teacher', fullName: 'Person a-teacher', roles: ['teacher'] });
    const admin = await client.get('/auth/me', world.tokens.admin).expect(200);
    expect(admin.body).toMatchObject({ schoolId: null, roles: ['admin'] });
  });

  it('keeps logins unique when eight requests race to create the same one', async () => {
    const attempts = await Promise.all(
      Array.from({ length: 8 }, (_, i) =>
        client.post(`${s()}/accounts`, world.tokens.sysadmin, { login: i % 2 ? 'Race-User' : 'race-user ', password: `password-number-${i}`, fullName: 'Racer', roles: ['parent'] }),
      ),
    );
    const statuses = attempts.map((a) => a.status).sort();
    expect(statuses).toEqual([201, 409, 409, 409, 409, 409, 409, 409]);
    expect(attempts.find((a) => a.status === 409)!.body.code).toBe('ALREADY_EXISTS');
    const winner = attempts.findIndex((a) => a.status === 201);
    await client.login('race-user', `password-number-${winner}`);
    const loser = (winner + 1) % 8;
    const refused = await client.post('/auth/login', null, { login: 'race-user', password: `password-number-${loser}` }).expect(401);
    expect(refused.body.code).toBe('INVALID_CREDENTIALS');
  });

  it('kills a stolen token the moment credentials are reissued, without waiting for expiry', async () => {
    await client.post(`${s()}/accounts`, world.tokens.sysadmin, { login: 'victim', password: PASSWORD, fullName: 'Жертва Утечки', roles: ['teacher'] }).expect(201);
    const stolen = await client.login('victim');
    await client.get('/auth/me', stolen).expect(200);
    const victim = (await client.get('/auth/me', stolen)).body.accountId;
    const reissued = await client.post(`${s()}/accounts/${victim}/credentials`, world.tokens.sysadmin, { password: 'the-new-password' }).expect(201);
    expect(reissued.body.id).toBe(victim);
    const dead = await client.get('/auth/me', stolen).expect(401);
    expect(dead.body.code).toBe('UNAUTHENTICATED');
    await client.post('/auth/login', null, { login: 'victim', password: PASSWORD }).expect(401);
    const fresh = await client.login('victim', 'the-new-password');
    await client.get('/auth/me', fresh).expect(200);
    const account = await client.get(`${s()}/accounts/${victim}`, world.tokens.sysadmin).expect(200);
    expect(account.body).toEqual({ id: victim, login: 'victim', fullName: 'Жертва Утечки', roles: ['teacher'], status: 'active' });
  });

  it('limits wrong passwords: after 5 in a minute even the right one gets 429 until the window passes', async () => {
    await client.post(`${s()}/accounts`, world.tokens.sysadmin, { login: 'forgetful', password: PASSWORD, fullName: 'Забывчивый', roles: ['parent'] }).expect(201);
    await client.post('/auth/login', null, { login: 'forgetful' }).expect(400); // malformed: does not count
    for (let i = 0; i < 5; i++) await client.post('/auth/login', null, { login: 'forgetful', password: `wrong-${i}` }).expect(401);
    const limited = await client.post('/auth/login', null, { login: 'forgetful', password: PASSWORD }).expect(429);
    expect(limited.body.code).toBe('TOO_MANY_REQUESTS');
    expect(Number(limited.headers['retry-after'])).toBeGreaterThan(0);
    clock.advance(61_000);
    await client.login('forgetful');
  });

  describe('bad input gets 400 with the field and the reason, and writes nothing', () => {
    const year = (overrides: object) => ({
      name: '2030/31',
      startsOn: '2030-09-01',
      endsOn: '2031-05-31',
      periods: [
        { name: 'I', startsOn: '2030-09-01', endsOn: '2030-12-28' },
        { name: 'II', startsOn: '2031-01-09', endsOn: '2031-05-31' },
      ],
      ...overrides,
    });

    it.each([
      ['an impossible date', { startsOn: '2026-02-30' }, 'startsOn', 'startsOn must be a real date as YYYY-MM-DD'],
      ['a period date that is not a date', { periods: [{ name: 'I', startsOn: '2030-09-01', endsOn: 'soon' }] }, 'periods.0.endsOn', 'endsOn must be a real date as YYYY-MM-DD'],
      ['overlapping periods', { periods: [{ name: 'I', startsOn: '2030-09-01', endsOn: '2030-12-28' }, { name: 'II', startsOn: '2030-12-01', endsOn: '2031-05-31' }] }, 'periods.1', 'overlaps period "I"'],
      ['a period outside the year', { periods: [{ name: 'I', startsOn: '2030-08-01', endsOn: '2030-12-28' }] }, 'periods.0', 'must lie inside the school year'],
      ['an unknown field', { colour: 'blue' }, 'colour', 'property colour should not exist'],
      ['a number for a name', { name: 2030 }, 'name', 'name must be a string'],
    ])('%s', async (_, overrides, field, reason) => {
      const response = await client.post(`${s()}/years`, world.tokens.deputy, year(overrides)).expect(400);
      expect(response.body.code).toBe('VALIDATION_FAILED');
      expect(response.body.details).toContainEqual({ field, reason });
    });

    it('and then the same year, valid, is accepted: nothing of the refused ones was written', async () => {
      await client.post(`${s()}/years`, world.tokens.deputy, year({})).expect(201);
    });

    it('refuses a path id that is not a UUID, a short password and a role that is not a school role', async () => {
      const path = await client.get(`${s()}/classes/5A`, world.tokens.deputy).expect(400);
      expect(path.body.details).toEqual([{ field: 'classId', reason: 'must be a UUID' }]);
      const short = await client.post(`${s()}/accounts`, world.tokens.sysadmin, { login: 'shorty', password: 'short', fullName: 'S', roles: ['parent'] }).expect(400);
      expect(short.body.details).toContainEqual({ field: 'password', reason: 'password must be at least 10 characters' });
      const admin = await client.post(`${s()}/accounts`, world.tokens.sysadmin, { login: 'wannabe', password: PASSWORD, fullName: 'W', roles: ['admin'] }).expect(400);
      expect(admin.body.details[0].field).toBe('roles');
      await client.post('/auth/login', null, { login: 'shorty', password: 'short' }).expect(401);
    });

    it('refuses a class teacher who is not a teacher, naming the field', async () => {
      const response = await client.post(`${s()}/classes`, world.tokens.deputy, { yearId: world.yearId, name: '6В', classTeacherId: world.accounts.parent }).expect(400);
      expect(response.body.details).toEqual([{ field: 'classTeacherId', reason: 'must be a teacher' }]);
    });
  });

  it('moves a student between classes and keeps the history: each class shows its roster of today', async () => {
    const student = await client.post(`${s()}/students`, world.tokens.classTeacher, { fullName: 'Сидорова Мария', classId: world.classId }).expect(201);
    await client.post(`${s()}/students/${student.body.id}/transfers`, world.tokens.deputy, { toClassId: world.otherClassId, on: '2026-11-10' }).expect(201);
    const from = await client.get(`${s()}/classes/${world.classId}`, world.tokens.deputy).expect(200);
    const to = await client.get(`${s()}/classes/${world.otherClassId}`, world.tokens.deputy).expect(200);
    expect(from.body.students.map((x: { id: string }) => x.id)).not.toContain(student.body.id);
    expect(to.body.students.map((x: { id: string }) => x.id)).toContain(student.body.id);
    const rewrite = await client.post(`${s()}/students/${student.body.id}/transfers`, world.tokens.deputy, { toClassId: world.classId, on: '2026-11-01' }).expect(400);
    expect(rewrite.body.details[0].field).toBe('on');
  });

  it('hides a school from another school (404), and shows it to an inspector once granted', async () => {
    const hidden = await client.get(`${s()}/classes/${world.classId}`, world.tokens.otherSchool).expect(404);
    expect(hidden.body.code).toBe('NOT_FOUND');
    await client.post(`/schools/${world.otherSchoolId}/accounts`, world.tokens.admin, { login: 'inspector-b', password: PASSWORD, fullName: 'Инспектор Б', roles: ['inspector'] }).expect(201);
    const inspectorB = await client.login('inspector-b');
    await client.get(`${s()}/classes/${world.classId}`, inspectorB).expect(404);
    const me = await client.get('/auth/me', inspectorB);
    await client.post(`${s()}/inspector-grants`, world.tokens.admin, { accountId: me.body.accountId }).expect(201);
    await client.get(`${s()}/classes/${world.classId}`, inspectorB).expect(200);
    await client.post(`${s()}/subjects`, inspectorB, { name: 'Черчение' }).expect(403);
  });

  it('refuses with 403 and a reason in plain words, and records the denial as an AccessDenied event', async () => {
    const refused = await client.post(`${s()}/subjects`, world.tokens.assignedTeacher, { name: 'Астрономия' }).expect(403);
    expect(refused.body).toEqual({ statusCode: 403, code: 'FORBIDDEN', message: 'Only a deputy director sets up the school structure.', details: [] });
    const store = subject.app.get<EventStore>(EVENT_STORE);
    const denials = await store.readStream(`access-denied-${world.schoolId}`);
    expect(denials.at(-1)).toMatchObject({
      type: 'AccessDenied',
      schoolId: world.schoolId,
      actor: { accountId: world.accounts.assignedTeacher },
      data: { action: 'subject.create', route: 'POST /api/v1/schools/:schoolId/subjects', reason: 'Only a deputy director sets up the school structure.' },
    });
  });

  it('never writes a password or its hash into the log', async () => {
    const { rows } = await subject.app.get<Database>(DATABASE).pool.query<{ envelope: string }>(`SELECT envelope FROM event_log`);
    const everything = rows.map((row) => row.envelope).join('\n');
    expect(everything).toContain('"type":"AccountCreated"');
    expect(everything).not.toContain(PASSWORD);
    expect(everything).not.toContain(ADMIN_PASSWORD);
    expect(everything).not.toContain('$argon2');
  });
});
