import { ManualClock } from '../../src/common/clock';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, PASSWORD, SchoolWorld, buildSchool } from '../support/school-fixture';

/**
 * SPEC §4 end to end: a teacher's password leaks; everything the account did from the moment the
 * school learned of it is void in every view, while the log and the audit keep it, marked.
 */
describe(`credential compromise over HTTP (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let client: ReturnType<typeof api>;
  let world: SchoolWorld;
  let s: string;
  let period: string;
  const clock = new ManualClock('2026-09-07T06:00:00.000Z');
  let position = '0.0';
  let teacher: string;
  const ids = {
    petrova: '',
    lesson1: '',
    mark1: '',
    mark3: '',
    mark3Event: '',
    correction1Event: '',
    lesson2: '',
    deputyFinalEvent: '',
    deputyCorrectionEvent: '',
    incident: '',
    moment: '',
    beforeReport: '',
    reportedAt: '',
  };

  const ok = async (response: { status: number; body: { id: string; position: string; eventIds: string[] } }, what: string) => {
    if (response.status !== 201) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
    position = response.body.position;
    return response.body;
  };
  const grid = async (asOf?: string) =>
    (await client.get(`${s}/groups/${world.groupId}/journal?periodId=${period}&atLeast=${position}${asOf ? `&asOf=${asOf}` : ''}`, world.tokens.deputy).expect(200)).body;
  const marksOf = (view: { students: { id: string; marks: { id: string; value: number }[] }[] }, studentId: string) =>
    Object.fromEntries(view.students.find((st) => st.id === studentId)!.marks.map((m) => [m.id, m.value]));

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD }, clock });
    client = api(subject.server);
    world = await buildSchool(subject.server);
    s = `/schools/${world.schoolId}`;
    period = world.periodIds[0];
    teacher = world.tokens.assignedTeacher!;
    ids.petrova = (await ok(await client.post(`${s}/students`, world.tokens.deputy, { fullName: 'Петрова Анна', classId: world.classId }), 'student')).id;
  });
  afterAll(async () => subject?.close());

  it('before the moment: a lesson and a mark that will keep counting', async () => {
    ids.lesson1 = (await ok(await client.post(`${s}/groups/${world.groupId}/lessons`, teacher, { date: '2026-09-07', slot: 1, topic: 'Дроби', homework: '№ 12' }), 'lesson 1')).id;
    ids.mark1 = (await ok(await client.post(`${s}/lessons/${ids.lesson1}/marks`, teacher, { studentId: world.studentId, value: 5, workKind: 'classwork' }), 'mark 1')).id;
    await ok(await client.post(`${s}/lessons/${ids.lesson1}/marks`, teacher, { studentId: ids.petrova, value: 4, workKind: 'classwork' }), 'mark of Petrova');
  });

  it('after the moment: what the intruder did, and what others built on it', async () => {
    clock.advance(3_600_000);
    ids.moment = clock.now().toISOString();
    clock.advance(1000);
    const mark3 = await ok(await client.post(`${s}/lessons/${ids.lesson1}/marks`, teacher, { studentId: world.studentId, value: 2, workKind: 'test' }), 'mark 3');
    ids.mark3 = mark3.id;
    ids.mark3Event = mark3.eventIds[0];
    ids.correction1Event = (await ok(await client.post(`${s}/marks/${ids.mark1}/corrections`, teacher, { value: 3, reason: 'пересмотр' }), 'correction')).eventIds[0];
    ids.lesson2 = (await ok(await client.post(`${s}/groups/${world.groupId}/lessons`, teacher, { date: '2026-09-08', slot: 1, topic: 'Ложный урок' }), 'lesson 2')).id;
    await ok(await client.post(`${s}/lessons/${ids.lesson2}/marks`, teacher, { studentId: ids.petrova, value: 2, workKind: 'oral' }), 'mark on lesson 2');
    clock.advance(1000);
    ids.deputyCorrectionEvent = (await ok(await client.post(`${s}/marks/${ids.mark3}/corrections`, world.tokens.deputy, { value: 3, reason: 'апелляция' }), 'deputy correction')).eventIds[0];
    ids.deputyFinalEvent = (
      await ok(await client.post(`${s}/groups/${world.groupId}/final-marks`, world.tokens.deputy, { periodId: period, studentId: world.studentId, value: '4' }), 'final mark')
    ).eventIds[0];
    ids.beforeReport = clock.now().toISOString();
    const before = await grid();
    expect(marksOf(before, world.studentId)).toEqual({ [ids.mark1]: 3, [ids.mark3]: 3 });
    expect(before.lessons.map((l: { id: string }) => l.id)).toEqual([ids.lesson1, ids.lesson2]);
  });

  it('refuses bad reports and those who may not report', async () => {
    const future = new Date(Date.now() + 3_600_000).toISOString();
    const bad = await client.post(`${s}/incidents`, world.tokens.securityOfficer, { accountId: world.accounts.assignedTeacher, effectiveFrom: future }).expect(400);
    expect(bad.body.details[0].field).toBe('effectiveFrom');
    const order = await client.post(`${s}/incidents`, world.tokens.securityOfficer, { accountId: world.accounts.assignedTeacher, effectiveFrom: ids.moment, suspectedSince: ids.beforeReport }).expect(400);
    expect(order.body.details[0].field).toBe('suspectedSince');
    await client.post(`${s}/incidents`, world.tokens.securityOfficer, { accountId: '0190a7c2-0000-7000-8000-000000000000' }).expect(404);
    const denied = await client.post(`${s}/incidents`, world.tokens.deputy, { accountId: world.accounts.assignedTeacher }).expect(403);
    expect(denied.body.message).toMatch(/security officer/);
  });

  it('the report blocks the account at once and voids its operations from the moment on', async () => {
    clock.advance(60_000);
    const report = await client.post(`${s}/incidents`, world.tokens.securityOfficer, { accountId: world.accounts.assignedTeacher, effectiveFrom: ids.moment, note: 'пароль на стикере' }).expect(201);
    position = report.body.position;
    ids.incident = report.body.id;
    ids.reportedAt = report.body.recordedAt;
    expect(report.body.voidedCount).toBe(4);
    await client.get('/auth/me', teacher).expect(401);
    const login = await client.post('/auth/login', null, { login: 'a-teacher', password: PASSWORD }).expect(403);
    expect(login.body.code).toBe('ACCOUNT_BLOCKED');
    const again = await client.post(`${s}/incidents`, world.tokens.director, { accountId: world.accounts.assignedTeacher }).expect(409);
    expect(again.body.code).toBe('INCIDENT_OPEN');
  });

  it('every view shows the world as if the void operations never happened', async () => {
    const view = await grid();
    // The void correction brings back 5; the void mark is gone (and the deputy's correction of it with it); the void lesson takes its mark along.
    expect(marksOf(view, world.studentId)).toEqual({ [ids.mark1]: 5 });
    expect(view.lessons.map((l: { id: string }) => l.id)).toEqual([ids.lesson1]);
    expect(marksOf(view, ids.petrova)).not.toHaveProperty(ids.lesson2);
    expect(view.students.find((st: { id: string }) => st.id === ids.petrova).marks).toHaveLength(1);
    const diary = (await client.get(`${s}/students/${world.studentId}/diary?weekOf=2026-09-07&atLeast=${position}`, world.tokens.student).expect(200)).body;
    const lessons = diary.days.flatMap((d: { lessons: unknown[] }) => d.lessons);
    expect(lessons).toHaveLength(1);
    expect(lessons[0].marks).toEqual([{ id: ids.mark1, value: 5, workKind: 'classwork' }]);
    const suggestions = (await client.get(`${s}/groups/${world.groupId}/final-marks/suggestions?periodId=${period}&atLeast=${position}`, world.tokens.deputy).expect(200)).body;
    expect(suggestions.items.find((i: { studentId: string }) => i.studentId === world.studentId)).toMatchObject({ suggested: 'Н/А' });
  });

  it('asOf before the report shows the journal as it stood then, voids not yet known; asOf after it, with them', async () => {
    expect(marksOf(await grid(ids.beforeReport), world.studentId)).toEqual({ [ids.mark1]: 3, [ids.mark3]: 3 });
    expect(marksOf(await grid(ids.reportedAt), world.studentId)).toEqual({ [ids.mark1]: 5 });
    const diaryThen = (await client.get(`${s}/students/${world.studentId}/diary?weekOf=2026-09-07&asOf=${ids.reportedAt}`, world.tokens.deputy).expect(200)).body;
    expect(diaryThen.days.flatMap((d: { lessons: { marks: unknown[] }[] }) => d.lessons.flatMap((l) => l.marks))).toEqual([{ id: ids.mark1, value: 5, workKind: 'classwork' }]);
  });

  it('the incident lists every voided operation and what cannot simply be undone', async () => {
    const incident = (await client.get(`${s}/incidents/${ids.incident}`, world.tokens.securityOfficer).expect(200)).body;
    expect(incident).toMatchObject({ id: ids.incident, accountId: world.accounts.assignedTeacher, effectiveFrom: ids.moment, suspectedSince: null, status: 'open' });
    expect(incident.voided.map((v: { type: string }) => v.type)).toEqual(['MarkRecorded', 'MarkCorrected', 'LessonRecorded', 'MarkRecorded']);
    expect(incident.voided.every((v: { reinstated: boolean; summary: string }) => !v.reinstated && v.summary.length > 10)).toBe(true);
    expect(incident.voided[0].summary).toContain('Иванов Иван');
    const review = incident.review.map((r: { kind: string; eventId: string }) => [r.kind, r.eventId]);
    expect(review).toEqual(
      expect.arrayContaining([
        ['correction-of-void-entry', ids.deputyCorrectionEvent],
        ['final-mark-on-void-basis', ids.deputyFinalEvent],
      ]),
    );
    const list = (await client.get(`${s}/incidents?atLeast=${position}`, world.tokens.director).expect(200)).body;
    expect(list.items.map((i: { id: string }) => i.id)).toEqual([ids.incident]);
    expect(list.nextCursor).toBeNull();
    await client.get(`${s}/incidents/${ids.incident}`, world.tokens.deputy).expect(403);
  });

  it('the corrections audit and the raw log keep the void operations, marked', async () => {
    const audit = (await client.get(`${s}/audit/corrections?classId=${world.classId}&atLeast=${position}`, world.tokens.director).expect(200)).body;
    const byEvent = Object.fromEntries(audit.items.map((i: { eventId: string }) => [i.eventId, i]));
    expect(byEvent[ids.correction1Event]).toMatchObject({ entity: 'mark', entityId: ids.mark1, before: 5, after: 3, reason: 'пересмотр', void: true, voidedBy: ids.incident, afterLock: false });
    expect(byEvent[ids.correction1Event].by).toMatchObject({ accountId: world.accounts.assignedTeacher, role: 'teacher' });
    expect(byEvent[ids.deputyCorrectionEvent]).toMatchObject({ before: 2, after: 3, void: false });
    const teacherOnly = (await client.get(`${s}/audit/corrections?teacherId=${world.accounts.deputy}&atLeast=${position}`, world.tokens.director).expect(200)).body;
    expect(teacherOnly.items.map((i: { eventId: string }) => i.eventId)).toEqual([ids.deputyCorrectionEvent]);
    const log = (await client.get(`${s}/audit/events?accountId=${world.accounts.assignedTeacher}&atLeast=${position}`, world.tokens.securityOfficer).expect(200)).body;
    const flagged = log.items.filter((i: { void: boolean }) => i.void).map((i: { eventId: string }) => i.eventId);
    expect(flagged).toEqual(expect.arrayContaining([ids.mark3Event, ids.correction1Event]));
    expect(flagged).toHaveLength(4);
    await client.get(`${s}/audit/events`, world.tokens.deputy).expect(403);
  });

  it('reinstating a reviewed operation restores it everywhere, once', async () => {
    const answer = await client.post(`${s}/incidents/${ids.incident}/reinstatements`, world.tokens.director, { eventId: ids.mark3Event, reason: 'оценку подтвердил ученик' }).expect(201);
    position = answer.body.position;
    const twice = await client.post(`${s}/incidents/${ids.incident}/reinstatements`, world.tokens.director, { eventId: ids.mark3Event, reason: 'ещё раз' }).expect(409);
    expect(twice.body.code).toBe('ALREADY_REINSTATED');
    await client.post(`${s}/incidents/${ids.incident}/reinstatements`, world.tokens.director, { eventId: ids.deputyFinalEvent, reason: 'не аннулировано' }).expect(404);
    // The reinstated mark is back, with the deputy's correction of it.
    expect(marksOf(await grid(), world.studentId)).toEqual({ [ids.mark1]: 5, [ids.mark3]: 3 });
    const provenance = (await client.get(`${s}/marks/${ids.mark3}/provenance`, world.tokens.deputy).expect(200)).body;
    expect(provenance.items.map((i: { type: string }) => i.type)).toEqual(['MarkRecorded', 'MarkCorrected', 'CredentialCompromiseReported', 'OperationReinstated']);
    expect(provenance.items[0]).toMatchObject({ eventId: ids.mark3Event, void: false, voidedBy: ids.incident, reinstated: true });
    const incident = (await client.get(`${s}/incidents/${ids.incident}`, world.tokens.securityOfficer).expect(200)).body;
    expect(incident.voided.find((v: { eventId: string }) => v.eventId === ids.mark3Event).reinstated).toBe(true);
  });

  it('reissued credentials end the incident, and new operations count again', async () => {
    clock.advance(60_000);
    await ok(await client.post(`${s}/accounts/${world.accounts.assignedTeacher}/credentials`, world.tokens.sysadmin, { password: 'a-brand-new-password' }), 'reissue');
    const fresh = await client.login('a-teacher', 'a-brand-new-password');
    const mark = await ok(await client.post(`${s}/lessons/${ids.lesson1}/marks`, fresh, { studentId: ids.petrova, value: 5, workKind: 'homework' }), 'new mark');
    expect(marksOf(await grid(), ids.petrova)).toHaveProperty(mark.id, 5);
    // Decisions see the journal as the views do: the void lesson does not hold its date and slot.
    const real = await ok(await client.post(`${s}/groups/${world.groupId}/lessons`, fresh, { date: '2026-09-08', slot: 1, topic: 'Настоящий урок' }), 'the real lesson');
    expect((await grid()).lessons.map((l: { id: string }) => l.id)).toEqual([ids.lesson1, real.id]);
    const incident = (await client.get(`${s}/incidents/${ids.incident}`, world.tokens.securityOfficer).expect(200)).body;
    expect(incident.status).toBe('closed');
    expect(incident.voided).toHaveLength(4);
    const list = (await client.get(`${s}/incidents?atLeast=${position}`, world.tokens.securityOfficer).expect(200)).body;
    expect(list.items[0].status).toBe('closed');
  });
});
