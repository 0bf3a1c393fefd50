import ExcelJS from 'exceljs';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import request from 'supertest';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, PASSWORD, SchoolWorld } from '../support/school-fixture';

/** pdftotext (Debian's poppler-utils; .ci/run installs it), or null with the reason printed once. */
const pdftotext = (() => {
  try {
    execFileSync('pdftotext', ['-v'], { stdio: 'ignore' });
    return (pdf: Buffer) => {
      const file = join(mkdtempSync(join(tmpdir(), 'report-')), 'report.pdf');
      writeFileSync(file, pdf);
      return execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    };
  } catch {
    console.log('reports: pdftotext is not installed (apt-get install poppler-utils): the PDF text checks are skipped; the PDF is still checked to be one');
    return null;
  }
})();

const binary = (test: request.Test) =>
  test.buffer(true).parse((res, done) => {
    const chunks: Buffer[] = [];
    res.on('data', (chunk: Buffer) => chunks.push(chunk));
    res.on('end', () => done(null, Buffer.concat(chunks)));
  });

/**
 * The class report, missed lessons and unsatisfactory marks of 5А for the first quarter, against a
 * fixture computed by hand from seed 003 §5, §12 and seed 004 (not from the code's output):
 * Алексеева 5 / 5 — отличница; Борисов Н/А / отсрочка — не успевает (Н/А counts as not
 * successful); Иванов 3 / 4 — с одной «3». Attested 3: success 2/3 = 66.7 %, quality 1/3 = 33.3 %.
 * Maths: 5, Н/А, 3 → 66.7 % / 33.3 %, mean 4; Russian: 5, deferred, 4 → 100 % / 100 %, mean 4.5.
 */
