import { ManualClock } from '../../src/common/clock';
import { Database, DATABASE } from '../../src/database/database';
import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, SchoolWorld } from '../support/school-fixture';

/** Weekdays (Mon–Fri) of September 2026. */
const septemberWeekdays = Array.from({ length: 30 }, (_, i) => `2026-09-${String(i + 1).padStart(2, '0')}`).filter((d) => {
  const day = new Date(`${d}T00:00:00Z`).getUTCDay();
  return day >= 1 && day <= 5;
});

describe(`the journal over HTTP: a month of one class (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let client: ReturnType<typeof api>;
  let world: SchoolWorld;
  const clock = new ManualClock('2026-08-25T07:00:00.000Z');
  const ids = { petrova: '', sidorov: '', novikov: '', russianGroup: '' };
  const mathLessons: string[] = [];
  const russianLessons: string[] = [];
  let period: string;
  let s: string;
  let lastPosition = '0.0';

  const on = (date: string, time = '07:30:00.000') => clock.set(`${date}T${time}Z`);
  const created = async (response: { status: number; body: { id: string; position: string } }, what: string) => {
    if (response.status !== 201) throw new Error(`${what}: ${response.status} ${JSON.stringify(response.body)}`);
    lastPosition = response.body.position;
    return response.body.id;
  };

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD }, clock });
    client = api(subject.server);
    world = await buildSchool(subject.server);
    s = `/schools/${world.schoolId}`;
    period = world.periodIds[0];
    const { deputy } = world.tokens;
    for (const [key, name] of [['petrova', 'Петрова Анна'], ['sidorov', 'Сидоров Олег'], ['novikov', 'Новиков Илья']] as const) {
      ids[key] = await created(await client.post(`${s}/students`, deputy, { fullName: name, classId: world.classId }), name);
    }
    const russian = await created(await client.post(`${s}/subjects`, deputy, { name: 'Русский язык' }), 'subject');
    ids.russianGroup = await created(await client.post(`${s}/groups`, deputy, { classId: world.classId, subjectId: russian }), 'group');
    await created(await client.post(`${s}/assignments`, deputy, { teacherId: world.teacherOf5b, groupId: ids.russianGroup }), 'assignment');
  });
  afterAll(async () => subject?.close());

  it('records a month of lessons: maths every weekday, Russian on Mon/Wed/Fri by its own teacher', async () => {
    const russianTeacher = await client.login('a-teacher-5b');
    for (const date of septemberWeekdays) {
      on(date);
      mathLessons.push(await created(await client.post(`${s}/groups/${world.groupId}/lessons`, world.tokens.assignedTeacher, { date, slot: 1, topic: `Математика ${date}`, workKinds: ['classwork'], homework: `§ ${date.slice(8)}` }), date));
      if ([1, 3, 5].includes(new Date(`${date}T00:00:00Z`).getUTCDay())) {
        russianLessons.push(await created(await client.post(`${s}/groups/${ids.russianGroup}/lessons`, russianTeacher, { date, slot: 2, topic: `Диктант ${date}`, homework: null }), date));
      }
    }
    expect(mathLessons).toHaveLength(22);
    const again = await client.post(`${s}/groups/${world.groupId}/lessons`, world.tokens.assignedTeacher, { date: '2026-09-01', slot: 1, topic: 'Дубль' }).expect(409);
    expect(again.body.code).toBe('ALREADY_EXISTS');
    const grid = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${period}&atLeast=${lastPosition}`, world.tokens.deputy).expect(200);
    expect(grid.body.lessons).toHaveLength(22);
    expect(grid.body.lessons[0]).toEqual({ id: mathLessons[0], date: '2026-09-01', slot: 1, topic: 'Математика 2026-09-01', homework: '§ 01', taughtBy: world.accounts.assignedTeacher, late: false });
  });

  it('gives marks whose averages hit the rounding cases of seed 003 §11', async () => {
    const plan: [string, number[]][] = [
      [world.studentId, [2, 3, 2, 3]], // 2.5 → 3
      [ids.petrova, [3, 4, 3, 4]], // 3.5 → 4
      [ids.sidorov, [4, 5, 4, 5]], // 4.5 → 5
      [ids.novikov, [5, 5]], // too few → Н/А
    ];
    for (const [student, values] of plan) {
      for (let i = 0; i < values.length; i++) {
        on(septemberWeekdays[i], '08:00:00.000');
        await created(await client.post(`${s}/lessons/${mathLessons[i]}/marks`, world.tokens.assignedTeacher, { studentId: student, value: values[i], workKind: 'classwork' }), 'mark');
      }
    }
    const suggestions = await client.get(`${s}/groups/${world.groupId}/final-marks/suggestions?periodId=${period}&atLeast=${lastPosition}`, world.tokens.assignedTeacher).expect(200);
    const byStudent = Object.fromEntries(suggestions.body.items.map((i: { studentId: string }) => [i.studentId, i]));
    expect(byStudent[world.studentId]).toEqual({ studentId: world.studentId, average: 2.5, suggested: '3' });
    expect(byStudent[ids.petrova]).toMatchObject({ average: 3.5, suggested: '4' });
    expect(byStudent[ids.sidorov]).toMatchObject({ average: 4.5, suggested: '5' });
    expect(byStudent[ids.novikov]).toMatchObject({ average: 5, suggested: 'Н/А' });
  });

  it('takes the Н/А threshold from the school setting', async () => {
    await created(await client.post(`${s}/settings`, world.tokens.director, { minMarksForAttestation: 2 }), 'settings');
    const suggestions = await client.get(`${s}/groups/${world.groupId}/final-marks/suggestions?periodId=${period}&atLeast=${lastPosition}`, world.tokens.deputy).expect(200);
    expect(suggestions.body.items.find((i: { studentId: string }) => i.studentId === ids.novikov)).toMatchObject({ average: 5, suggested: '5' });
    await created(await client.post(`${s}/settings`, world.tokens.director, { minMarksForAttestation: 3 }), 'settings back');
    const same = await client.post(`${s}/settings`, world.tokens.director, { minMarksForAttestation: 3 }).expect(400);
    expect(same.body.details[0].field).toBe('settings');
  });

  it('refuses a mark for a student of another class, and "5" as text, writing nothing', async () => {
    on('2026-09-01', '09:00:00.000');
    const database = subject.app.get<Database>(DATABASE);
    const countEvents = async () => Number((await database.pool.query<{ n: string }>(`SELECT count(*)::text AS n FROM event_log WHERE type NOT IN ('AccessDenied', 'LedgerCheckpointSigned')`)).rows[0].n);
    const before = await countEvents();
    const outsider = await client.post(`${s}/lessons/${mathLessons[0]}/marks`, world.tokens.assignedTeacher, { studentId: world.otherStudentId, value: 5, workKind: 'oral' }).expect(400);
    expect(outsider.body.details).toEqual([{ field: 'studentId', reason: 'is not a student of this group on 2026-09-01' }]);
    const text = await client.post(`${s}/lessons/${mathLessons[0]}/marks`, world.tokens.assignedTeacher, { studentId: world.studentId, value: '5', workKind: 'oral' }).expect(400);
    expect(text.body.details[0].field).toBe('value');
    await client.post(`${s}/lessons/${russianLessons[0]}/attendance`, world.tokens.assignedTeacher, { studentId: world.studentId, code: 'Н' }).expect(403);
    expect(await countEvents()).toBe(before);
  });

  let correctedMark: string;
  let beforeCorrection: string;

  it('corrects a mark with a reason; asOf shows the journal before and after', async () => {
    const grid = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${period}&atLeast=${lastPosition}`, world.tokens.assignedTeacher).expect(200);
    const ivanov = grid.body.students.find((st: { id: string }) => st.id === world.studentId);
    correctedMark = ivanov.marks.find((m: { value: number }) => m.value === 2).id;
    on('2026-09-10', '10:00:00.000');
    beforeCorrection = clock.now().toISOString();
    clock.advance(60_000);
    await client.post(`${s}/marks/${correctedMark}/corrections`, world.tokens.assignedTeacher, { value: 3 }).expect(400); // a reason is required
    await created(await client.post(`${s}/marks/${correctedMark}/corrections`, world.tokens.assignedTeacher, { value: 3, reason: 'ошибка при вводе' }), 'correction');
    const now = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${period}&atLeast=${lastPosition}`, world.tokens.deputy).expect(200);
    const then = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${period}&asOf=${beforeCorrection}`, world.tokens.deputy).expect(200);
    const markIn = (body: { students: { id: string; marks: { id: string; value: number; corrected: boolean }[] }[] }) =>
      body.students.find((st) => st.id === world.studentId)!.marks.find((m) => m.id === correctedMark);
    expect(markIn(now.body)).toMatchObject({ value: 3, corrected: true });
    expect(markIn(then.body)).toMatchObject({ value: 2, corrected: false });
    const future = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${period}&asOf=2099-01-01T00:00:00.000Z`, world.tokens.deputy).expect(400);
    expect(future.body.details[0].field).toBe('asOf');
  });

  it("shows a student's week across subjects in the diary, with a version that changes with its content", async () => {
    on('2026-09-09', '07:00:00.000');
    await created(await client.post(`${s}/lessons/${mathLessons[6]}/attendance`, world.tokens.assignedTeacher, { studentId: world.studentId, code: 'Б' }), 'attendance');
    const week = await client.get(`${s}/students/${world.studentId}/diary?weekOf=2026-09-09&atLeast=${lastPosition}`, world.tokens.student).expect(200);
    expect(week.body.student).toEqual({ id: world.studentId, fullName: 'Иванов Иван' });
    expect(week.body.week).toEqual({ startsOn: '2026-09-07', endsOn: '2026-09-13' });
    expect(week.body.days.map((d: { date: string }) => d.date)).toEqual(['2026-09-07', '2026-09-08', '2026-09-09', '2026-09-10', '2026-09-11', '2026-09-12']);
    const monday = week.body.days[0].lessons;
    expect(monday.map((l: { subject: string }) => l.subject)).toEqual(['Математика', 'Русский язык']);
    expect(monday[1]).toMatchObject({ topic: 'Диктант 2026-09-07', homework: null, marks: [], attendance: null });
    expect(week.body.days[2].lessons[0].attendance).toBe('Б');
    const before = week.body.version;
    on('2026-09-09', '07:10:00.000');
    await created(await client.post(`${s}/lessons/${mathLessons[6]}/marks`, world.tokens.assignedTeacher, { studentId: world.studentId, value: 5, workKind: 'homework' }), 'mark');
    const after = await client.get(`${s}/students/${world.studentId}/diary?weekOf=2026-09-07&atLeast=${lastPosition}`, world.tokens.parent).expect(200);
    expect(after.body.version).not.toBe(before);
    expect(after.body.days[2].lessons[0].marks).toEqual([{ id: expect.any(String), value: 5, workKind: 'homework' }]);
    const other = await client.get(`${s}/students/${world.studentId}/diary?weekOf=2026-09-07`, world.tokens.otherParent).expect(403);
    expect(other.body.code).toBe('FORBIDDEN');
  });

  it('flags a late entry but accepts it', async () => {
    on('2026-09-20', '12:00:00.000');
    const id = await created(await client.post(`${s}/lessons/${mathLessons[2]}/marks`, world.tokens.assignedTeacher, { studentId: ids.novikov, value: 4, workKind: 'classwork' }), 'late mark');
    const grid = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${period}&atLeast=${lastPosition}`, world.tokens.deputy).expect(200);
    const mark = grid.body.students.find((st: { id: string }) => st.id === ids.novikov).marks.find((m: { id: string }) => m.id === id);
    expect(mark.late).toBe(true);
  });

  it('never loses a write: 20 marks posted at once all land', async () => {
    on('2026-09-21', '07:00:00.000');
    const lesson = mathLessons[14];
    const students = [world.studentId, ids.petrova, ids.sidorov, ids.novikov];
    const answers = await Promise.all(
      Array.from({ length: 20 }, (_, i) => client.post(`${s}/lessons/${lesson}/marks`, world.tokens.assignedTeacher, { studentId: students[i % 4], value: (i % 5) + 1, workKind: 'oral' })),
    );
    expect(answers.map((a) => a.status)).toEqual(Array(20).fill(201));
    const positions = answers.map((a) => a.body.position as string).sort((a, b) => (BigInt(a.split('.')[0]) === BigInt(b.split('.')[0]) ? Number(BigInt(a.split('.')[1]) - BigInt(b.split('.')[1])) : Number(BigInt(a.split('.')[0]) - BigInt(b.split('.')[0]))));
    const grid = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${period}&atLeast=${positions.at(-1)}`, world.tokens.deputy).expect(200);
    const onLesson = grid.body.students.flatMap((st: { marks: { lessonId: string }[] }) => st.marks).filter((m: { lessonId: string }) => m.lessonId === lesson);
    expect(onLesson).toHaveLength(20);
  });

  it('sets final marks (a deferral too), locks the period, refuses the teacher afterwards, and lets a deputy correct with afterLock', async () => {
    on('2026-10-20', '09:00:00.000');
    const finals: [string, string][] = [
      [world.studentId, '3'],
      [ids.petrova, '4'],
      [ids.sidorov, '5'],
    ];
    const lock = () => client.post(`${s}/groups/${world.groupId}/periods/${period}/lock`, world.tokens.assignedTeacher, {});
    for (const [student, value] of finals) await created(await client.post(`${s}/groups/${world.groupId}/final-marks`, world.tokens.assignedTeacher, { periodId: period, studentId: student, value }), 'final');
    const missing = await lock().expect(409);
    expect(missing.body.code).toBe('FINAL_MARKS_MISSING');
    await created(await client.post(`${s}/groups/${world.groupId}/final-marks`, world.tokens.assignedTeacher, { periodId: period, studentId: ids.novikov, value: 'deferred' }), 'deferral');
    const change = await client.post(`${s}/groups/${world.groupId}/final-marks`, world.tokens.assignedTeacher, { periodId: period, studentId: ids.novikov, value: '4' }).expect(400);
    expect(change.body.details).toEqual([{ field: 'reason', reason: 'is required to change a final mark that is set' }]);
    await created(await lock(), 'lock');

    const refused = await client.post(`${s}/lessons/${mathLessons[3]}/marks`, world.tokens.assignedTeacher, { studentId: world.studentId, value: 5, workKind: 'oral' }).expect(409);
    expect(refused.body.code).toBe('PERIOD_LOCKED');
    await client.post(`${s}/marks/${correctedMark}/corrections`, world.tokens.assignedTeacher, { value: 4, reason: 'пересмотр' }).expect(409);
    await client.post(`${s}/groups/${world.groupId}/lessons`, world.tokens.assignedTeacher, { date: '2026-10-19', slot: 3, topic: 'После закрытия' }).expect(409);
    await created(await client.post(`${s}/marks/${correctedMark}/corrections`, world.tokens.deputy, { value: 4, reason: 'решение педсовета' }), 'after-lock correction');

    const grid = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${period}&atLeast=${lastPosition}`, world.tokens.director).expect(200);
    expect(grid.body.locked).toBe(true);
    const byId = Object.fromEntries(grid.body.students.map((st: { id: string }) => [st.id, st]));
    expect(byId[world.studentId].finalMark).toEqual({ value: '3', deferred: false });
    expect(byId[ids.novikov].finalMark).toEqual({ value: null, deferred: true });
    expect(byId[world.studentId].marks.find((m: { id: string }) => m.id === correctedMark).value).toBe(4);
    const events = await subject.app.get<EventStore>(EVENT_STORE).readStream(`journal-${world.groupId}-${period}`);
    expect(events.at(-1)).toMatchObject({ type: 'MarkCorrected', actor: { role: 'deputy' }, data: { before: 3, after: 4, afterLock: true, reason: 'решение педсовета' } });

    await client.post(`${s}/groups/${world.groupId}/periods/${period}/unlock`, world.tokens.assignedTeacher, { reason: 'нужно исправить' }).expect(403);
    await created(await client.post(`${s}/groups/${world.groupId}/periods/${period}/unlock`, world.tokens.director, { reason: 'исправление итогов' }), 'unlock');
    const reopened = await client.get(`${s}/groups/${world.groupId}/journal?periodId=${period}&atLeast=${lastPosition}`, world.tokens.director).expect(200);
    expect(reopened.body.locked).toBe(false);
    expect(reopened.body.students.find((st: { id: string }) => st.id === world.studentId).finalMark).toEqual({ value: '3', deferred: false });
  });

  it('refuses a teacher in a group they do not teach, and records the denial', async () => {
    on('2026-09-22', '07:00:00.000');
    const refused = await client.post(`${s}/lessons/${russianLessons[0]}/marks`, world.tokens.assignedTeacher, { studentId: world.studentId, value: 5, workKind: 'oral' }).expect(403);
    expect(refused.body.message).toBe('Only the teacher of this lesson writes its marks and attendance.');
    const denials = await subject.app.get<EventStore>(EVENT_STORE).readStream(`access-denied-${world.schoolId}`);
    expect(denials.at(-1)).toMatchObject({ data: { action: 'journal.write', reason: 'Only the teacher of this lesson writes its marks and attendance.' } });
  });
});
