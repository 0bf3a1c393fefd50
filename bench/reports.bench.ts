import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Client } from 'pg';
import { v7 as uuidv7 } from 'uuid';
import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { ProjectionRunner } from '../projections/projection-runner';
import { accountStream } from '../src/accounts/domain/account.decider';
import { createApp } from '../src/app';
import { loadConfig } from '../src/config/app-config';
import type { Actor, NewEvent } from '../src/event-store/envelope';
import { EventSourcedRepository } from '../src/event-store/event-sourced-repository';
import { EVENT_STORE, EventStore } from '../src/event-store/event-store.port';
import { journalStream } from '../src/journal/domain/journal.decider';
import { toPdf } from '../src/reports/formats/pdf';
import { toXlsx } from '../src/reports/formats/xlsx';
import { PrintoutAttestation } from '../src/reports/printout-attestation';
import { journalPrintoutDocument } from '../src/reports/report-documents';
import { ReportViews } from '../src/reports/report-views';
import { schoolDecider, schoolStream } from '../src/school/domain/school.decider';
import { envInt, Section } from './context';
import { Row } from './report';
import { rng } from './voiding-workload';

/**
 * Issue 16's goal: a school year of 1,000 students (40 classes of 25, 12 subjects, 29 lessons a
 * class a week, 36 weeks in 4 quarters) exports as XLSX in < 30 s and as PDF in < 60 s. The export
 * is the annual printout of every class's journal, one class at a time (one file each, written to
 * disk), through the same ReportViews and formatters as the HTTP route. The reference: reading the
 * same journal events raw from PostgreSQL, in the same run.
 */
const CLASSES = envInt('BENCH_REPORTS_CLASSES', 40);
const STUDENTS = 25;
const HOURS = [4, 4, 3, 3, 3, 2, 2, 2, 2, 2, 1, 1];
const WEEKS = 36;
const WEEKS_PER_PERIOD = 9;
const FIRST_MONDAY = Date.UTC(2026, 8, 7);
const DAY = 86_400_000;
const ADMIN_PASSWORD = 'bench-admin-password';
const iso = (ms: number) => new Date(ms).toISOString();
const dateOf = (ms: number) => iso(ms).slice(0, 10);
const CODES = ['Н', 'Б', 'У'] as const;
const SURNAMES = ['Иванов', 'Петров', 'Сидоров', 'Кузнецов', 'Смирнов', 'Попов', 'Васильев', 'Соколов', 'Михайлов', 'Новиков'];
const NAMES = ['Иван', 'Пётр', 'Анна', 'Мария', 'Олег', 'Елена', 'Сергей', 'Ольга', 'Дмитрий', 'Ксения'];
const SUBJECTS = ['Математика', 'Русский язык', 'Литература', 'Английский язык', 'История', 'Обществознание', 'География', 'Биология', 'Физика', 'Химия', 'Информатика', 'Музыка'];

interface Year {
  schoolId: string;
  periods: { id: string; startsOn: string; endsOn: string }[];
  classes: string[];
  students: string[][];
  subjects: string[];
  groups: string[][];
  teachers: Actor[];
}

