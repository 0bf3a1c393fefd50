import type { AttendanceCode, FinalValue } from '../../journal/domain/journal.types';
import { averageOf, Rates, ratesOf, Standing, standingOf } from './attestation';

/** One group's journal for one period, as the grid view gives it (voids applied, as of a moment). */
export interface SubjectSheet {
  groupId: string;
  subjectId: string;
  subjectName: string;
  lessons: readonly { id: string; date: string; topic: string }[];
  students: readonly {
    id: string;
    marks: readonly { lessonId: string; value: number; workKind: string }[];
    attendance: readonly { lessonId: string; code: string }[];
    finalMark: { value: string | null; deferred: boolean } | null;
  }[];
}

export interface ReportStudent {
  id: string;
  fullName: string;
}

export interface ReportPeriod {
  id: string;
  name: string;
  startsOn: string;
  endsOn: string;
}

export type MissedCounts = Record<AttendanceCode, number> & { total: number };

/** A final mark as a report prints it: its value, `deferred`, or null while none is set. */
export const finalValueOf = (mark: SubjectSheet['students'][number]['finalMark']): FinalValue | null =>
  mark === null ? null : mark.deferred ? 'deferred' : (mark.value as FinalValue | null);

const emptyMissed = (): MissedCounts => ({ Н: 0, Б: 0, У: 0, total: 0 });

function countMissed(into: MissedCounts, code: string): void {
  if (code !== 'Н' && code !== 'Б' && code !== 'У') return;
  into[code] += 1;
  into.total += 1;
}

/**
 * «Отчёт по классу» for one period (seed 004 §7–8): each student's final marks by subject, their
 * standing, lessons missed (Н/Б/У) and unsatisfactory marks (1 or 2) in the period; per subject its
 * success rate, quality and mean final mark; for the class the count of each standing and the rates.
 * Subjects in the order given; students as given (the caller sorts them by name).
 */
export function classReport(input: { classId: string; className: string; period: ReportPeriod; students: readonly ReportStudent[]; sheets: readonly SubjectSheet[] }) {
  const { students, sheets } = input;
  const rows = students.map((student) => {
    const finals: Record<string, FinalValue | null> = {};
    const missed = emptyMissed();
    let unsatisfactory = 0;
    for (const sheet of sheets) {
      const row = sheet.students.find((s) => s.id === student.id);
      if (!row) continue;
      finals[sheet.subjectId] = finalValueOf(row.finalMark);
      for (const entry of row.attendance) countMissed(missed, entry.code);
      unsatisfactory += row.marks.filter((mark) => mark.value <= 2).length;
    }
    return { id: student.id, fullName: student.fullName, finals, standing: standingOf(Object.values(finals)), missed, unsatisfactory };
  });
  const subjects = sheets.map((sheet) => {
    const finals = rows.filter((row) => sheet.subjectId in row.finals).map((row) => row.finals[sheet.subjectId]);
    return { subjectId: sheet.subjectId, name: sheet.subjectName, groupId: sheet.groupId, ...ratesOf(finals.map((value) => standingOf([value]))), average: averageOf(finals) };
  });
  const count = (standing: Standing) => rows.filter((row) => row.standing === standing).length;
  const missed = rows.reduce((sum, row) => ({ Н: sum.Н + row.missed.Н, Б: sum.Б + row.missed.Б, У: sum.У + row.missed.У, total: sum.total + row.missed.total }), emptyMissed());
  const totals: Rates & Record<'students' | 'excellent' | 'good' | 'oneThree' | 'satisfactory' | 'failing' | 'deferred' | 'none' | 'unsatisfactoryMarks', number> & { missed: MissedCounts } = {
    students: rows.length,
    excellent: count('excellent'),
    good: count('good'),
    oneThree: count('one-three'),
    satisfactory: count('satisfactory'),
    failing: count('failing'),
    deferred: count('deferred'),
    none: count('none'),
    ...ratesOf(rows.map((row) => row.standing)),
    missed,
    unsatisfactoryMarks: rows.reduce((sum, row) => sum + row.unsatisfactory, 0),
  };
  return { class: { id: input.classId, name: input.className }, period: input.period, subjects, students: rows, totals };
}

