import { ManualClock } from '../../src/common/clock';
import { Database, DATABASE } from '../../src/database/database';
import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, PASSWORD, SchoolWorld } from '../support/school-fixture';

type Row = { studentId: string; parentId: string | null; [field: string]: unknown };

describe(`parents and the diary over HTTP: consent, access, acknowledgement, paper extract (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let client: ReturnType<typeof api>;
  let world: SchoolWorld;
  let s: string;
  const clock = new ManualClock('2026-08-25T07:00:00.000Z');
  const on = (moment: string) => clock.set(moment);
  let mother: { id: string; token: string };
  let lonely: string;
  let lesson: string;
  let mark: string;
  let lastPosition = '0.0';
  let ackVersion: string;
  let beforeAck: string;

  const created = async (response: { status: number; body: { id: string; position: string } }, what: string) => {
    if (response.status !== 201) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
    lastPosition = response.body.position;
    return response.body.id;
  };
  const countEvents = async () => {
    const database = subject.app.get<Database>(DATABASE);
    return Number((await database.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM event_log WHERE type NOT IN ('AccessDenied', 'LedgerCheckpointSigned')`)).rows[0].n);
  };
  const diary = (token: string | null, query = '') => client.get(`${s}/students/${world.studentId}/diary?weekOf=2026-09-07${query}`, token);
  const rowOf = (items: Row[], parentId: string) => items.find((row) => row.studentId === world.studentId && row.parentId === parentId)!;

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD }, clock });
    client = api(subject.server);
    world = await buildSchool(subject.server);
    s = `/schools/${world.schoolId}`;
    const { classTeacher } = world.tokens;
    // A second parent of the same student, created and linked by the class teacher (seeds 002, 004).
    const id = await created(await client.post(`${s}/accounts`, classTeacher, { login: 'mother', password: PASSWORD, fullName: 'Иванова Мария', roles: ['parent'] }), 'mother');
    await created(await client.post(`${s}/parent-links`, classTeacher, { parentId: id, studentId: world.studentId }), 'link');
    mother = { id, token: await client.login('mother') };
    lonely = await created(await client.post(`${s}/students`, classTeacher, { fullName: 'Яковлев Яков', classId: world.classId }), 'student without parents');
    on('2026-09-07T07:30:00.000Z');
    lesson = await created(await client.post(`${s}/groups/${world.groupId}/lessons`, world.tokens.assignedTeacher, { date: '2026-09-07', slot: 1, topic: 'Дроби', homework: '№ 12' }), 'lesson');
    mark = await created(await client.post(`${s}/lessons/${lesson}/marks`, world.tokens.assignedTeacher, { studentId: world.studentId, value: 3, workKind: 'classwork' }), 'mark');
    await created(await client.post(`${s}/lessons/${lesson}/attendance`, world.tokens.assignedTeacher, { studentId: lonely, code: 'Б' }), 'attendance');
  });
  afterAll(async () => subject?.close());

  it('refuses a linked parent without consent: 403 "consent not given" on every diary route, recorded as AccessDenied', async () => {
    const read = await diary(mother.token).expect(403);
    expect(read.body).toMatchObject({ code: 'FORBIDDEN', message: 'consent not given' });
    const acknowledge = await client.post(`${s}/students/${world.studentId}/diary/acknowledgements`, mother.token, { upTo: '2026-09-07' }).expect(403);
    expect(acknowledge.body.message).toBe('consent not given');
    const denials = await subject.app.get<EventStore>(EVENT_STORE).readStream(`access-denied-${world.schoolId}`);
    expect(denials.at(-1)).toMatchObject({ data: { accountId: mother.id, action: 'diary.acknowledge', reason: 'consent not given' } });
  });

  it('a refusal registered by the parent keeps the diary closed; a paper consent registered by the class teacher opens it at once', async () => {
    on('2026-09-07T08:00:00.000Z');
    const refusal = await client.post(`${s}/consents`, mother.token, { parentId: mother.id, studentId: world.studentId, granted: false, form: 'electronic' });
    await created(refusal, 'refusal');
    expect((await diary(mother.token).expect(403)).body.message).toBe('consent not given');
    await created(await client.post(`${s}/consents`, world.tokens.classTeacher, { parentId: mother.id, studentId: world.studentId, granted: true, form: 'paper' }), 'paper consent');
    // No atLeast: the access check reads the consent stream itself. (The content is a view: atLeast.)
    await diary(mother.token).expect(200);
    const week = await diary(mother.token, `&atLeast=${lastPosition}`).expect(200);
    expect(week.body.days[0].lessons[0]).toMatchObject({ lessonId: lesson, topic: 'Дроби', marks: [{ id: mark, value: 3, workKind: 'classwork' }] });
    const events = await subject.app.get<EventStore>(EVENT_STORE).readStream(`consent-${mother.id}-${world.studentId}`);
    expect(events.map((e) => [e.type, (e.data as { form: string }).form, e.actor.role])).toEqual([
      ['ConsentRefused', 'electronic', 'parent'],
      ['ConsentGranted', 'paper', 'teacher'],
    ]);
  });

  it('refuses the wrong form for who registers, bad bodies and strangers, writing nothing', async () => {
    const before = await countEvents();
    const body = { parentId: mother.id, studentId: world.studentId, granted: true };
    const electronicByTeacher = await client.post(`${s}/consents`, world.tokens.classTeacher, { ...body, granted: false, form: 'electronic' }).expect(400);
    expect(electronicByTeacher.body.details).toEqual([{ field: 'form', reason: expect.stringContaining('paper') }]);
    const paperByParent = await client.post(`${s}/consents`, mother.token, { ...body, granted: false, form: 'paper' }).expect(400);
    expect(paperByParent.body.details[0].field).toBe('form');
    const notBoolean = await client.post(`${s}/consents`, world.tokens.deputy, { ...body, granted: 'yes', form: 'paper' }).expect(400);
    expect(notBoolean.body.details[0].field).toBe('granted');
    const extra = await client.post(`${s}/consents`, world.tokens.deputy, { ...body, form: 'paper', note: 'x' }).expect(400);
    expect(extra.body.details[0].field).toBe('note');
    const notLinked = await client.post(`${s}/consents`, world.tokens.deputy, { ...body, parentId: world.accounts.otherParent, form: 'paper' }).expect(400);
    expect(notLinked.body.details[0].field).toBe('parentId');
    const again = await client.post(`${s}/consents`, world.tokens.deputy, { ...body, form: 'paper' }).expect(409);
    expect(again.body.code).toBe('ALREADY_EXISTS');
    await client.post(`${s}/consents`, world.tokens.otherParent, { ...body, form: 'electronic' }).expect(403);
    await client.post(`${s}/consents`, world.tokens.parent, { ...body, form: 'electronic' }).expect(403); // another parent's consent
    await client.post(`${s}/consents`, world.tokens.assignedTeacher, { ...body, form: 'paper' }).expect(403);
    expect(await countEvents()).toBe(before);
  });

  it("shows the class teacher the class's consents, and who needs a paper extract", async () => {
    const list = await client.get(`${s}/classes/${world.classId}/consents`, world.tokens.classTeacher).expect(200);
    const items = list.body.items as Row[];
    expect(rowOf(items, mother.id)).toMatchObject({ fullName: 'Иванов Иван', parentFullName: 'Иванова Мария', consent: 'granted', form: 'paper', needsPaperExtract: false });
    expect((rowOf(items, mother.id).history as unknown[]).length).toBe(2);
    expect(rowOf(items, world.accounts.parent)).toMatchObject({ consent: 'granted', needsPaperExtract: false });
    expect(items.find((row) => row.studentId === lonely)).toMatchObject({ parentId: null, consent: 'none', needsPaperExtract: true });
    const then = await client.get(`${s}/classes/${world.classId}/consents?asOf=2026-09-07T07:59:00.000Z`, world.tokens.deputy).expect(200);
    expect(rowOf(then.body.items, mother.id)).toMatchObject({ consent: 'none', needsPaperExtract: true });
    const teacherOf5b = await client.login('a-teacher-5b');
    const refused = await client.get(`${s}/classes/${world.classId}/consents`, teacherOf5b).expect(403);
    expect(refused.body.message).toContain('class teacher');
  });

  it('records the diary version the parent saw; the class list shows who has acknowledged', async () => {
    on('2026-09-07T15:00:00.000Z');
    const seen = await diary(mother.token, `&atLeast=${lastPosition}`).expect(200);
    beforeAck = clock.now().toISOString();
    clock.advance(1000);
    const answer = await client.post(`${s}/students/${world.studentId}/diary/acknowledgements`, mother.token, { upTo: '2026-09-07' });
    await created(answer, 'acknowledgement');
    expect(answer.body).toMatchObject({ weekOf: '2026-09-07', version: seen.body.version });
    ackVersion = seen.body.version;
    const events = await subject.app.get<EventStore>(EVENT_STORE).readStream(`diary-acknowledgements-${world.studentId}`);
    expect(events.at(-1)).toMatchObject({
      type: 'DiaryAcknowledged',
      data: { acknowledgementId: answer.body.id, studentId: world.studentId, parentId: mother.id, upTo: '2026-09-07', weekOf: '2026-09-07', form: 'electronic', version: ackVersion },
    });
    const list = await client.get(`${s}/classes/${world.classId}/acknowledgements?upTo=2026-09-07&atLeast=${lastPosition}`, world.tokens.classTeacher).expect(200);
    expect(rowOf(list.body.items, mother.id)).toMatchObject({ acknowledged: true, upTo: '2026-09-07', form: 'electronic', version: ackVersion, at: answer.body.recordedAt, changedSince: false });
    expect(rowOf(list.body.items, world.accounts.parent)).toMatchObject({ acknowledged: false, upTo: null, version: null });
    expect((list.body.items as Row[]).filter((row) => row.studentId === world.studentId)).toHaveLength(2);
    const nextWeek = await client.get(`${s}/classes/${world.classId}/acknowledgements?upTo=2026-09-08&atLeast=${lastPosition}`, world.tokens.deputy).expect(200);
    expect(rowOf(nextWeek.body.items, mother.id)).toMatchObject({ acknowledged: false, upTo: '2026-09-07' });
  });

  it('a mark corrected after the acknowledgement: the acknowledgement shows it read an older version; asOf shows the list as it stood', async () => {
    on('2026-09-08T07:00:00.000Z');
    await created(await client.post(`${s}/marks/${mark}/corrections`, world.tokens.assignedTeacher, { value: 4, reason: 'ошибка при вводе' }), 'correction');
    const now = await diary(mother.token, `&atLeast=${lastPosition}`).expect(200);
    expect(now.body.version).not.toBe(ackVersion);
    const list = await client.get(`${s}/classes/${world.classId}/acknowledgements?upTo=2026-09-07&atLeast=${lastPosition}`, world.tokens.classTeacher).expect(200);
    expect(rowOf(list.body.items, mother.id)).toMatchObject({ acknowledged: true, version: ackVersion, currentVersion: now.body.version, changedSince: true });
    // What the parent read: the diary as it stood when acknowledged has exactly the pinned version.
    const then = await diary(mother.token, `&asOf=${encodeURIComponent(new Date(Date.parse(beforeAck) + 1000).toISOString())}`).expect(200);
    expect(then.body.version).toBe(ackVersion);
    expect(then.body.days[0].lessons[0].marks[0].value).toBe(3);
    const before = await client.get(`${s}/classes/${world.classId}/acknowledgements?upTo=2026-09-07&asOf=${beforeAck}`, world.tokens.classTeacher).expect(200);
    expect(rowOf(before.body.items, mother.id)).toMatchObject({ acknowledged: false, version: null });
  });

  it('the class teacher registers a paper signature: form "paper" only, parentId needed when the student has several parents', async () => {
    const path = `${s}/students/${world.studentId}/diary/acknowledgements`;
    const before = await countEvents();
    const withoutForm = await client.post(path, world.tokens.classTeacher, { upTo: '2026-09-07', parentId: world.accounts.parent }).expect(400);
    expect(withoutForm.body.details[0].field).toBe('form');
    const whose = await client.post(path, world.tokens.classTeacher, { upTo: '2026-09-07', form: 'paper' }).expect(400);
    expect(whose.body.details).toEqual([{ field: 'parentId', reason: 'is required: the student has several linked parents' }]);
    const paperByParent = await client.post(path, mother.token, { upTo: '2026-09-07', form: 'paper' }).expect(400);
    expect(paperByParent.body.details[0].field).toBe('form');
    const future = await client.post(path, mother.token, { upTo: '2026-09-09' }).expect(400);
    expect(future.body.details[0].field).toBe('upTo');
    const badDate = await client.post(path, mother.token, { upTo: '2026-02-30' }).expect(400);
    expect(badDate.body.details[0].field).toBe('upTo');
    expect(await countEvents()).toBe(before);
    const paper = await client.post(path, world.tokens.classTeacher, { upTo: '2026-09-07', form: 'paper', parentId: world.accounts.parent });
    await created(paper, 'paper signature');
    const list = await client.get(`${s}/classes/${world.classId}/acknowledgements?upTo=2026-09-07&atLeast=${lastPosition}`, world.tokens.classTeacher).expect(200);
    expect(rowOf(list.body.items, world.accounts.parent)).toMatchObject({ acknowledged: true, form: 'paper', by: world.accounts.classTeacher, changedSince: false });
  });

  it('diary access: a parent of another child, a teacher who does not teach there, and an unknown student', async () => {
    const other = await diary(world.tokens.otherParent).expect(403);
    expect(other.body.message).not.toBe('consent not given');
    await client.post(`${s}/students/${world.studentId}/diary/acknowledgements`, world.tokens.otherParent, { upTo: '2026-09-07' }).expect(403);
    await diary(world.tokens.otherTeacher).expect(403);
    await client.get(`${s}/students/${world.otherStudentId}/diary?weekOf=2026-09-07`, world.tokens.student).expect(403);
    await client.get(`${s}/students/0190a5c0-0000-7000-8000-000000000999/diary?weekOf=2026-09-07`, world.tokens.deputy).expect(404);
    await client.get(`${s}/classes/${world.classId}/acknowledgements`, world.tokens.parent).expect(403);
  });

  it('gives the paper extract: marks, absences and homework for a date range, in a printable shape', async () => {
    const extract = await client.get(`${s}/students/${lonely}/extract?from=2026-09-01&to=2026-09-30&atLeast=${lastPosition}`, world.tokens.classTeacher).expect(200);
    expect(extract.body).toMatchObject({
      student: { id: lonely, fullName: 'Яковлев Яков', class: { id: world.classId, name: '5А' } },
      from: '2026-09-01',
      to: '2026-09-30',
      absences: [{ date: '2026-09-07', lessonId: lesson, subject: 'Математика', code: 'Б' }],
      homework: [{ date: '2026-09-07', lessonId: lesson, subject: 'Математика', homework: '№ 12' }],
    });
    const ivanov = await client.get(`${s}/students/${world.studentId}/extract?from=2026-09-07&to=2026-09-07&atLeast=${lastPosition}`, world.tokens.deputy).expect(200);
    expect(ivanov.body.marks).toEqual([{ subject: 'Математика', marks: [{ date: '2026-09-07', lessonId: lesson, value: 4, workKind: 'classwork' }] }]);
    expect(ivanov.body.version).toEqual(expect.any(String));
    const earlier = await client.get(`${s}/students/${world.studentId}/extract?from=2026-09-07&to=2026-09-07&asOf=${beforeAck}`, world.tokens.deputy).expect(200);
    expect(earlier.body.marks[0].marks[0].value).toBe(3);
    const backwards = await client.get(`${s}/students/${world.studentId}/extract?from=2026-09-08&to=2026-09-07`, world.tokens.deputy).expect(400);
    expect(backwards.body.details[0].field).toBe('to');
    const missing = await client.get(`${s}/students/${world.studentId}/extract?from=2026-09-08`, world.tokens.deputy).expect(400);
    expect(missing.body.details[0].field).toBe('to');
    await client.get(`${s}/students/${world.studentId}/extract?from=2026-09-01&to=2026-09-30`, mother.token).expect(403);
  });

  it('a withdrawn consent closes the diary again, at once', async () => {
    on('2026-09-08T08:00:00.000Z');
    await created(await client.post(`${s}/consents`, mother.token, { parentId: mother.id, studentId: world.studentId, granted: false, form: 'electronic' }), 'withdrawal');
    expect((await diary(mother.token).expect(403)).body.message).toBe('consent not given');
    const events = await subject.app.get<EventStore>(EVENT_STORE).readStream(`consent-${mother.id}-${world.studentId}`);
    expect(events.at(-1)!.type).toBe('ConsentWithdrawn');
    const list = await client.get(`${s}/classes/${world.classId}/consents`, world.tokens.classTeacher).expect(200);
    expect(rowOf(list.body.items, mother.id)).toMatchObject({ consent: 'withdrawn', needsPaperExtract: true });
  });

  it("an acknowledgement by a compromised parent's account after the moment is void: gone from the class list, and from asOf once known", async () => {
    on('2026-09-08T09:00:00.000Z');
    const week = await diary(world.tokens.parent, `&atLeast=${lastPosition}`).expect(200);
    const answer = await client.post(`${s}/students/${world.studentId}/diary/acknowledgements`, world.tokens.parent, { upTo: '2026-09-08' });
    await created(answer, 'acknowledgement to be voided');
    expect(answer.body.version).toBe(week.body.version);
    const list = (query: string) => client.get(`${s}/classes/${world.classId}/acknowledgements?upTo=2026-09-08&${query}`, world.tokens.classTeacher).expect(200);
    expect(rowOf((await list(`atLeast=${lastPosition}`)).body.items, world.accounts.parent)).toMatchObject({ acknowledged: true, form: 'electronic', upTo: '2026-09-08' });

    on('2026-09-08T10:00:00.000Z');
    const report = await client.post(`${s}/incidents`, world.tokens.director, { accountId: world.accounts.parent, effectiveFrom: '2026-09-08T08:30:00.000Z', note: 'пароль утёк' });
    await created(report, 'compromise report');
    const after = await list(`atLeast=${lastPosition}`);
    // The paper signature the class teacher registered for this parent stays: it is not the compromised account's.
    expect(rowOf(after.body.items, world.accounts.parent)).toMatchObject({ acknowledged: false, upTo: '2026-09-07', form: 'paper' });
    expect(rowOf((await list('asOf=2026-09-08T09:30:00.000Z')).body.items, world.accounts.parent)).toMatchObject({ acknowledged: true, form: 'electronic' });
    expect(rowOf((await list(`asOf=${report.body.recordedAt}`)).body.items, world.accounts.parent)).toMatchObject({ acknowledged: false, form: 'paper' });
  });

  it('a consent given through a compromised account is void: after the reissue the diary is closed until the parent grants again', async () => {
    on('2026-09-08T11:00:00.000Z');
    const father = await created(await client.post(`${s}/accounts`, world.tokens.classTeacher, { login: 'father', password: PASSWORD, fullName: 'Яковлев Пётр', roles: ['parent'] }), 'father');
    await created(await client.post(`${s}/parent-links`, world.tokens.classTeacher, { parentId: father, studentId: lonely }), 'link');
    let token = await client.login('father');
    const consent = { parentId: father, studentId: lonely, granted: true, form: 'electronic' };
    await created(await client.post(`${s}/consents`, token, consent), 'consent by a leaked account');
    const read = () => client.get(`${s}/students/${lonely}/diary?weekOf=2026-09-07`, token);
    await read().expect(200);

    on('2026-09-08T11:30:00.000Z');
    await created(await client.post(`${s}/incidents`, world.tokens.director, { accountId: father, effectiveFrom: '2026-09-08T10:55:00.000Z' }), 'report');
    await created(await client.post(`${s}/accounts/${father}/credentials`, world.tokens.sysadmin, { password: 'a-brand-new-password' }), 'reissue');
    token = await client.login('father', 'a-brand-new-password');
    expect((await read().expect(403)).body.message).toBe('consent not given');
    const list = await client.get(`${s}/classes/${world.classId}/consents`, world.tokens.classTeacher).expect(200);
    const row = (list.body.items as Row[]).find((item) => item.parentId === father)!;
    expect(row).toMatchObject({ consent: 'none', needsPaperExtract: true, at: null, history: [{ type: 'ConsentGranted', form: 'electronic', by: father, void: true }] });

    on('2026-09-08T12:00:00.000Z');
    await created(await client.post(`${s}/consents`, token, consent), 'consent again');
    await read().expect(200);
  });
});