async function writeYear(store: EventStore, ctx: Parameters<Section['run']>[0]): Promise<{ year: Year; events: number }> {
  const random = rng(16);
  const admin: Actor = { accountId: uuidv7(), role: 'deputy', generation: 1 };
  const teachers: Actor[] = SUBJECTS.flatMap(() => [0, 1].map(() => ({ accountId: uuidv7(), role: 'teacher', generation: 1 })));
  const year: Year = {
    schoolId: uuidv7(),
    periods: [0, 1, 2, 3].map((p) => ({ id: uuidv7(), startsOn: dateOf(FIRST_MONDAY + p * WEEKS_PER_PERIOD * 7 * DAY), endsOn: dateOf(FIRST_MONDAY + ((p + 1) * WEEKS_PER_PERIOD * 7 - 3) * DAY) })),
    classes: Array.from({ length: CLASSES }, () => uuidv7()),
    students: Array.from({ length: CLASSES }, () => Array.from({ length: STUDENTS }, () => uuidv7())),
    subjects: SUBJECTS.map(() => uuidv7()),
    groups: Array.from({ length: CLASSES }, () => SUBJECTS.map(() => uuidv7())),
    teachers,
  };
  const teacherOf = (c: number, s: number) => teachers[s * 2 + (c % 2)];
  const meta = (actor: Actor) => ({ schoolId: year.schoolId, actor, correlationId: uuidv7() });
  let events = 0;
  for (const [i, t] of teachers.entries()) {
    await store.append(accountStream(t.accountId), 'no-stream', [{ type: 'AccountCreated', data: { accountId: t.accountId, schoolId: year.schoolId, login: `bench-teacher-${i}-${t.accountId.slice(-6)}`, fullName: `${SURNAMES[i % 10]}а ${NAMES[(i * 3) % 10]}а`, roles: ['teacher'], generation: 1, credentialId: uuidv7() } }], meta(admin));
    events += 1;
  }
  const structure: NewEvent[] = [
    { type: 'SchoolCreated', data: { schoolId: year.schoolId, name: 'Бенчмарк-школа', timezone: 'Europe/Moscow' } },
    { type: 'YearCreated', data: { yearId: uuidv7(), name: '2026/27', startsOn: year.periods[0].startsOn, endsOn: year.periods[3].endsOn, periods: year.periods.map((p, i) => ({ periodId: p.id, name: `${i + 1} четверть`, startsOn: p.startsOn, endsOn: p.endsOn })), holidays: [] } },
  ];
  const yearId = (structure[1].data as { yearId: string }).yearId;
  SUBJECTS.forEach((name, s) => structure.push({ type: 'SubjectCreated', data: { subjectId: year.subjects[s], name } }));
  year.classes.forEach((classId, c) => {
    structure.push({ type: 'ClassCreated', data: { classId, yearId, name: `${5 + Math.floor(c / 8)}${'АБВГДЕЖЗ'[c % 8]}`, classTeacherId: teacherOf(c, 0).accountId } });
    year.students[c].forEach((studentId, k) => structure.push({ type: 'StudentAdmitted', data: { studentId, fullName: `${SURNAMES[(k + c) % 10]} ${NAMES[(k * 7 + c) % 10]} ${k}`, classId, birthDate: null, accountId: null } }));
    year.groups[c].forEach((groupId, s) => {
      structure.push({ type: 'GroupCreated', data: { groupId, classId, subjectId: year.subjects[s], name: SUBJECTS[s], studentIds: null } });
      structure.push({ type: 'TeacherAssigned', data: { groupId, teacherId: teacherOf(c, s).accountId, assignmentId: uuidv7() } });
    });
  });
  for (let i = 0; i < structure.length; i += 500) await store.append(schoolStream(year.schoolId), i === 0 ? 'no-stream' : i, structure.slice(i, i + 500), meta(admin));
  events += structure.length;

  const lessonsPerWeek = HOURS.reduce((a, b) => a + b, 0);
  const bar = ctx.progress('reports: writing a school year of journals', CLASSES * lessonsPerWeek * WEEKS);
  const pending: Promise<unknown>[] = [];
  const versions = new Map<string, number>();
  const append = (stream: string, actor: Actor, batch: NewEvent[]) => {
    const expected = versions.get(stream) ?? 0;
    versions.set(stream, expected + batch.length);
    events += batch.length;
    return store.append(stream, expected === 0 ? 'no-stream' : expected, batch, meta(actor));
  };
  for (let week = 0; week < WEEKS; week++) {
    const period = year.periods[Math.floor(week / WEEKS_PER_PERIOD)];
    // One stream's appends in order; different streams at once (8 in flight).
    const byStream = new Map<string, { actor: Actor; batches: NewEvent[][] }>();
    for (let c = 0; c < CLASSES; c++) {
      let day = c % 5;
      HOURS.forEach((hours, s) => {
        const groupId = year.groups[c][s];
        const stream = journalStream(groupId, period.id);
        const entry = byStream.get(stream) ?? { actor: teacherOf(c, s), batches: [] };
        byStream.set(stream, entry);
        for (let h = 0; h < hours; h++) {
          const dateMs = FIRST_MONDAY + (week * 7 + day) * DAY;
          day = (day + 1) % 5;
          const placed = { groupId, periodId: period.id };
          const lessonId = uuidv7();
          const date = dateOf(dateMs);
          const batch: NewEvent[] = [
            { type: 'LessonRecorded', data: { ...placed, lessonId, subjectId: year.subjects[s], date, slot: 1 + ((s + h) % 7), topic: `${SUBJECTS[s]}: тема ${week + 1}.${h + 1}`, workKinds: ['classwork'], homework: random() < 0.8 ? `§ ${1 + Math.floor(random() * 40)}` : null, taughtBy: entry.actor.accountId, substitutesFor: null, studentIds: year.students[c], dueAt: iso(dateMs + 15 * 3_600_000), late: random() < 0.03, homeworkDueAt: iso(dateMs + 17 * 3_600_000), homeworkLate: false } },
          ];
          const chosen = new Set<number>();
          while (chosen.size < 4) chosen.add(Math.floor(random() * STUDENTS));
          for (const k of chosen) batch.push({ type: 'MarkRecorded', data: { ...placed, markId: uuidv7(), lessonId, lessonDate: date, studentId: year.students[c][k], value: 2 + Math.floor(random() * 4), workKind: 'oral', weight: 1, dueAt: iso(dateMs + DAY), late: false } });
          if (random() < 0.7) batch.push({ type: 'AttendanceRecorded', data: { ...placed, attendanceId: uuidv7(), lessonId, lessonDate: date, studentId: year.students[c][Math.floor(random() * STUDENTS)], code: CODES[Math.floor(random() * 3)] } });
          entry.batches.push(batch);
        }
        if ((week + 1) % WEEKS_PER_PERIOD === 0) {
          entry.batches.push(year.students[c].map((studentId) => ({ type: 'FinalMarkSet', data: { groupId, periodId: period.id, studentId, value: String(2 + Math.floor(random() * 4)), deferred: false, before: null, reason: null, afterLock: false, dueAt: iso(Date.parse(period.endsOn)), late: false } })));
        }
      });
    }
    const streams = [...byStream.entries()];
    let next = 0;
    const worker = async () => {
      while (next < streams.length) {
        const [stream, { actor, batches }] = streams[next++];
        for (const batch of batches) {
          await append(stream, actor, batch);
          if (batch[0].type === 'LessonRecorded') bar.increment();
        }
      }
    };
    pending.push(...Array.from({ length: 8 }, worker));
    await Promise.all(pending.splice(0));
  }
  bar.stop();
  return { year, events };
}