describe(`reports of a class (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let world: SchoolWorld;
  let client: ReturnType<typeof api>;
  let s: string;
  let base: string;
  let periodId: string;
  let alekseeva: string;
  let borisov: string;
  let beforeFinals: string;
  let russianTeacherId: string;
  let beforeRussianLessons: string;
  /** The last write of the fixture: every read waits for its views to hold it (reads may lag, API.md). */
  let lastPosition: string;

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD, LEDGER_CHECKPOINT_SECONDS: '1', LEDGER_POLL_MS: '20' } });
    world = await buildSchool(subject.server, 'rp');
    client = api(subject.server);
    s = `/schools/${world.schoolId}`;
    base = `${s}/reports/classes/${world.classId}`;
    periodId = world.periodIds[0];
    const { deputy, assignedTeacher: maths } = world.tokens;
    const admin = await client.login('admin', ADMIN_PASSWORD);
    const id = async (test: request.Test) => {
      const answer = await test;
      if (answer.status !== 201) throw new Error(`${answer.status} ${JSON.stringify(answer.body)}`);
      lastPosition = answer.body.position as string;
      return answer.body.id as string;
    };
    alekseeva = await id(client.post(`${s}/students`, deputy, { fullName: 'Алексеева Анна', classId: world.classId }));
    borisov = await id(client.post(`${s}/students`, deputy, { fullName: 'Борисов Борис', classId: world.classId }));
    russianTeacherId = await id(client.post(`${s}/accounts`, admin, { login: 'rp-russian', password: PASSWORD, fullName: 'Учитель русского', roles: ['teacher'] }));
    const russianSubject = await id(client.post(`${s}/subjects`, deputy, { name: 'Русский язык' }));
    const russianGroup = await id(client.post(`${s}/groups`, deputy, { classId: world.classId, subjectId: russianSubject }));
    await id(client.post(`${s}/assignments`, deputy, { teacherId: russianTeacherId, groupId: russianGroup }));
    const russian = await client.login('rp-russian');
    beforeRussianLessons = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));

    const m1 = await id(client.post(`${s}/groups/${world.groupId}/lessons`, maths, { date: '2026-09-07', slot: 1, topic: 'Натуральные числа' }));
    const m2 = await id(client.post(`${s}/groups/${world.groupId}/lessons`, maths, { date: '2026-09-14', slot: 1, topic: 'Дроби' }));
    const r1 = await id(client.post(`${s}/groups/${russianGroup}/lessons`, russian, { date: '2026-09-08', slot: 2, topic: 'Орфограммы' }));
    await id(client.post(`${s}/lessons/${m1}/marks`, maths, { studentId: world.studentId, value: 2, workKind: 'test' }));
    await id(client.post(`${s}/lessons/${m1}/marks`, maths, { studentId: alekseeva, value: 5, workKind: 'oral' }));
    await id(client.post(`${s}/lessons/${m2}/attendance`, maths, { studentId: borisov, code: 'Н' }));
    await id(client.post(`${s}/lessons/${r1}/attendance`, russian, { studentId: world.studentId, code: 'Б' }));
    beforeFinals = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const finals: [string, string, string][] = [
      [world.groupId, world.studentId, '3'],
      [world.groupId, alekseeva, '5'],
      [world.groupId, borisov, 'Н/А'],
      [russianGroup, world.studentId, '4'],
      [russianGroup, alekseeva, '5'],
      [russianGroup, borisov, 'deferred'],
    ];
    for (const [group, student, value] of finals) await id(client.post(`${s}/groups/${group}/final-marks`, deputy, { periodId, studentId: student, value }));
  });
  afterAll(async () => subject?.close());

  const withAtLeast = (path: string) => (path.includes('atLeast=') ? path : `${path}${path.includes('?') ? '&' : '?'}atLeast=${lastPosition}`);
  const get = (path: string, token = world.tokens.classTeacher) => client.get(withAtLeast(`${base}/${path}`), token);

  it('computes the class report as the fixture says', async () => {
    const answer = await get(`class-report?periodId=${periodId}`).expect(200);
    const report = answer.body;
    expect(report.students.map((st: { fullName: string; standing: string }) => [st.fullName, st.standing])).toEqual([
      ['Алексеева Анна', 'excellent'],
      ['Борисов Борис', 'failing'],
      ['Иванов Иван', 'one-three'],
    ]);
    expect(report.totals).toMatchObject({ students: 3, counted: 3, successful: 2, ofQuality: 1, successRate: 66.7, qualityRate: 33.3, excellent: 1, oneThree: 1, failing: 1, unsatisfactoryMarks: 1 });
    expect(report.totals.missed).toEqual({ Н: 1, Б: 1, У: 0, total: 2 });
    expect(report.subjects.map((x: { name: string; successRate: number; qualityRate: number; average: number }) => [x.name, x.successRate, x.qualityRate, x.average])).toEqual([
      ['Математика', 66.7, 33.3, 4],
      ['Русский язык', 100, 100, 4.5],
    ]);
    expect(report.students[1].finals).toEqual({ [report.subjects[0].subjectId]: 'Н/А', [report.subjects[1].subjectId]: 'deferred' });
  });

  it('lists missed lessons and unsatisfactory marks with their topics', async () => {
    const missed = (await get(`missed-lessons?periodId=${periodId}`).expect(200)).body;
    expect(missed.students.filter((st: { items: unknown[] }) => st.items.length > 0).map((st: { fullName: string; items: { date: string; subject: string; topic: string; code: string }[] }) => [st.fullName, st.items.map((i) => [i.date, i.subject, i.topic, i.code])])).toEqual([
      ['Борисов Борис', [['2026-09-14', 'Математика', 'Дроби', 'Н']]],
      ['Иванов Иван', [['2026-09-08', 'Русский язык', 'Орфограммы', 'Б']]],
    ]);
    const narrowed = (await get('missed-lessons?from=2026-09-08&to=2026-09-08').expect(200)).body;
    expect(narrowed.students.flatMap((st: { items: unknown[] }) => st.items)).toHaveLength(1);
    const bad = (await get(`unsatisfactory-marks?periodId=${periodId}`).expect(200)).body;
    expect(bad.students.find((st: { studentId: string }) => st.studentId === world.studentId).items).toEqual([
      { date: '2026-09-07', subject: 'Математика', lessonId: expect.any(String), topic: 'Натуральные числа', value: 2, workKind: 'test' },
    ]);
    const both = await get(`missed-lessons?periodId=${periodId}&from=2026-09-01&to=2026-09-30`).expect(400);
    expect(both.body.details[0].field).toBe('periodId');
  });

  it('gives the statement («Ведомость») of the year', async () => {
    const sheet = (await get('statement').expect(200)).body;
    expect(sheet.periods.map((p: { successRate: number | null }) => p.successRate)).toEqual([66.7, null]);
    expect(sheet.students.find((st: { id: string }) => st.id === borisov).standings[periodId]).toBe('failing');
  });

  it('honours asOf: as of before the final marks, nobody is attested', async () => {
    const report = (await get(`class-report?periodId=${periodId}&asOf=${beforeFinals}`).expect(200)).body;
    expect(report.totals).toMatchObject({ counted: 0, none: 3, successRate: null });
    expect(report.totals.missed.total).toBe(2);
  });

  it('exports CSV (UTF-8 with BOM, `;`), XLSX equal to the JSON, and PDF with Cyrillic and the checkpoint line', async () => {
    const json = (await get(`class-report?periodId=${periodId}`).expect(200)).body;
    const csv = await binary(get(`class-report?periodId=${periodId}&format=csv`)).expect(200);
    expect(csv.headers['content-type']).toBe('text/csv; charset=utf-8');
    const text = (csv.body as Buffer).toString('utf8');
    expect(text.charCodeAt(0)).toBe(0xfeff);
    const lines = text.slice(1).trim().split('\r\n');
    expect(lines[0]).toBe('№;Ученик;Математика;Русский язык;Итог;Пропущено: Н;Б;У;Всего;Отметок «1»–«2»');
    expect(lines[1]).toBe('1;Алексеева Анна;5;5;отличник;0;0;0;0;0');
    expect(lines[2]).toBe('2;Борисов Борис;Н/А;отср.;не успевает;1;0;0;1;0');
    const comma = (await get(`class-report?periodId=${periodId}&format=csv&delimiter=comma`).expect(200)).text;
    expect(comma.slice(1).split('\r\n')[0]).toBe('№,Ученик,Математика,Русский язык,Итог,Пропущено: Н,Б,У,Всего,Отметок «1»–«2»');

    const xlsx = await binary(client.get(withAtLeast(`${base}/class-report?periodId=${periodId}`), world.tokens.deputy).set('Accept', 'application/vnd.openxmlformats-officedocument.spreadsheetml.sheet')).expect(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.body as never);
    const rows: unknown[][] = [];
    book.worksheets[0].eachRow((row) => rows.push((row.values as unknown[]).slice(1)));
    expect(rows.slice(1).map((row) => [row[1], row[2], row[3], row[4], row[8], row[9]])).toEqual(
      json.students.map((st: { fullName: string; finals: Record<string, string>; standing: string; missed: { total: number }; unsatisfactory: number }) => [
        st.fullName,
        st.finals[json.subjects[0].subjectId],
        st.finals[json.subjects[1].subjectId] === 'deferred' ? 'отср.' : st.finals[json.subjects[1].subjectId],
        { excellent: 'отличник', failing: 'не успевает', 'one-three': 'с одной «3»' }[st.standing],
        st.missed.total,
        st.unsatisfactory,
      ]),
    );
    const subjectsSheet: unknown[][] = [];
    book.worksheets[1].eachRow((row) => subjectsSheet.push((row.values as unknown[]).slice(1)));
    expect(subjectsSheet[1]).toEqual(['Математика', 3, 2, 1, 66.7, 33.3, 4]);

    // Once the ledger has signed a checkpoint, the PDF's footer carries it.
    let checkpoint = '';
    for (let i = 0; i < 300 && !checkpoint; i++) {
      const answer = await request(subject.server).get('/api/v1/ledger/checkpoint');
      if (answer.status === 200) checkpoint = answer.text;
      else await new Promise((resolve) => setTimeout(resolve, 100));
    }
    expect(checkpoint).toMatch(/\n\d+\n/); // signed within 30 s (every second here)
    const pdf = await binary(get(`class-report?periodId=${periodId}&format=pdf`)).expect(200);
    expect(pdf.headers['content-type']).toBe('application/pdf');
    expect((pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
    if (pdftotext) {
      const printed = pdftotext(pdf.body as Buffer);
      for (const words of ['Отчёт по классу 5А', 'Алексеева Анна', 'Борисов Борис', 'Иванов Иван', 'Математика', 'Русский язык', 'Качество знаний']) expect(printed).toContain(words);
      // The ledger signs every second here: the PDF may carry a checkpoint newer than the one read above.
      const [origin, size] = checkpoint.split('\n');
      expect(printed).toContain(origin);
      const printedSize = Number(/Размер (\d+)/.exec(printed)?.[1]);
      expect(printedSize).toBeGreaterThanOrEqual(Number(size));
      const signed = (await request(subject.server).get(`/api/v1/ledger/checkpoints?from=${printedSize}&limit=1`).expect(200)).body.items[0];
      expect(signed.size).toBe(printedSize);
      expect(printed.replace(/\s+/g, '')).toContain(signed.rootHash);
    }
  });

  it('prints the annual journal: every subject and period, marks and absences by lesson, topics, the checkpoint on every page', async () => {
    const json = (await get('journal').expect(200)).body;
    const maths = json.journals.find((j: { subject: { name: string }; period: { id: string } }) => j.subject.name === 'Математика' && j.period.id === periodId);
    expect(maths.lessons.map((l: { date: string; topic: string; taughtBy: { fullName: string } }) => [l.date, l.topic, l.taughtBy.fullName])).toEqual([
      ['2026-09-07', 'Натуральные числа', 'Person rp-teacher'],
      ['2026-09-14', 'Дроби', 'Person rp-teacher'],
    ]);
    expect(maths.students.find((st: { id: string }) => st.id === borisov)).toMatchObject({ attendance: [{ code: 'Н' }], finalMark: 'Н/А' });
    expect(json.journals).toHaveLength(4);

    const pdf = await binary(get('journal?format=pdf')).expect(200);
    expect((pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
    if (pdftotext) {
      const printed = pdftotext(pdf.body as Buffer);
      for (const words of ['Классный журнал 5А', 'Математика', 'Русский язык', 'Натуральные числа', 'Орфограммы', 'Борисов Борис', 'Н/А']) expect(printed).toContain(words);
      const pages = printed.split('\f').filter((page) => page.trim() !== '');
      const checkpoint = (await request(subject.server).get('/api/v1/ledger/checkpoint')).text;
      for (const page of pages) expect(page).toContain(`Контрольная точка журнала аудита (C2SP tlog-checkpoint) ${checkpoint.split('\n')[0]}`);
      // And the log's position with the data's digest, in case the checkpoint was signed before the last events printed.
      for (const page of pages) expect(page).toMatch(/Позиция журнала событий \d+\.\d+, SHA-256 напечатанных данных [0-9a-f]{64}/);
    }
  });

  it('lets the class teacher, the administration and inspectors read them; nobody else', async () => {
    await get(`class-report?periodId=${periodId}`, world.tokens.assignedTeacher).expect(403);
    await get(`class-report?periodId=${periodId}`, world.tokens.parent).expect(403);
    await get(`class-report?periodId=${periodId}`, world.tokens.inspector).expect(200);
    await get(`class-report?periodId=${periodId}&format=docx`).expect(400);
    // Another id than the period's (its last digit changed: '0' would leave one ending in 0 as it was).
    const noPeriod = world.periodIds[0].replace(/.$/, (last) => (last === '0' ? '1' : '0'));
    await get(`class-report?periodId=${noPeriod}`).expect(404);
    await get('class-report').expect(400);
  });

  it('prints the parent\'s paper extract (выписка) with the student\'s lessons, marks and absences', async () => {
    const json = (await client.get(withAtLeast(`${s}/reports/students/${world.studentId}/extract?from=2026-09-01&to=2026-09-30`), world.tokens.classTeacher).expect(200)).body;
    expect(json.marks.find((m: { subject: string }) => m.subject === 'Математика').marks.map((m: { value: number }) => m.value)).toEqual([2]);
    const pdf = await binary(client.get(withAtLeast(`${s}/reports/students/${world.studentId}/extract?from=2026-09-01&to=2026-09-30&format=pdf`), world.tokens.classTeacher)).expect(200);
    expect((pdf.body as Buffer).subarray(0, 5).toString()).toBe('%PDF-');
    if (pdftotext) {
      const printed = pdftotext(pdf.body as Buffer);
      for (const words of ['Выписка из электронного журнала', 'Иванов Иван', 'Натуральные числа', 'Орфограммы', 'Б (болезнь)', json.version]) expect(printed).toContain(words);
    }
  });

  it('gives a teacher the report of their own group: its one subject, with what was missed and failed', async () => {
    const report = (await client.get(withAtLeast(`${s}/reports/groups/${world.groupId}/group-report?periodId=${periodId}`), world.tokens.assignedTeacher).expect(200)).body;
    expect(report.subjects).toEqual([expect.objectContaining({ name: 'Математика', successRate: 66.7, qualityRate: 33.3, average: 4 })]);
    expect(report.students.map((st: { fullName: string; standing: string }) => [st.fullName, st.standing])).toEqual([
      ['Алексеева Анна', 'excellent'],
      ['Борисов Борис', 'failing'],
      ['Иванов Иван', 'one-three'],
    ]);
    expect(report.missedLessons.flatMap((st: { items: { topic: string }[] }) => st.items.map((i) => i.topic))).toEqual(['Дроби']);
    expect(report.unsatisfactoryMarks.flatMap((st: { items: { topic: string }[] }) => st.items.map((i) => i.topic))).toEqual(['Натуральные числа']);
    await client.get(`${s}/reports/groups/${world.groupId}/group-report?periodId=${periodId}`, world.tokens.otherTeacher).expect(403);
    const xlsx = await binary(client.get(withAtLeast(`${s}/reports/groups/${world.groupId}/group-report?periodId=${periodId}&format=xlsx`), world.tokens.assignedTeacher)).expect(200);
    const book = new ExcelJS.Workbook();
    await book.xlsx.load(xlsx.body as never);
    expect(book.worksheets.map((w) => w.name)).toEqual(['Ученики', 'По предметам', 'Итого по классу', 'Пропуски', 'Отметки «1» и «2»']);
  });

  it('streams the school\'s year of journals as one CSV: every class, every lesson of every student', async () => {
    const answer = await client.get(withAtLeast(`${s}/reports/journal`), world.tokens.deputy).expect(200);
    expect(answer.headers['content-type']).toBe('text/csv; charset=utf-8');
    const lines = answer.text.slice(1).trim().split('\r\n');
    expect(lines[0]).toBe('Класс;Предмет;Период;Ученик;Дата;Тема;Отметки;Посещаемость;Итоговая');
    expect(lines).toContain('5А;Математика;I четверть;Иванов Иван;2026-09-07;Натуральные числа;2;;3');
    expect(lines).toContain('5А;Математика;I четверть;Борисов Борис;2026-09-14;Дроби;;Н;Н/А');
    // 5А: 3 students × 3 lessons; 5Б: no lessons.
    expect(lines).toHaveLength(1 + 3 * 3);
  });

  it('rates the school for the period: per class, subject, teacher and overall, as the fixture says', async () => {
    const report = (await client.get(withAtLeast(`${s}/reports/success?periodId=${periodId}`), world.tokens.deputy).expect(200)).body;
    expect(report.classes.find((c: { class: { name: string } }) => c.class.name === '5А')).toMatchObject({ students: 3, counted: 3, successRate: 66.7, qualityRate: 33.3 });
    expect(report.subjects.map((x: { subject: { name: string }; successRate: number; qualityRate: number; average: number }) => [x.subject.name, x.successRate, x.qualityRate, x.average])).toEqual([
      ['Математика', 66.7, 33.3, 4],
      ['Русский язык', 100, 100, 4.5],
    ]);
    expect(report.teachers.find((t: { teacher: { id: string } }) => t.teacher.id === russianTeacherId)).toMatchObject({ teacher: { fullName: 'Учитель русского' }, successRate: 100 });
    // 5Б has no final marks: its student counts in no rate.
    expect(report.school).toMatchObject({ counted: 3, successRate: 66.7, qualityRate: 33.3 });
    await client.get(withAtLeast(`${s}/reports/success?periodId=${periodId}`), world.tokens.classTeacher).expect(403);
  });

  it('reports the filling of the journal per teacher and group: everything here was entered in December for September, so late', async () => {
    const report = (await client.get(withAtLeast(`${s}/reports/filling?periodId=${periodId}`), world.tokens.deputy).expect(200)).body;
    const maths = report.rows.find((r: { teacher: { id: string }; subject: { name: string } }) => r.teacher.id === world.accounts.assignedTeacher && r.subject.name === 'Математика');
    // 2 lessons (each a record and a «Не задано» homework) and 2 marks: 6 entries, all after their due moments.
    expect(maths).toMatchObject({ class: { name: '5А' }, lessons: 2, lessonsLate: 2, homeworkNotGiven: 2, homeworkLate: 2, marks: 2, marksLate: 2, finalMarks: 0, entries: 6, onTime: 0, onTimeRate: 0 });
    const deputyRows = report.rows.filter((r: { teacher: { id: string } }) => r.teacher.id === world.accounts.deputy);
    expect(deputyRows.map((r: { finalMarks: number; finalMarksLate: number }) => [r.finalMarks, r.finalMarksLate])).toEqual([
      [3, 3],
      [3, 3],
    ]);
    const own = (await client.get(withAtLeast(`${s}/reports/filling?periodId=${periodId}`), world.tokens.assignedTeacher).expect(200)).body;
    expect(new Set(own.rows.map((r: { teacher: { id: string } }) => r.teacher.id))).toEqual(new Set([world.accounts.assignedTeacher]));
    await client.get(withAtLeast(`${s}/reports/filling?periodId=${periodId}&teacherId=${world.accounts.deputy}`), world.tokens.assignedTeacher).expect(403);
    const csv = await client.get(withAtLeast(`${s}/reports/filling?periodId=${periodId}&format=csv`), world.tokens.director).expect(200);
    expect(csv.text.split('\r\n')[0]).toContain('Учитель;Класс;Предмет;Группа;Уроков');
  });

  // Last: it voids the Russian teacher's operations for good.
  it('honours voiding: the operations of a compromised account are gone from every report, and asOf before the report still shows them', async () => {
    const beforeReport = new Date().toISOString();
    await new Promise((resolve) => setTimeout(resolve, 5));
    const reported = await client.post(`${s}/incidents`, world.tokens.director, { accountId: russianTeacherId, effectiveFrom: beforeRussianLessons }).expect(201);
    expect(reported.body.voidedCount).toBeGreaterThanOrEqual(2);
    const missed = (await get(`missed-lessons?periodId=${periodId}&atLeast=${reported.body.position}`).expect(200)).body;
    expect(missed.students.flatMap((st: { items: { topic: string }[] }) => st.items.map((i) => i.topic))).toEqual(['Дроби']);
    const report = (await get(`class-report?periodId=${periodId}&atLeast=${reported.body.position}`).expect(200)).body;
    expect(report.totals.missed).toEqual({ Н: 1, Б: 0, У: 0, total: 1 });
    const then = (await get(`missed-lessons?periodId=${periodId}&asOf=${beforeReport}`).expect(200)).body;
    expect(then.students.flatMap((st: { items: { topic: string }[] }) => st.items.map((i) => i.topic)).sort()).toEqual(['Дроби', 'Орфограммы']);
  });
});
