import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, PASSWORD, SchoolWorld } from '../support/school-fixture';

/** A well-formed id that names nothing anywhere. */
const NOBODY = '0190a5c0-dead-7000-8000-000000000404';

/**
 * API.md "Errors", the three mistakes issue 13 names: an unknown id in a body is 404 naming the
 * field (an id that exists but does not fit stays 400), a moment that is no real calendar moment is
 * 400, and a homework correction to null («Не задано») is a correction like any other.
 */
describe(`the contract's status codes (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let world: SchoolWorld;
  let client: ReturnType<typeof api>;
  let s: string;
  let lesson: string;
  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD } });
    client = api(subject.server);
    world = await buildSchool(subject.server);
    s = `/schools/${world.schoolId}`;
    const answer = await client.post(`${s}/groups/${world.groupId}/lessons`, world.tokens.assignedTeacher, { date: '2026-09-08', slot: 2, topic: 'Дроби', homework: '№ 12' });
    expect(answer.status).toBe(201);
    lesson = answer.body.id;
  });
  afterAll(async () => subject?.close());

  const expectNotFound = async (path: string, token: string | null, body: object, field: string) => {
    const response = await client.post(path, token, body);
    expect({ status: response.status, code: response.body.code, fields: response.body.details?.map((d: { field: string }) => d.field) }).toEqual({
      status: 404,
      code: 'NOT_FOUND',
      fields: [field],
    });
  };
  const expectInvalid = async (path: string, token: string | null, body: object, field: string) => {
    const response = await client.post(path, token, body);
    const fields = response.body.details?.map((d: { field: string }) => d.field);
    expect({ status: response.status, fields: fields && [...new Set(fields)] }).toEqual({ status: 400, fields: [field] });
  };

  describe('an id in a body that names nothing in the school is 404 naming the field; one that exists but does not fit stays 400', () => {
    it('school structure: classes, students, transfers, groups, assignments, parent links', async () => {
      const { deputy } = world.tokens;
      await expectNotFound(`${s}/classes`, deputy, { yearId: NOBODY, name: '9Я', classTeacherId: world.teacherOf5b }, 'yearId');
      await expectNotFound(`${s}/classes`, deputy, { yearId: world.yearId, name: '9Я', classTeacherId: NOBODY }, 'classTeacherId');
      await expectInvalid(`${s}/classes`, deputy, { yearId: world.yearId, name: '9Я', classTeacherId: world.accounts.parent }, 'classTeacherId');
      await expectInvalid(`${s}/classes`, deputy, { yearId: world.yearId, name: '9Я', classTeacherId: world.accounts.otherSchool }, 'classTeacherId');
      await expectNotFound(`${s}/students`, deputy, { fullName: 'Никто', classId: NOBODY }, 'classId');
      await expectNotFound(`${s}/students`, deputy, { fullName: 'Никто', classId: world.classId, accountId: NOBODY }, 'accountId');
      await expectInvalid(`${s}/students`, deputy, { fullName: 'Никто', classId: world.classId, accountId: world.accounts.parent }, 'accountId');
      await expectNotFound(`${s}/students/${world.studentId}/transfers`, deputy, { toClassId: NOBODY, on: '2026-11-10' }, 'toClassId');
      await expectNotFound(`${s}/groups`, deputy, { classId: NOBODY, subjectId: world.subjectId }, 'classId');
      await expectNotFound(`${s}/groups`, deputy, { classId: world.classId, subjectId: NOBODY }, 'subjectId');
      await expectNotFound(`${s}/groups`, deputy, { classId: world.classId, subjectId: world.subjectId, studentIds: [world.studentId, NOBODY] }, 'studentIds.1');
      await expectInvalid(`${s}/groups`, deputy, { classId: world.classId, subjectId: world.subjectId, studentIds: [world.otherStudentId] }, 'studentIds.0');
      await expectNotFound(`${s}/assignments`, deputy, { teacherId: NOBODY, groupId: world.groupId }, 'teacherId');
      await expectNotFound(`${s}/assignments`, deputy, { teacherId: world.teacherOf5b, groupId: NOBODY }, 'groupId');
      await expectInvalid(`${s}/assignments`, deputy, { teacherId: world.accounts.student, groupId: world.groupId }, 'teacherId');
      await expectNotFound(`${s}/parent-links`, deputy, { parentId: NOBODY, studentId: world.studentId }, 'parentId');
      await expectNotFound(`${s}/parent-links`, deputy, { parentId: world.accounts.otherParent, studentId: NOBODY }, 'studentId');
      await expectInvalid(`${s}/parent-links`, deputy, { parentId: world.accounts.assignedTeacher, studentId: world.studentId }, 'parentId');
    });

    it('accounts: inspector grants', async () => {
      await expectNotFound(`${s}/inspector-grants`, world.tokens.admin, { accountId: NOBODY }, 'accountId');
      await expectInvalid(`${s}/inspector-grants`, world.tokens.admin, { accountId: world.accounts.otherSchool }, 'accountId');
    });

    it('the journal: marks, attendance, final marks, daily absences, substitutes; unknown periods in the path', async () => {
      const teacher = world.tokens.assignedTeacher;
      await expectNotFound(`${s}/lessons/${lesson}/marks`, teacher, { studentId: NOBODY, value: 5, workKind: 'oral' }, 'studentId');
      await expectInvalid(`${s}/lessons/${lesson}/marks`, teacher, { studentId: world.otherStudentId, value: 5, workKind: 'oral' }, 'studentId');
      await expectNotFound(`${s}/lessons/${lesson}/attendance`, teacher, { studentId: NOBODY, code: 'Н' }, 'studentId');
      await expectInvalid(`${s}/lessons/${lesson}/attendance`, teacher, { studentId: world.otherStudentId, code: 'Н' }, 'studentId');
      const finalMarks = `${s}/groups/${world.groupId}/final-marks`;
      await expectNotFound(finalMarks, teacher, { periodId: NOBODY, studentId: world.studentId, value: '5' }, 'periodId');
      await expectNotFound(finalMarks, teacher, { periodId: world.periodIds[0], studentId: NOBODY, value: '5' }, 'studentId');
      await expectInvalid(finalMarks, teacher, { periodId: world.periodIds[0], studentId: world.otherStudentId, value: '5' }, 'studentId');
      await expectNotFound(`${s}/classes/${world.classId}/daily-absences`, world.tokens.classTeacher, { date: '2026-09-08', studentId: NOBODY, code: 'Б' }, 'studentId');
      await expectInvalid(`${s}/classes/${world.classId}/daily-absences`, world.tokens.classTeacher, { date: '2026-09-08', studentId: world.otherStudentId, code: 'Б' }, 'studentId');
      const lessons = `${s}/groups/${world.groupId}/lessons`;
      // A teacher who may record (the assigned one) naming no account, or one who teaches not here (issue 12: a substitute needs a registered substitution first).
      await expectNotFound(lessons, teacher, { date: '2026-09-09', slot: 3, topic: 'Замена', substitutesFor: NOBODY }, 'substitutesFor');
      await expectInvalid(lessons, teacher, { date: '2026-09-09', slot: 3, topic: 'Замена', substitutesFor: world.accounts.otherTeacher }, 'substitutesFor');
      await expectNotFound(`${s}/groups/${world.groupId}/periods/${NOBODY}/lock`, world.tokens.deputy, {}, 'periodId');
      await expectNotFound(`${s}/groups/${world.groupId}/periods/${NOBODY}/unlock`, world.tokens.deputy, { reason: 'открыть' }, 'periodId');
    });

    it('parents: consents and paper acknowledgements', async () => {
      await expectNotFound(`${s}/consents`, world.tokens.deputy, { parentId: world.accounts.parent, studentId: NOBODY, granted: true, form: 'paper' }, 'studentId');
      await expectNotFound(`${s}/consents`, world.tokens.deputy, { parentId: NOBODY, studentId: world.studentId, granted: true, form: 'paper' }, 'parentId');
      await expectInvalid(`${s}/consents`, world.tokens.deputy, { parentId: world.accounts.otherParent, studentId: world.studentId, granted: true, form: 'paper' }, 'parentId');
      const acknowledgements = `${s}/students/${world.studentId}/diary/acknowledgements`;
      await expectNotFound(acknowledgements, world.tokens.classTeacher, { upTo: '2026-09-08', form: 'paper', parentId: NOBODY }, 'parentId');
      await expectInvalid(acknowledgements, world.tokens.classTeacher, { upTo: '2026-09-08', form: 'paper', parentId: world.accounts.otherParent }, 'parentId');
    });

    it('ids in a query too: the journal, the suggestions and the corrections audit', async () => {
      const fieldsOf = async (path: string, token: string | null) => {
        const response = await client.get(path, token);
        return { status: response.status, fields: response.body.details?.map((d: { field: string }) => d.field) };
      };
      expect(await fieldsOf(`${s}/groups/${world.groupId}/journal?periodId=${NOBODY}`, world.tokens.deputy)).toEqual({ status: 404, fields: ['periodId'] });
      expect(await fieldsOf(`${s}/groups/${world.groupId}/final-marks/suggestions?periodId=${NOBODY}`, world.tokens.deputy)).toEqual({ status: 404, fields: ['periodId'] });
      for (const field of ['classId', 'subjectId', 'periodId']) {
        expect(await fieldsOf(`${s}/audit/corrections?${field}=${NOBODY}`, world.tokens.director)).toEqual({ status: 404, fields: [field] });
      }
    });

    it('a class teacher naming an unknown class or student gets the 404 too, not a refusal', async () => {
      const teacher = world.tokens.classTeacher;
      await expectNotFound(`${s}/students`, teacher, { fullName: 'Никто', classId: NOBODY }, 'classId');
      await expectNotFound(`${s}/parent-links`, teacher, { parentId: world.accounts.parent, studentId: NOBODY }, 'studentId');
    });

    it('security: incidents and reinstatements', async () => {
      await expectNotFound(`${s}/incidents`, world.tokens.securityOfficer, { accountId: NOBODY }, 'accountId');
      await client.post(`${s}/accounts`, world.tokens.admin, { login: 'status-target', password: PASSWORD, fullName: 'Цель', roles: ['teacher'] }).expect(201);
      const target = (await client.get('/auth/me', await client.login('status-target'))).body.accountId as string;
      const incident = await client.post(`${s}/incidents`, world.tokens.securityOfficer, { accountId: target }).expect(201);
      await expectNotFound(`${s}/incidents/${incident.body.id}/reinstatements`, world.tokens.director, { eventId: NOBODY, reason: 'проверка' }, 'eventId');
    });
  });

  describe('a moment that is not a real calendar moment is 400, never rolled over', () => {
    const notMoments = ['2026-02-30T10:00:00.000Z', '2026-09-08T24:00:00.000Z', '2026-09-08T10:60:00Z', '2026-09-08T10:00:61Z', '2026-09-08T10:00:00+25:00', '2026-13-01T10:00:00Z'];

    it.each(notMoments)('asOf=%s on a view', async (moment) => {
      const response = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${world.periodIds[0]}&asOf=${encodeURIComponent(moment)}`, world.tokens.deputy).expect(400);
      expect(response.body.details.map((d: { field: string }) => d.field)).toEqual(['asOf']);
    });

    it.each(notMoments)('effectiveFrom, suspectedSince=%s on an incident; from and to on the raw log', async (moment) => {
      for (const field of ['effectiveFrom', 'suspectedSince']) {
        await expectInvalid(`${s}/incidents`, world.tokens.securityOfficer, { accountId: world.accounts.otherTeacher, [field]: moment }, field);
      }
      for (const field of ['from', 'to']) {
        const response = await client.get(`${s}/audit/events?${field}=${encodeURIComponent(moment)}`, world.tokens.securityOfficer).expect(400);
        expect(response.body.details.map((d: { field: string }) => d.field)).toEqual([field]);
      }
    });

    it('a real moment, with an offset or without milliseconds, is taken', async () => {
      await client.get(`${s}/groups/${world.groupId}/journal?periodId=${world.periodIds[0]}&asOf=${encodeURIComponent('2026-02-28T23:59:59+03:00')}`, world.tokens.deputy).expect(200);
      await client.get(`${s}/audit/events?from=2026-02-28T10:00:00Z&to=${encodeURIComponent('2026-03-01T00:00:00.000+03:00')}`, world.tokens.securityOfficer).expect(200);
    });
  });

  it('a homework correction to null («Не задано») is a correction: 201, and the journal shows null', async () => {
    const correction = await client.post(`${s}/lessons/${lesson}/corrections`, world.tokens.assignedTeacher, { field: 'homework', value: null, reason: 'задание отменено' });
    expect(correction.status).toBe(201);
    const grid = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${world.periodIds[0]}&atLeast=${correction.body.position}`, world.tokens.deputy).expect(200);
    expect(grid.body.lessons.find((l: { id: string }) => l.id === lesson).homework).toBeNull();
    // A value that is neither text nor null is still refused, naming the field.
    await expectInvalid(`${s}/lessons/${lesson}/corrections`, world.tokens.assignedTeacher, { field: 'homework', value: 5, reason: 'задание' }, 'value');
  });

  describe('a stale correction does not silently win: `before` given and no longer the value → 409, nothing written', () => {
    const journalLength = async () => (await subject.app.get<EventStore>(EVENT_STORE).readStream(`journal-${world.groupId}-${world.periodIds[0]}`)).length;
    const expectStale = async (path: string, token: string | null, body: object) => {
      const length = await journalLength();
      const response = await client.post(path, token, body);
      expect({ status: response.status, code: response.body.code }).toEqual({ status: 409, code: 'CONCURRENT_MODIFICATION' });
      expect(await journalLength()).toBe(length);
    };
    const created = async (path: string, token: string | null, body: object) => {
      const response = await client.post(path, token, body);
      expect({ status: response.status, body: response.body }).toMatchObject({ status: 201 });
      return response.body.id as string;
    };
    let staleLesson: string;
    beforeAll(async () => {
      staleLesson = await created(`${s}/groups/${world.groupId}/lessons`, world.tokens.assignedTeacher, { date: '2026-09-10', slot: 4, topic: 'Углы', workKinds: ['classwork'], homework: '№ 7' });
    });

    it('a mark: the teacher correcting 4→5 from an old grid does not override the deputy’s 4→3', async () => {
      const mark = await created(`${s}/lessons/${staleLesson}/marks`, world.tokens.assignedTeacher, { studentId: world.studentId, value: 4, workKind: 'oral' });
      await created(`${s}/marks/${mark}/corrections`, world.tokens.deputy, { value: 3, reason: 'пересчёт', before: 4 });
      await expectStale(`${s}/marks/${mark}/corrections`, world.tokens.assignedTeacher, { value: 5, reason: 'пересмотр', before: 4 });
      await created(`${s}/marks/${mark}/corrections`, world.tokens.assignedTeacher, { value: 5, reason: 'пересмотр', before: 3 });
      await created(`${s}/marks/${mark}/corrections`, world.tokens.assignedTeacher, { value: null, reason: 'поставлена по ошибке', before: 5 });
      await expectStale(`${s}/marks/${mark}/corrections`, world.tokens.assignedTeacher, { value: 4, reason: 'вернуть', before: 5 });
      await created(`${s}/marks/${mark}/corrections`, world.tokens.assignedTeacher, { value: 4, reason: 'вернуть', before: null });
      await expectInvalid(`${s}/marks/${mark}/corrections`, world.tokens.assignedTeacher, { value: 5, reason: 'пересмотр', before: '4' }, 'before');
    });

    it('attendance: a code or null', async () => {
      const entry = await created(`${s}/lessons/${staleLesson}/attendance`, world.tokens.assignedTeacher, { studentId: world.studentId, code: 'Н' });
      await created(`${s}/attendance/${entry}/corrections`, world.tokens.deputy, { code: 'У', reason: 'справка', before: 'Н' });
      await expectStale(`${s}/attendance/${entry}/corrections`, world.tokens.assignedTeacher, { code: 'Б', reason: 'болел', before: 'Н' });
      await expectStale(`${s}/attendance/${entry}/corrections`, world.tokens.assignedTeacher, { code: 'Б', reason: 'болел', before: null });
      await created(`${s}/attendance/${entry}/corrections`, world.tokens.assignedTeacher, { code: 'Б', reason: 'болел', before: 'У' });
      await expectInvalid(`${s}/attendance/${entry}/corrections`, world.tokens.assignedTeacher, { code: 'Н', reason: 'болел', before: 'X' }, 'before');
    });

    it('a lesson: its topic, its homework (null: «Не задано») and its work kinds', async () => {
      const corrections = `${s}/lessons/${staleLesson}/corrections`;
      const teacher = world.tokens.assignedTeacher;
      await expectStale(corrections, teacher, { field: 'topic', value: 'Смежные углы', reason: 'уточнение', before: 'Треугольники' });
      await created(corrections, teacher, { field: 'topic', value: 'Смежные углы', reason: 'уточнение', before: 'Углы' });
      await expectStale(corrections, teacher, { field: 'homework', value: '№ 8', reason: 'уточнение', before: null });
      await created(corrections, teacher, { field: 'homework', value: null, reason: 'отменено', before: '№ 7' });
      await created(corrections, teacher, { field: 'homework', value: '№ 9', reason: 'задано', before: null });
      await expectStale(corrections, teacher, { field: 'workKinds', value: ['test'], reason: 'уточнение', before: ['oral'] });
      await created(corrections, teacher, { field: 'workKinds', value: ['test'], reason: 'уточнение', before: ['classwork'] });
      await expectInvalid(corrections, teacher, { field: 'topic', value: 'Углы', reason: 'уточнение', before: 5 }, 'before');
      await expectInvalid(corrections, teacher, { field: 'workKinds', value: ['test'], reason: 'уточнение', before: 'test' }, 'before');
    });

    it('a final mark: the value as shown, or null for none yet', async () => {
      const finalMarks = `${s}/groups/${world.groupId}/final-marks`;
      const teacher = world.tokens.assignedTeacher;
      const set = { periodId: world.periodIds[0], studentId: world.studentId };
      await expectStale(finalMarks, teacher, { ...set, value: '4', before: '5' });
      await created(finalMarks, teacher, { ...set, value: '4', before: null });
      await expectStale(finalMarks, world.tokens.deputy, { ...set, value: '5', reason: 'апелляция', before: null });
      await created(finalMarks, world.tokens.deputy, { ...set, value: 'deferred', reason: 'болезнь', before: '4' });
      await expectStale(finalMarks, teacher, { ...set, value: '5', reason: 'сдал', before: '4' });
      await created(finalMarks, teacher, { ...set, value: '5', reason: 'сдал', before: 'deferred' });
      await expectInvalid(finalMarks, teacher, { ...set, value: '4', reason: 'сдал', before: 5 }, 'before');
    });
  });
});