export const reportsSection: Section = {
  name: 'reports',
  async run(ctx) {
    if (!ctx.backends.includes('PostgreSQL')) {
      ctx.note(`reports: skipped, the goals are for PostgreSQL and ${ctx.postgresSkipReason}`);
      return [];
    }
    const target = await ctx.createPostgresDatabase();
    let app: NestFastifyApplication | undefined;
    const dir = await mkdtemp(join(tmpdir(), 'zhurnal-reports-'));
    try {
      app = await createApp(loadConfig({ DATABASE_URL: target.url, ADMIN_PASSWORD, LOG_LEVEL: 'silent', DB_POOL_SIZE: '10', LEDGER_CHECKPOINT_SECONDS: '1' }));
      await app.init();
      const store = app.get<EventStore>(EVENT_STORE);
      const { year, events } = await writeYear(store, ctx);
      const runner = app.get(ProjectionRunner);
      const caughtUp = ctx.progress('reports: views catching up', 1);
      await runner.waitFor(await store.head(), 30 * 60_000, ['journal-grid']);
      caughtUp.increment();
      caughtUp.stop();
      const school = (await app.get(EventSourcedRepository).load(schoolStream(year.schoolId), schoolDecider)).state;
      const reports = app.get(ReportViews);
      const attestation = app.get(PrintoutAttestation);

      const reference = new Client({ connectionString: target.url });
      await reference.connect();
      const referenceStarted = performance.now();
      const raw = await reference.query(`SELECT envelope FROM event_log WHERE stream_id LIKE 'journal-%'`);
      const referenceSeconds = (performance.now() - referenceStarted) / 1000;
      await reference.end();

      const run = async (format: 'xlsx' | 'pdf') => {
        const bar = ctx.progress(`reports: annual journals as ${format.toUpperCase()}`, CLASSES);
        const started = performance.now();
        const perClass: number[] = [];
        let bytes = 0;
        let heap = 0;
        let buildMs = 0;
        for (const classId of year.classes) {
          const classStarted = performance.now();
          const doc = journalPrintoutDocument(await reports.journalPrintout(school, classId), school.name);
          buildMs += performance.now() - classStarted;
          const file = format === 'xlsx' ? await toXlsx(doc) : await toPdf(doc, await attestation.of(doc), new Date().toISOString());
          await writeFile(join(dir, `${classId}.${format}`), file);
          bytes += file.length;
          heap = Math.max(heap, process.memoryUsage().heapUsed);
          perClass.push(performance.now() - classStarted);
          bar.increment();
        }
        bar.stop();
        perClass.sort((a, b) => a - b);
        ctx.note(`reports: ${format}: reading the grids and laying out the tables took ${(buildMs / 1000).toFixed(1)} s of it`);
        return { seconds: (performance.now() - started) / 1000, bytes, heap, p50: perClass[Math.floor(perClass.length / 2)], p99: perClass[Math.min(perClass.length - 1, Math.ceil(perClass.length * 0.99) - 1)] };
      };
      const xlsx = await run('xlsx');
      const pdf = await run('pdf');
      const students = CLASSES * STUDENTS;
      const row = (what: string, r: { seconds: number; bytes: number; heap: number; p50: number; p99: number }, goal: number): Row => ({
        scenario: what,
        students,
        'journal events': raw.rowCount ?? 0,
        seconds: r.seconds,
        'students/s': students / r.seconds,
        'p50 ms/class': r.p50,
        'p99 ms/class': r.p99,
        MiB: r.bytes / 2 ** 20,
        'heap MiB': r.heap / 2 ** 20,
        reference: `raw pg read of the same journal events: ${referenceSeconds.toFixed(1)} s`,
        'vs reference': `${(r.seconds / referenceSeconds).toFixed(1)}×`,
        goal: `< ${goal} s`,
        met: CLASSES === 40 ? (r.seconds < goal ? 'yes' : 'no') : `n/a (${CLASSES} classes)`,
      });
      ctx.note(`reports: a year of ${events.toLocaleString('en')} events (${CLASSES} classes × ${STUDENTS} students × ${SUBJECTS.length} subjects, ${WEEKS} weeks); each class's printout built from its ${SUBJECTS.length * 4} grids, then formatted, one class in memory at a time`);
      return [row('annual journal printouts of every class as XLSX (exceljs)', xlsx, 30), row('annual journal printouts of every class as PDF (pdfkit, DejaVu, checkpoint + QR on every page)', pdf, 60)];
    } finally {
      await app?.close();
      await rm(dir, { recursive: true, force: true });
      await target.drop();
    }
  },
};