export type ClassReport = ReturnType<typeof classReport>;

/**
 * Missed lessons per student with the topics missed (seed 003: «отчётность о пропущенных уроках с
 * указанием тем … по каждому обучающемуся»), split Н/Б/У, within [from, to] (dates inclusive).
 */
export function missedLessons(students: readonly ReportStudent[], sheets: readonly SubjectSheet[], from: string, to: string) {
  return students.map((student) => {
    const items: { date: string; subject: string; lessonId: string; topic: string; code: AttendanceCode }[] = [];
    for (const sheet of sheets) {
      const row = sheet.students.find((s) => s.id === student.id);
      if (!row) continue;
      for (const entry of row.attendance) {
        const lesson = sheet.lessons.find((l) => l.id === entry.lessonId);
        if (!lesson || lesson.date < from || lesson.date > to) continue;
        items.push({ date: lesson.date, subject: sheet.subjectName, lessonId: lesson.id, topic: lesson.topic, code: entry.code as AttendanceCode });
      }
    }
    items.sort((a, b) => a.date.localeCompare(b.date) || a.subject.localeCompare(b.subject, 'ru'));
    const counts = emptyMissed();
    for (const item of items) countMissed(counts, item.code);
    return { studentId: student.id, fullName: student.fullName, counts, items };
  });
}

/** Unsatisfactory marks (1 or 2) per student with the lesson's topic, within [from, to]. */
export function unsatisfactoryMarks(students: readonly ReportStudent[], sheets: readonly SubjectSheet[], from: string, to: string) {
  return students.map((student) => {
    const items: { date: string; subject: string; lessonId: string; topic: string; value: number; workKind: string }[] = [];
    for (const sheet of sheets) {
      const row = sheet.students.find((s) => s.id === student.id);
      if (!row) continue;
      for (const mark of row.marks) {
        const lesson = sheet.lessons.find((l) => l.id === mark.lessonId);
        if (mark.value > 2 || !lesson || lesson.date < from || lesson.date > to) continue;
        items.push({ date: lesson.date, subject: sheet.subjectName, lessonId: lesson.id, topic: lesson.topic, value: mark.value, workKind: mark.workKind });
      }
    }
    items.sort((a, b) => a.date.localeCompare(b.date) || a.subject.localeCompare(b.subject, 'ru'));
    return { studentId: student.id, fullName: student.fullName, count: items.length, items };
  });
}

/**
 * «Ведомость» (the summary sheet of final marks, kept 25 years, seed 003 §16): for one class and
 * school year, each student's final mark per subject and period, and their standing per period.
 */
export function statement(input: {
  classId: string;
  className: string;
  year: { id: string; name: string };
  periods: readonly ReportPeriod[];
  students: readonly ReportStudent[];
  /** The sheets of each period, by period id. */
  sheets: Readonly<Record<string, readonly SubjectSheet[]>>;
}) {
  const subjects = new Map<string, string>();
  for (const period of input.periods) for (const sheet of input.sheets[period.id] ?? []) subjects.set(sheet.subjectId, sheet.subjectName);
  const rows = input.students.map((student) => {
    const marks: Record<string, Record<string, FinalValue | null>> = {};
    const standings: Record<string, Standing> = {};
    for (const period of input.periods) {
      const finals: (FinalValue | null)[] = [];
      for (const sheet of input.sheets[period.id] ?? []) {
        const row = sheet.students.find((s) => s.id === student.id);
        if (!row) continue;
        const value = finalValueOf(row.finalMark);
        (marks[sheet.subjectId] ??= {})[period.id] = value;
        finals.push(value);
      }
      standings[period.id] = standingOf(finals);
    }
    return { id: student.id, fullName: student.fullName, marks, standings };
  });
  const periods = input.periods.map((period) => ({ ...period, ...ratesOf(rows.map((row) => row.standings[period.id])) }));
  return { class: { id: input.classId, name: input.className }, year: input.year, periods, subjects: [...subjects].map(([id, name]) => ({ id, name })), students: rows };
}

export type Statement = ReturnType<typeof statement>;
