import { v7 as uuidv7 } from 'uuid';
import { accountStream } from '../src/accounts/domain/account.decider';
import { Clock } from '../src/common/clock';
import type { Actor, NewEvent } from '../src/event-store/envelope';
import { journalStream } from '../src/journal/domain/journal.decider';

/**
 * A year of realistic journals for the voiding bench, generated week by week (nothing but the
 * current week is held in memory). Per school: 7 classes of 25 students, 8 subjects with
 * 4,3,3,3,2,2,2,2 lessons a week (one group per class × subject), 4 quarters of 9 weeks, one
 * journal stream per group × quarter. A lesson is one append (what a teacher's client sends in a
 * burst): LessonRecorded with the day's roster, 5–8 marks, 1–3 attendance entries, and now and
 * then a mark, homework or attendance correction; each quarter ends with 25 final marks and the
 * lock. In the first `heavySchools` schools one teacher teaches the 4-hour subject in all 7
 * classes (28 lessons a week, ~10,000 operations a year); 1 lesson in 30 of theirs is taken by a
 * substitute. Everyone else teaches one subject in 3–4 classes.
 */
export const CLASSES = 7;
export const STUDENTS = 25;
export const HOURS = [4, 3, 3, 3, 2, 2, 2, 2] as const;
export const WEEKS = 36;
export const WEEKS_PER_PERIOD = 9;
const FIRST_MONDAY = Date.UTC(2026, 8, 7); // 2026-09-07
const DAY = 86_400_000;

export interface School {
  readonly schoolId: string;
  readonly periods: string[];
  /** students[class] */
  readonly students: string[][];
  /** groups[class][subject] */
  readonly groups: string[][];
  readonly subjects: string[];
  /** teachers[subject][class] */
  readonly teachers: Actor[][];
  readonly officer: Actor;
  readonly heavy: Actor | null;
}

/** One append: a stream, its events, who wrote them. */
export interface Write {
  readonly stream: string;
  readonly schoolId: string;
  readonly actor: Actor;
  readonly events: NewEvent[];
}

/** Deterministic PRNG (mulberry32), so two runs write the same journals. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const teacher = (): Actor => ({ accountId: uuidv7(), role: 'teacher', generation: 1 });

export function makeSchool(heavy: boolean): School {
  const subjects = HOURS.map(() => uuidv7());
  const teachers = HOURS.map((_, s) => {
    if (s === 0 && heavy) {
      const one = teacher();
      return Array.from({ length: CLASSES }, () => one);
    }
    const a = teacher();
    const b = teacher();
    return Array.from({ length: CLASSES }, (_, c) => (c < 4 ? a : b));
  });
  return {
    schoolId: uuidv7(),
    periods: Array.from({ length: WEEKS / WEEKS_PER_PERIOD }, () => uuidv7()),
    students: Array.from({ length: CLASSES }, () => Array.from({ length: STUDENTS }, () => uuidv7())),
    groups: Array.from({ length: CLASSES }, () => HOURS.map(() => uuidv7())),
    subjects,
    teachers,
    officer: { accountId: uuidv7(), role: 'security_officer', generation: 1 },
    heavy: heavy ? teachers[0][0] : null,
  };
}

/** Every account of the school, created once at the start of the log. */
export function accountWrites(school: School): Write[] {
  const actors = new Map<string, Actor>();
  for (const row of school.teachers) for (const a of row) actors.set(a.accountId, a);
  actors.set(school.officer.accountId, school.officer);
  const director: Actor = { accountId: uuidv7(), role: 'director', generation: 1 };
  return [...actors.values()].map((actor, i) => ({
    stream: accountStream(actor.accountId),
    schoolId: school.schoolId,
    actor: director,
    events: [
      {
        type: 'AccountCreated',
        data: { accountId: actor.accountId, schoolId: school.schoolId, login: `u${i}-${actor.accountId.slice(-8)}`, fullName: `Учитель ${i}`, roles: [actor.role], generation: 1, credentialId: uuidv7() },
      },
    ],
  }));
}

const iso = (ms: number) => new Date(ms).toISOString();
const dateOf = (ms: number) => iso(ms).slice(0, 10);
const CODES = ['Н', 'Б', 'У'] as const;
const KINDS = ['classwork', 'homework', 'test', 'oral'] as const;

