import { ManualClock } from '../../src/common/clock';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, PASSWORD, SchoolWorld } from '../support/school-fixture';

type Answer = { status: number; body: { id: string; position: string; eventIds: string[]; voidedCount?: number } };

/**
 * Issue 12, points 2 and 3: a school can trust its journal after a leak. A report never bricks a
 * journal (a correction by someone else of an entry that became void counts for nothing), and a
 * compromised privileged account is contained: what it created, granted, reissued, reported or
 * reinstated in its window counts for nothing, while the structure it set up stays for review.
 */
describe(`containment of a compromised account (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let client: ReturnType<typeof api>;
  let world: SchoolWorld;
  let s: string;
  let period: string;
  let position = '0.0';
  const clock = new ManualClock('2026-09-07T06:00:00.000Z');
  const tick = (ms = 1000) => {
    clock.advance(ms);
    return clock.now().toISOString();
  };
  const ok = (response: Answer, what: string) => {
    if (response.status !== 201) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
    position = response.body.position;
    return response.body;
  };
  const grid = async () => (await client.get(`${s}/groups/${world.groupId}/journal?periodId=${period}&atLeast=${position}`, world.tokens.deputy).expect(200)).body;
  const marksOf = (view: { students: { id: string; marks: { id: string; value: number }[] }[] }, studentId: string) =>
    Object.fromEntries(view.students.find((st) => st.id === studentId)!.marks.map((m) => [m.id, m.value]));
  const account = async (login: string, roles: string[], token = world.tokens.admin) =>
    ok(await client.post(`${s}/accounts`, token, { login, password: PASSWORD, fullName: `Person ${login}`, roles }), `account ${login}`).id;
  const report = async (accountId: string, effectiveFrom: string, token = world.tokens.securityOfficer) =>
    ok(await client.post(`${s}/incidents`, token, { accountId, effectiveFrom }), `report on ${accountId}`);
  const incident = async (id: string) => (await client.get(`${s}/incidents/${id}`, world.tokens.securityOfficer).expect(200)).body;
  const loginStatus = async (login: string, password = PASSWORD) => {
    const answer = await client.post('/auth/login', null, { login, password });
    return answer.status === 403 ? `403 ${answer.body.code}` : String(answer.status);
  };

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD }, clock });
    client = api(subject.server);
    world = await buildSchool(subject.server, 'c');
    s = `/schools/${world.schoolId}`;
    period = world.periodIds[0];
  });
  afterAll(async () => subject?.close());

  describe('point 2: a report never bricks a journal', () => {
    const ids = { lesson: '', m1: '', m2: '', m1Event: '', m2Event: '', correction: '', incident: '', moment: '' };

    it('given m1, m2 by the teacher and a deputy’s correction of m2, when the teacher is reported from m2 on, then the journal still takes writes', async () => {
      const teacher = world.tokens.assignedTeacher!;
      ids.lesson = ok(await client.post(`${s}/groups/${world.groupId}/lessons`, teacher, { date: '2026-09-07', slot: 1, topic: 'Дроби' }), 'lesson').id;
      const m1 = ok(await client.post(`${s}/lessons/${ids.lesson}/marks`, teacher, { studentId: world.studentId, value: 5, workKind: 'classwork' }), 'm1');
      [ids.m1, ids.m1Event] = [m1.id, m1.eventIds[0]];
      const moment = tick();
      ids.moment = moment;
      const m2 = ok(await client.post(`${s}/lessons/${ids.lesson}/marks`, teacher, { studentId: world.studentId, value: 2, workKind: 'test' }), 'm2');
      [ids.m2, ids.m2Event] = [m2.id, m2.eventIds[0]];
      tick();
      ids.correction = ok(await client.post(`${s}/marks/${ids.m2}/corrections`, world.tokens.deputy, { value: 3, reason: 'апелляция' }), 'deputy correction').eventIds[0];
      tick();
      ids.incident = (await report(world.accounts.assignedTeacher, moment)).id;
      tick();
      // Before the fix every one of these answered 500: the journal's fold read the void m2.
      ok(await client.post(`${s}/marks/${ids.m1}/corrections`, world.tokens.deputy, { value: 4, reason: 'пересчёт' }), 'a write after the report');
      ok(await client.post(`${s}/groups/${world.groupId}/lessons`, world.tokens.deputy, { date: '2026-09-08', slot: 2, topic: 'Урок завуча' }), 'a lesson after the report');
      await client.post(`${s}/marks/${ids.m2}/corrections`, world.tokens.deputy, { value: 4, reason: 'ещё раз' }).expect(404);
    });

    it('the deputy’s correction of the void entry stays in the log, counts for nothing, and is in the review', async () => {
      expect(marksOf(await grid(), world.studentId)).toEqual({ [ids.m1]: 4 });
      const review = (await incident(ids.incident)).review.map((r: { kind: string; eventId: string }) => [r.kind, r.eventId]);
      expect(review).toContainEqual(['correction-of-void-entry', ids.correction]);
      const log = (await client.get(`${s}/audit/events?accountId=${world.accounts.deputy}&type=MarkCorrected&atLeast=${position}`, world.tokens.securityOfficer).expect(200)).body;
      expect(log.items.map((i: { eventId: string }) => i.eventId)).toContain(ids.correction);
    });

    it('the raw log’s `to` bound holds whatever offset it is written in, also beside an asOf', async () => {
      // The moment m2 was recorded, written in Moscow time: m1 is before it, m2 not (`to` is exclusive).
      const moscow = new Date(Date.parse(ids.moment) + 3 * 3_600_000).toISOString().replace('Z', '+03:00');
      const query = `accountId=${world.accounts.assignedTeacher}&type=MarkRecorded&to=${encodeURIComponent(moscow)}&asOf=${encodeURIComponent(clock.now().toISOString())}`;
      const log = (await client.get(`${s}/audit/events?${query}`, world.tokens.securityOfficer).expect(200)).body;
      const seen = log.items.map((i: { eventId: string }) => i.eventId);
      expect(seen).toContain(ids.m1Event);
      expect(seen).not.toContain(ids.m2Event);
    });
  });

  describe('point 3: a compromised system administrator', () => {
    const ids = { sysadmin: '', spare: '', created: '', victim: '', directorIncident: '', directorCorrection: '', incident: '', lesson: '', mark: '' };
    let rogue: string;
    let moment: string;

    it('given an intruder with the sysadmin’s password, who creates an account, reissues a teacher’s credentials and reports the director', async () => {
      ids.sysadmin = await account('c-rogue-sysadmin', ['sysadmin']);
      ids.spare = await account('c-honest-sysadmin', ['sysadmin']);
      ids.victim = await account('c-victim-teacher', ['teacher']);
      rogue = await client.login('c-rogue-sysadmin');
      // The director corrects a mark: an honest operation the intruder's report will try to void.
      const teacher = world.tokens.assignedTeacher;
      await client.post(`${s}/accounts/${world.accounts.assignedTeacher}/credentials`, world.tokens.sysadmin, { password: 'teacher-new-password' }).expect(201);
      const teacherToken = await client.login('c-teacher', 'teacher-new-password');
      expect(teacher).not.toBe(teacherToken);
      ids.lesson = ok(await client.post(`${s}/groups/${world.groupId}/lessons`, teacherToken, { date: '2026-09-09', slot: 1, topic: 'Проценты' }), 'lesson').id;
      ids.mark = ok(await client.post(`${s}/lessons/${ids.lesson}/marks`, teacherToken, { studentId: world.studentId, value: 3, workKind: 'oral' }), 'mark').id;
      moment = tick();
      ids.directorCorrection = ok(await client.post(`${s}/marks/${ids.mark}/corrections`, world.tokens.director, { value: 4, reason: 'устный ответ' }), 'director correction').eventIds[0];
      tick();
      ids.created = await account('c-sock-puppet', ['teacher'], rogue);
      ok(await client.post(`${s}/accounts/${ids.victim}/credentials`, rogue, { password: 'intruder-knows-this' }), 'reissue by the intruder');
      ids.directorIncident = (await report(world.accounts.director, moment, rogue)).id;
      expect(marksOf(await grid(), world.studentId)[ids.mark]).toBe(3);
      expect(await loginStatus('c-sock-puppet')).toBe('200');
      expect(await loginStatus('c-victim-teacher', 'intruder-knows-this')).toBe('200');
    });

    it('when the sysadmin is reported from before all that, then the report it filed is void: the director’s work counts again, the director stays blocked', async () => {
      const answer = await report(ids.sysadmin, moment);
      ids.incident = answer.id;
      // The report, the account creation and the reissue: events of any type, voiding ones included.
      expect(answer.voidedCount).toBe(3);
      expect(marksOf(await grid(), world.studentId)[ids.mark]).toBe(4);
      expect(await loginStatus('c-director')).toBe('403 ACCOUNT_BLOCKED');
      const directorIncident = await incident(ids.directorIncident);
      expect(directorIncident).toMatchObject({ void: true, voidedBy: ids.incident, voided: [] });
      // A void report is not the director's open incident: a real one may be filed.
      const real = await client.post(`${s}/incidents`, world.tokens.securityOfficer, { accountId: world.accounts.director, effectiveFrom: tick() });
      expect(real.status).toBe(201);
      position = real.body.position;
    });

    it('and the accounts it created or reissued are blocked, their tokens dead, until another account reissues their credentials', async () => {
      expect(await loginStatus('c-sock-puppet')).toBe('403 ACCOUNT_BLOCKED');
      expect(await loginStatus('c-victim-teacher', 'intruder-knows-this')).toBe('403 ACCOUNT_BLOCKED');
      const honest = await client.login('c-honest-sysadmin');
      ok(await client.post(`${s}/accounts/${ids.created}/credentials`, honest, { password: 'a-checked-password' }), 'honest reissue');
      ok(await client.post(`${s}/accounts/${ids.victim}/credentials`, honest, { password: 'victim-new-password' }), 'honest reissue of the victim');
      expect(await loginStatus('c-sock-puppet', 'a-checked-password')).toBe('200');
      const victim = await client.login('c-victim-teacher', 'victim-new-password');
      await client.get('/auth/me', victim).expect(200);
    });

    it('the incident lists every operation it voided, voiding-type events included', async () => {
      const view = await incident(ids.incident);
      expect(view.voided.map((v: { type: string }) => v.type)).toEqual(['AccountCreated', 'CredentialsReissued', 'CredentialCompromiseReported']);
      expect(view.voided.every((v: { summary: string }) => v.summary.length > 10)).toBe(true);
    });
  });

  describe('point 3: a compromised deputy', () => {
    const ids = { deputy: '', teacher: '', parent: '', incident: '', group: '', klass: '', student: '', studentEvent: '', classEvent: '' };

    it('given an intruder with a deputy’s password, who assigns a teacher, links a parent, registers a consent and a substitution and sets up a class', async () => {
      ids.deputy = await account('c-rogue-deputy', ['deputy']);
      ids.teacher = await account('c-teacher-2', ['teacher']);
      ids.parent = await account('c-parent-2', ['parent']);
      const rogue = await client.login('c-rogue-deputy');
      const moment = tick();
      ok(await client.post(`${s}/assignments`, rogue, { teacherId: ids.teacher, groupId: world.groupId }), 'assignment');
      ok(await client.post(`${s}/parent-links`, rogue, { parentId: ids.parent, studentId: world.studentId }), 'parent link');
      ok(await client.post(`${s}/consents`, rogue, { parentId: ids.parent, studentId: world.studentId, granted: true, form: 'paper' }), 'consent');
      ok(await client.post(`${s}/substitutions`, rogue, { groupId: world.groupId, date: '2026-09-14', teacherId: world.accounts.otherTeacher }), 'substitution');
      const klass = ok(await client.post(`${s}/classes`, rogue, { yearId: world.yearId, name: '9Я', classTeacherId: world.accounts.classTeacher }), 'class');
      ids.klass = klass.id;
      ids.classEvent = klass.eventIds[0];
      const student = ok(await client.post(`${s}/students`, rogue, { fullName: 'Сидоров Сидор', classId: ids.klass }), 'student');
      ids.student = student.id;
      ids.studentEvent = student.eventIds[0];
      const teacher = await client.login('c-teacher-2');
      const parent = await client.login('c-parent-2');
      await client.get(`${s}/groups/${world.groupId}/journal?periodId=${period}`, teacher).expect(200);
      await client.get(`${s}/students/${world.studentId}/diary?weekOf=2026-09-07`, parent).expect(200);
      ok(await client.post(`${s}/groups/${world.groupId}/lessons`, world.tokens.otherTeacher, { date: '2026-09-14', slot: 2, topic: 'Замена' }), 'substitute lesson before the report');
      ids.incident = (await report(ids.deputy, moment)).id;
    });

    it('then the grants count for nothing: the teacher neither reads nor writes the group, the parent reads no diary, the substitute records no lesson', async () => {
      const teacher = await client.login('c-teacher-2');
      const parent = await client.login('c-parent-2');
      await client.get(`${s}/groups/${world.groupId}/journal?periodId=${period}`, teacher).expect(403);
      const lesson = await client.post(`${s}/groups/${world.groupId}/lessons`, teacher, { date: '2026-09-10', slot: 3, topic: 'Чужой урок' });
      expect(lesson.status).toBe(403);
      await client.get(`${s}/students/${world.studentId}/diary?weekOf=2026-09-07`, parent).expect(403);
      const substitute = await client.post(`${s}/groups/${world.groupId}/lessons`, world.tokens.otherTeacher, { date: '2026-09-14', slot: 1, topic: 'Замена' });
      expect(substitute.status).toBe(403);
      const klass = (await client.get(`${s}/classes/${world.classId}`, world.tokens.deputy).expect(200)).body;
      expect(JSON.stringify(klass)).not.toContain(ids.teacher);
    });

    it('and the structure it created stays, each piece listed for review', async () => {
      const klass = (await client.get(`${s}/classes/${ids.klass}`, world.tokens.deputy).expect(200)).body;
      expect(klass.students.map((st: { id: string }) => st.id)).toEqual([ids.student]);
      const review = (await incident(ids.incident)).review;
      const structure = review.filter((r: { kind: string }) => r.kind === 'structure-by-void-account').map((r: { eventId: string }) => r.eventId);
      expect(structure).toEqual([ids.classEvent, ids.studentEvent]);
    });
  });

  describe('point 3: a compromised security officer', () => {
    it('a reinstatement it made is void: the operation it reinstated is void again', async () => {
      const officer = await account('c-rogue-officer', ['security_officer']);
      const rogue = await client.login('c-rogue-officer');
      const teacherToken = await client.login('c-teacher', 'teacher-new-password');
      const lesson = ok(await client.post(`${s}/groups/${world.groupId}/lessons`, teacherToken, { date: '2026-09-11', slot: 1, topic: 'Площади' }), 'lesson').id;
      const moment = tick();
      const mark = ok(await client.post(`${s}/lessons/${lesson}/marks`, teacherToken, { studentId: world.studentId, value: 2, workKind: 'test' }), 'mark');
      tick();
      const teacherIncident = (await report(world.accounts.assignedTeacher, moment)).id;
      expect(marksOf(await grid(), world.studentId)).not.toHaveProperty(mark.id);
      const officerMoment = tick();
      ok(await client.post(`${s}/incidents/${teacherIncident}/reinstatements`, rogue, { eventId: mark.eventIds[0], reason: 'проверено' }), 'reinstatement by the intruder');
      expect(marksOf(await grid(), world.studentId)).toHaveProperty(mark.id, 2);
      await report(officer, officerMoment);
      expect(marksOf(await grid(), world.studentId)).not.toHaveProperty(mark.id);
      // An honest reinstatement is not refused on the strength of the void one.
      ok(await client.post(`${s}/incidents/${teacherIncident}/reinstatements`, world.tokens.securityOfficer, { eventId: mark.eventIds[0], reason: 'проверено ещё раз' }), 'honest reinstatement');
      expect(marksOf(await grid(), world.studentId)).toHaveProperty(mark.id, 2);
    });
  });
});
