import { ManualClock } from '../../src/common/clock';
import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, PASSWORD, SchoolWorld } from '../support/school-fixture';

/**
 * Issue 12, points 4 and 5: substitutions registered by the deputy, and access that ends — an
 * assignment, a class teacher, a placement, a parent link, an inspector grant, a role — with the
 * rights following the school's today.
 */
describe(`substitutions and access that can be withdrawn (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let client: ReturnType<typeof api>;
  let world: SchoolWorld;
  let s: string;
  const clock = new ManualClock('2026-09-07T06:00:00.000Z');
  /** 10:00 in Moscow on that school day. */
  const on = (date: string) => clock.set(`${date}T07:00:00.000Z`);
  let lastPosition = '0.0';
  const people = { leaver: { id: '', token: '' }, newClassTeacher: { id: '', token: '' }, promoted: { id: '', token: '' } };
  let stayingStudent: string;

  const created = async (response: { status: number; body: { id: string; position: string } }, what: string) => {
    if (response.status !== 201) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
    lastPosition = response.body.position;
    return response.body.id;
  };
  const account = async (login: string, roles: string[], schoolId = world.schoolId) => {
    const id = await created(await client.post(`/schools/${schoolId}/accounts`, world.tokens.admin, { login, password: PASSWORD, fullName: `Person ${login}`, roles }), login);
    return { id, token: await client.login(login) };
  };
  const lesson = (token: string | null, body: object, groupId = world.groupId) => client.post(`${s}/groups/${groupId}/lessons`, token, { topic: 'Тема', ...body });
  const grid = (token: string | null, groupId = world.groupId) => client.get(`${s}/groups/${groupId}/journal?periodId=${world.periodIds[0]}&atLeast=${lastPosition}`, token);
  const diary = (token: string | null, studentId = world.studentId) => client.get(`${s}/students/${studentId}/diary?weekOf=2026-09-07&atLeast=${lastPosition}`, token);
  const refusal = (response: { status: number; body: { code: string; details?: { field: string }[] } }) => ({
    status: response.status,
    code: response.body.code,
    fields: [...new Set(response.body.details?.map((d) => d.field) ?? [])],
  });

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD }, clock });
    client = api(subject.server);
    world = await buildSchool(subject.server);
    s = `/schools/${world.schoolId}`;
    people.leaver = await account('leaver', ['teacher']);
    people.newClassTeacher = await account('new-class-teacher', ['teacher']);
    people.promoted = await account('promoted', ['teacher']);
    stayingStudent = await created(await client.post(`${s}/students`, world.tokens.deputy, { fullName: 'Остающийся Олег', classId: world.classId }), 'student');
  });
  afterAll(async () => subject?.close());

  describe('substitutions (point 4)', () => {
    let substituteLesson: string;
    let ownLesson: string;

    it('refuses a teacher not assigned to the group without a registered substitution, also when naming the assigned teacher (403, recorded)', async () => {
      on('2026-09-08');
      const naming = await lesson(world.tokens.otherTeacher, { date: '2026-09-08', slot: 2, substitutesFor: world.accounts.assignedTeacher }).expect(403);
      expect(naming.body.code).toBe('FORBIDDEN');
      const plain = await lesson(world.tokens.otherTeacher, { date: '2026-09-08', slot: 2 }).expect(403);
      expect(plain.body.message).toMatch(/substitution/);
      const denials = await subject.app.get<EventStore>(EVENT_STORE).readStream(`access-denied-${world.schoolId}`);
      expect(denials.some((e) => (e.data as { accountId: string; reason: string }).accountId === world.accounts.otherTeacher && /substitution/.test((e.data as { reason: string }).reason))).toBe(true);
    });

    it('allows the substitute the deputy registered for that date and slot: taughtBy = the substitute, substitutesFor = the assigned teacher', async () => {
      const registered = await client.post(`${s}/substitutions`, world.tokens.deputy, { groupId: world.groupId, date: '2026-09-08', teacherId: world.accounts.otherTeacher, slot: 2, reason: 'болезнь учителя' });
      const substitutionId = await created(registered, 'substitution');
      expect(substitutionId).not.toBe(world.groupId);
      expect(refusal(await lesson(world.tokens.otherTeacher, { date: '2026-09-08', slot: 3 }))).toMatchObject({ status: 403 });
      expect(refusal(await lesson(world.tokens.otherTeacher, { date: '2026-09-09', slot: 2 }))).toMatchObject({ status: 403 });
      substituteLesson = await created(await lesson(world.tokens.otherTeacher, { date: '2026-09-08', slot: 2 }), 'substitute lesson');
      const shown = (await grid(world.tokens.deputy).expect(200)).body.lessons.find((l: { id: string }) => l.id === substituteLesson);
      expect(shown).toMatchObject({ taughtBy: world.accounts.otherTeacher, substitutesFor: world.accounts.assignedTeacher });
      await created(await client.post(`${s}/lessons/${substituteLesson}/marks`, world.tokens.otherTeacher, { studentId: world.studentId, value: 5, workKind: 'oral' }), 'mark');
      await created(await client.post(`${s}/lessons/${substituteLesson}/attendance`, world.tokens.otherTeacher, { studentId: stayingStudent, code: 'Б' }), 'attendance');
    });

    it('a substitution without a slot covers that day; a named substitutesFor must teach the group', async () => {
      await created(await client.post(`${s}/substitutions`, world.tokens.director, { groupId: world.groupId, date: '2026-09-09', teacherId: world.accounts.otherTeacher }), 'day substitution');
      const wrong = await lesson(world.tokens.otherTeacher, { date: '2026-09-09', slot: 4, substitutesFor: world.teacherOf5b });
      expect(refusal(wrong)).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['substitutesFor'] });
      const id = await created(await lesson(world.tokens.otherTeacher, { date: '2026-09-09', slot: 4, substitutesFor: world.accounts.assignedTeacher }), 'lesson');
      const shown = (await grid(world.tokens.deputy).expect(200)).body.lessons.find((l: { id: string }) => l.id === id);
      expect(shown).toMatchObject({ taughtBy: world.accounts.otherTeacher, substitutesFor: world.accounts.assignedTeacher });
    });

    it('the substitute writes nothing else in the group: no marks on another lesson, no final marks, no journal', async () => {
      ownLesson = await created(await lesson(world.tokens.assignedTeacher, { date: '2026-09-08', slot: 1 }), 'own lesson');
      const grid0 = (await grid(world.tokens.deputy).expect(200)).body.lessons.find((l: { id: string }) => l.id === ownLesson);
      expect(grid0.substitutesFor).toBeUndefined();
      expect(refusal(await client.post(`${s}/lessons/${ownLesson}/marks`, world.tokens.otherTeacher, { studentId: world.studentId, value: 4, workKind: 'oral' }))).toMatchObject({ status: 403 });
      expect(refusal(await client.post(`${s}/lessons/${ownLesson}/attendance`, world.tokens.otherTeacher, { studentId: world.studentId, code: 'Н' }))).toMatchObject({ status: 403 });
      const finalMark = await client.post(`${s}/groups/${world.groupId}/final-marks`, world.tokens.otherTeacher, { periodId: world.periodIds[0], studentId: world.studentId, value: '5' });
      expect(refusal(finalMark)).toMatchObject({ status: 403 });
      expect(refusal(await grid(world.tokens.otherTeacher))).toMatchObject({ status: 403 });
      expect(substituteLesson).toBeDefined();
    });

    it('registering one: the deputy or the director; a known group, a teacher of the school, a date of the group’s year; once', async () => {
      const body = { groupId: world.groupId, date: '2026-09-10', teacherId: world.accounts.otherTeacher, slot: 1 };
      expect(refusal(await client.post(`${s}/substitutions`, world.tokens.assignedTeacher, body))).toMatchObject({ status: 403 });
      expect(refusal(await client.post(`${s}/substitutions`, world.tokens.deputy, { ...body, groupId: undefined }))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['groupId'] });
      expect(refusal(await client.post(`${s}/substitutions`, world.tokens.deputy, { ...body, slot: 13 }))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['slot'] });
      expect(refusal(await client.post(`${s}/substitutions`, world.tokens.deputy, { ...body, groupId: '01900000-0000-7000-8000-000000000000' }))).toMatchObject({ status: 404 });
      expect(refusal(await client.post(`${s}/substitutions`, world.tokens.deputy, { ...body, teacherId: world.accounts.parent }))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['teacherId'] });
      expect(refusal(await client.post(`${s}/substitutions`, world.tokens.deputy, { ...body, date: '2027-07-01' }))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['date'] });
      await created(await client.post(`${s}/substitutions`, world.tokens.deputy, body), 'substitution');
      expect(refusal(await client.post(`${s}/substitutions`, world.tokens.deputy, body))).toMatchObject({ status: 409, code: 'ALREADY_EXISTS' });
    });
  });

  describe('access that can be withdrawn (point 5)', () => {
    it('ending an assignment stops the teacher’s writes and journal reads from its date; history is kept', async () => {
      const { deputy } = world.tokens;
      on('2026-09-09');
      const subjectId = await created(await client.post(`${s}/subjects`, deputy, { name: 'Геометрия' }), 'subject');
      const groupId = await created(await client.post(`${s}/groups`, deputy, { classId: world.classId, subjectId }), 'group');
      const assignmentId = await created(await client.post(`${s}/assignments`, deputy, { teacherId: people.leaver.id, groupId }), 'assignment');
      expect(assignmentId).not.toBe(groupId);
      const first = await created(await lesson(people.leaver.token, { date: '2026-09-09', slot: 1 }, groupId), 'lesson');
      const mark = await created(await client.post(`${s}/lessons/${first}/marks`, people.leaver.token, { studentId: world.studentId, value: 4, workKind: 'oral' }), 'mark');
      await grid(people.leaver.token, groupId).expect(200);

      const end = `${s}/assignments/${assignmentId}/end`;
      expect(refusal(await client.post(end, world.tokens.assignedTeacher, { on: '2026-09-11', reason: 'увольнение' }))).toMatchObject({ status: 403 });
      expect(refusal(await client.post(end, deputy, { on: '2026-09-11' }))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['reason'] });
      expect(refusal(await client.post(end, deputy, { on: '2026-02-30', reason: 'увольнение' }))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['on'] });
      expect(refusal(await client.post(`${s}/assignments/01900000-0000-7000-8000-000000000000/end`, deputy, { reason: 'увольнение' }))).toMatchObject({ status: 404 });
      expect(await created(await client.post(end, deputy, { on: '2026-09-11', reason: 'увольнение' }), 'end')).toBe(assignmentId);
      expect(refusal(await client.post(end, deputy, { reason: 'ещё раз' }))).toMatchObject({ status: 409, code: 'ALREADY_ENDED' });

      on('2026-09-10');
      await created(await lesson(people.leaver.token, { date: '2026-09-10', slot: 1 }, groupId), 'lesson before the end');
      await grid(people.leaver.token, groupId).expect(200);

      // The school's today, in its time zone (Moscow, UTC+3): 23:30 on the 10th still teaches, 00:30 on the 11th no more.
      clock.set('2026-09-10T20:30:00.000Z');
      await grid(people.leaver.token, groupId).expect(200);
      clock.set('2026-09-10T21:30:00.000Z');
      expect(refusal(await grid(people.leaver.token, groupId))).toMatchObject({ status: 403 });
      on('2026-09-11');
      expect(refusal(await lesson(people.leaver.token, { date: '2026-09-11', slot: 1 }, groupId))).toMatchObject({ status: 403 });
      expect(refusal(await lesson(people.leaver.token, { date: '2026-09-10', slot: 2 }, groupId))).toMatchObject({ status: 403 });
      expect(refusal(await client.post(`${s}/lessons/${first}/marks`, people.leaver.token, { studentId: stayingStudent, value: 5, workKind: 'oral' }))).toMatchObject({ status: 403 });
      expect(refusal(await client.post(`${s}/marks/${mark}/corrections`, people.leaver.token, { value: 5, reason: 'пересмотр' }))).toMatchObject({ status: 403 });
      expect(refusal(await grid(people.leaver.token, groupId))).toMatchObject({ status: 403 });
      expect(refusal(await client.get(`${s}/groups/${groupId}/final-marks/suggestions?periodId=${world.periodIds[0]}`, people.leaver.token))).toMatchObject({ status: 403 });

      const klass = (await client.get(`${s}/classes/${world.classId}?atLeast=${lastPosition}`, deputy).expect(200)).body;
      const group = klass.groups.find((g: { id: string }) => g.id === groupId);
      expect(group.teacherIds).toEqual([]);
      expect(group.assignments).toEqual([{ id: assignmentId, teacherId: people.leaver.id, endsOn: '2026-09-11' }]);
      // The lessons stay in the journal: history is never rewritten.
      expect((await grid(deputy, groupId).expect(200)).body.lessons).toHaveLength(2);
    });

    it('a former class teacher reads neither the transferred student’s diary nor, once replaced, the old class', async () => {
      const { deputy, classTeacher } = world.tokens;
      on('2026-09-11');
      await diary(classTeacher).expect(200);
      await created(await client.post(`${s}/students/${world.studentId}/transfers`, deputy, { toClassId: world.otherClassId, on: '2026-09-14' }), 'transfer');
      on('2026-09-12');
      await diary(classTeacher).expect(200);
      on('2026-09-14');
      expect(refusal(await diary(classTeacher))).toMatchObject({ status: 403 });
      await diary(await client.login('a-teacher-5b')).expect(200);

      const change = `${s}/classes/${world.classId}/class-teacher`;
      expect(refusal(await client.post(change, classTeacher, { teacherId: people.newClassTeacher.id, on: '2026-09-21' }))).toMatchObject({ status: 403 });
      expect(refusal(await client.post(change, deputy, { teacherId: people.newClassTeacher.id }))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['on'] });
      expect(refusal(await client.post(change, deputy, { teacherId: world.accounts.parent, on: '2026-09-21' }))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['teacherId'] });
      expect(refusal(await client.post(`${s}/classes/01900000-0000-7000-8000-000000000000/class-teacher`, deputy, { teacherId: people.newClassTeacher.id, on: '2026-09-21' }))).toMatchObject({ status: 404 });
      expect(await created(await client.post(change, deputy, { teacherId: people.newClassTeacher.id, on: '2026-09-21' }), 'class teacher')).toBe(world.classId);
      expect(refusal(await client.post(change, deputy, { teacherId: world.accounts.classTeacher, on: '2026-09-20' }))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['on'] });
      expect(refusal(await client.post(change, deputy, { teacherId: people.newClassTeacher.id, on: '2026-09-25' }))).toMatchObject({ status: 409, code: 'ALREADY_EXISTS' });

      on('2026-09-18');
      await client.get(`${s}/classes/${world.classId}`, classTeacher).expect(200);
      await diary(classTeacher, stayingStudent).expect(200);
      expect(refusal(await diary(people.newClassTeacher.token, stayingStudent))).toMatchObject({ status: 403 });

      on('2026-09-21');
      expect(refusal(await client.get(`${s}/classes/${world.classId}`, classTeacher))).toMatchObject({ status: 403 });
      expect(refusal(await diary(classTeacher, stayingStudent))).toMatchObject({ status: 403 });
      expect(refusal(await client.post(`${s}/classes/${world.classId}/daily-absences`, classTeacher, { date: '2026-09-21', studentId: stayingStudent, code: 'Б' }))).toMatchObject({ status: 403 });
      await diary(people.newClassTeacher.token, stayingStudent).expect(200);
      const klass = (await client.get(`${s}/classes/${world.classId}`, people.newClassTeacher.token).expect(200)).body;
      expect(klass.classTeacher.id).toBe(people.newClassTeacher.id);
    });

    it('an ended parent link closes the diary', async () => {
      const { deputy, classTeacher } = world.tokens;
      const father = await account('father', ['parent']);
      const linkId = await created(await client.post(`${s}/parent-links`, deputy, { parentId: father.id, studentId: stayingStudent }), 'link');
      expect(linkId).not.toBe(stayingStudent);
      await created(await client.post(`${s}/consents`, deputy, { parentId: father.id, studentId: stayingStudent, granted: true, form: 'paper' }), 'consent');
      await diary(father.token, stayingStudent).expect(200);

      const end = `${s}/parent-links/${linkId}/end`;
      // The former class teacher of the student's class (replaced on 2026-09-21) may not; the class teacher now may.
      expect(refusal(await client.post(end, classTeacher, { reason: 'лишение прав' }))).toMatchObject({ status: 403 });
      expect(refusal(await client.post(end, people.newClassTeacher.token, {}))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['reason'] });
      expect(refusal(await client.post(`${s}/parent-links/01900000-0000-7000-8000-000000000000/end`, deputy, { reason: 'лишение прав' }))).toMatchObject({ status: 404 });
      expect(await created(await client.post(end, people.newClassTeacher.token, { reason: 'лишение прав' }), 'end link')).toBe(linkId);
      expect(refusal(await client.post(end, deputy, { reason: 'ещё раз' }))).toMatchObject({ status: 409, code: 'ALREADY_ENDED' });
      expect(refusal(await diary(father.token, stayingStudent))).toMatchObject({ status: 403 });
    });

    it('an ended inspector grant hides the school (404, as any unseen school)', async () => {
      const inspector = await account('visiting-inspector', ['inspector'], world.otherSchoolId);
      const grantId = await created(await client.post(`${s}/inspector-grants`, world.tokens.admin, { accountId: inspector.id }), 'grant');
      expect(grantId).not.toBe(inspector.id);
      await grid(inspector.token).expect(200);
      const end = `${s}/inspector-grants/${grantId}/end`;
      expect(refusal(await client.post(end, world.tokens.deputy, { reason: 'проверка окончена' }))).toMatchObject({ status: 403 });
      expect(refusal(await client.post(end, world.tokens.admin, { reason: 'x' }))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['reason'] });
      expect(refusal(await client.post(`${s}/inspector-grants/01900000-0000-7000-8000-000000000000/end`, world.tokens.admin, { reason: 'проверка окончена' }))).toMatchObject({ status: 404 });
      expect(await created(await client.post(end, world.tokens.admin, { reason: 'проверка окончена' }), 'end grant')).toBe(grantId);
      expect(refusal(await client.post(end, world.tokens.admin, { reason: 'проверка окончена' }))).toMatchObject({ status: 409, code: 'ALREADY_ENDED' });
      expect(refusal(await grid(inspector.token))).toMatchObject({ status: 404, code: 'NOT_FOUND' });
      expect(refusal(await client.get(`${s}/classes/${world.classId}`, inspector.token))).toMatchObject({ status: 404 });
    });

    it('roles changed: every token of the account acts with the new roles at once', async () => {
      const { sysadmin } = world.tokens;
      const roles = `${s}/accounts/${people.promoted.id}/roles`;
      expect(refusal(await client.post(`${s}/subjects`, people.promoted.token, { name: 'Черчение' }))).toMatchObject({ status: 403 });
      expect(refusal(await client.post(roles, world.tokens.director, { roles: ['deputy'], reason: 'назначение' }))).toMatchObject({ status: 403 });
      expect(refusal(await client.post(roles, sysadmin, { roles: ['deputy'] }))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['reason'] });
      expect(refusal(await client.post(roles, sysadmin, { roles: [], reason: 'назначение' }))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['roles'] });
      expect(refusal(await client.post(roles, sysadmin, { roles: ['wizard'], reason: 'назначение' }))).toMatchObject({ status: 400, code: 'VALIDATION_FAILED' });
      expect(refusal(await client.post(roles, sysadmin, { roles: ['teacher'], reason: 'назначение' }))).toEqual({ status: 400, code: 'VALIDATION_FAILED', fields: ['roles'] });
      expect(refusal(await client.post(`${s}/accounts/${world.accounts.otherSchool}/roles`, sysadmin, { roles: ['deputy'], reason: 'назначение' }))).toMatchObject({ status: 404 });
      expect(refusal(await client.post(`${s}/accounts/${world.accounts.sysadmin}/roles`, sysadmin, { roles: ['sysadmin', 'director'], reason: 'сам себе' }))).toMatchObject({ status: 403 });

      expect(await created(await client.post(roles, sysadmin, { roles: ['deputy'], reason: 'назначение завучем' }), 'roles')).toBe(people.promoted.id);
      expect((await client.get('/auth/me', people.promoted.token).expect(200)).body.roles).toEqual(['deputy']);
      await created(await client.post(`${s}/subjects`, people.promoted.token, { name: 'Черчение' }), 'subject as a deputy');
      await created(await client.post(roles, sysadmin, { roles: ['teacher'], reason: 'снят с должности' }), 'roles back');
      expect(refusal(await client.post(`${s}/subjects`, people.promoted.token, { name: 'Астрономия' }))).toMatchObject({ status: 403 });
      const events = await subject.app.get<EventStore>(EVENT_STORE).readStream(`account-${people.promoted.id}`);
      expect(events.map((e) => e.type)).toEqual(['AccountCreated', 'RolesGranted', 'RolesRevoked', 'RolesGranted', 'RolesRevoked']);
    });

    it('keeps every access fact in the school’s stream', async () => {
      const types = (await subject.app.get<EventStore>(EVENT_STORE).readStream(`school-${world.schoolId}`)).map((e) => e.type);
      for (const type of ['SubstitutionRegistered', 'AssignmentEnded', 'ClassTeacherChanged', 'ParentLinkEnded', 'InspectorGrantEnded']) expect(types).toContain(type);
    });
  });
});