/** The week's appends of one school, in the order of the school day (day, slot, class). */
export function weekWrites(school: School, week: number, random: () => number, finals: Map<string, Map<string, number>>): Write[] {
  const period = Math.floor(week / WEEKS_PER_PERIOD);
  const periodId = school.periods[period];
  const lessons: { day: number; slot: number; c: number; s: number }[] = [];
  for (let c = 0; c < CLASSES; c++) {
    let day = (c * 2) % 5;
    HOURS.forEach((hours, s) => {
      for (let h = 0; h < hours; h++) {
        lessons.push({ day, slot: 1 + ((s + c + h) % 7), c, s });
        day = (day + 1) % 5;
      }
    });
  }
  lessons.sort((a, b) => a.day - b.day || a.slot - b.slot || a.c - b.c);
  const writes: Write[] = [];
  for (const { day, slot, c, s } of lessons) {
    const groupId = school.groups[c][s];
    const placed = { groupId, periodId };
    const dateMs = FIRST_MONDAY + (week * 7 + day) * DAY;
    const date = dateOf(dateMs);
    const assigned = school.teachers[s][c];
    const substitute = assigned === school.heavy && random() < 1 / 30;
    const actor = substitute ? school.teachers[1][c] : assigned;
    const lessonId = uuidv7();
    const roster = school.students[c];
    const events: NewEvent[] = [];
    const homework = random() < 0.8 ? `§ ${1 + Math.floor(random() * 40)}, упр. ${1 + Math.floor(random() * 300)}` : null;
    events.push({
      type: 'LessonRecorded',
      data: {
        ...placed,
        lessonId,
        subjectId: school.subjects[s],
        date,
        slot,
        topic: `Тема урока ${week + 1}.${slot}`,
        workKinds: ['classwork'],
        homework,
        taughtBy: actor.accountId,
        substitutesFor: substitute ? assigned.accountId : null,
        studentIds: roster,
        dueAt: iso(dateMs + 15 * 3_600_000),
        late: random() < 0.03,
        homeworkDueAt: iso(dateMs + 17 * 3_600_000),
        homeworkLate: false,
      },
    });
    const chosen = new Set<number>();
    const marks = 5 + Math.floor(random() * 4);
    while (chosen.size < marks) chosen.add(Math.floor(random() * STUDENTS));
    const markEvents: { markId: string; studentId: string; value: number }[] = [];
    for (const i of chosen) {
      const value = 2 + Math.floor(random() * 4);
      const markId = uuidv7();
      markEvents.push({ markId, studentId: roster[i], value });
      events.push({
        type: 'MarkRecorded',
        data: { ...placed, markId, lessonId, lessonDate: date, studentId: roster[i], value, workKind: KINDS[Math.floor(random() * KINDS.length)], weight: random() < 0.2 ? 2 : 1, dueAt: iso(dateMs + 7 * DAY), late: false },
      });
    }
    const absent = new Set<number>();
    const absences = 1 + Math.floor(random() * 3);
    while (absent.size < absences) absent.add(Math.floor(random() * STUDENTS));
    const attendance: { attendanceId: string; studentId: string; code: string }[] = [];
    for (const i of absent) {
      const attendanceId = uuidv7();
      const code = CODES[Math.floor(random() * 3)];
      attendance.push({ attendanceId, studentId: roster[i], code });
      events.push({ type: 'AttendanceRecorded', data: { ...placed, attendanceId, lessonId, lessonDate: date, studentId: roster[i], code } });
    }
    if (random() < 0.2) {
      const m = markEvents[0];
      const after = m.value === 5 ? 4 : m.value + 1;
      events.push({ type: 'MarkCorrected', data: { ...placed, markId: m.markId, lessonId, lessonDate: date, studentId: m.studentId, before: m.value, after, reason: 'опечатка', afterLock: false } });
    }
    if (random() < 0.1) {
      events.push({ type: 'LessonCorrected', data: { ...placed, lessonId, date, studentIds: roster, field: 'homework', before: homework, after: '§ 12, упр. 5', reason: 'уточнение', afterLock: false } });
    }
    if (random() < 0.05) {
      const a = attendance[0];
      const after = a.code === 'Н' ? 'У' : 'Н';
      events.push({ type: 'AttendanceCorrected', data: { ...placed, attendanceId: a.attendanceId, lessonId, lessonDate: date, studentId: a.studentId, before: a.code, after, reason: 'справка', afterLock: false } });
    }
    writes.push({ stream: journalStream(groupId, periodId), schoolId: school.schoolId, actor, events });
  }
  if ((week + 1) % WEEKS_PER_PERIOD === 0) {
    // The quarter's end: every group's final marks, then the lock, by its teacher.
    const endsOn = dateOf(FIRST_MONDAY + (week * 7 + 4) * DAY);
    for (let c = 0; c < CLASSES; c++) {
      for (let s = 0; s < HOURS.length; s++) {
        const groupId = school.groups[c][s];
        const placed = { groupId, periodId };
        const actor = school.teachers[s][c];
        const key = `${groupId}:${periodId}`;
        const set = finals.get(key) ?? new Map<string, number>();
        finals.delete(key);
        const events: NewEvent[] = school.students[c].map((studentId) => {
          const value = String(2 + Math.floor(random() * 4)) as '2' | '3' | '4' | '5';
          set.set(studentId, Number(value));
          return { type: 'FinalMarkSet', data: { ...placed, studentId, value, deferred: false, before: null, reason: null, afterLock: false, dueAt: iso(Date.parse(endsOn) + 2 * DAY), late: false } };
        });
        events.push({ type: 'PeriodLocked', data: placed });
        writes.push({ stream: journalStream(groupId, periodId), schoolId: school.schoolId, actor, events });
      }
    }
  }
  return writes;
}

/** Expected events per school and year, for sizing (the generator's means). */
export const EVENTS_PER_SCHOOL =
  HOURS.reduce((a, b) => a + b, 0) * CLASSES * WEEKS * (1 + 6.5 + 2 + 0.2 + 0.1 + 0.05) + CLASSES * HOURS.length * (WEEKS / WEEKS_PER_PERIOD) * (STUDENTS + 1);

/** Week start (Monday 06:00 UTC) of the simulated calendar. */
export const weekStart = (week: number) => new Date(FIRST_MONDAY + week * 7 * DAY + 6 * 3_600_000);

/** A clock that moves on by `step` ms at every reading: recordedAt grows along the log. */
export class TickingClock implements Clock {
  private current = 0;
  private step = 1;
  set(start: Date, stepMs: number): void {
    this.current = Math.max(this.current, start.getTime());
    this.step = Math.max(1, Math.floor(stepMs));
  }
  now(): Date {
    const now = new Date(this.current);
    this.current += this.step;
    return now;
  }
}
