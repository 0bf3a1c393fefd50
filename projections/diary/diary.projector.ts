import type { StoredEvent } from '../../src/event-store/envelope';
import { addDays } from '../../src/journal/domain/deadlines';
import { DocumentProjector } from '../projector';
import type { GridLessonsPart, GridStudentPart } from '../journal-grid/journal-grid.projector';

/**
 * One student's diary week (Monday first) as a read puts it together. Nothing of it but the class
 * teacher's day marks is stored as the diary's own: a lesson, its topic and homework are in the
 * group's journal once (the grid's lessons part, with who was on its roster), a student's marks and
 * attendance in their part of that journal. Copying each lesson into 25 students' weeks made the
 * diary 90% of every document a rebuild wrote (issue 14); a read joins the parts instead
 * (`assembleDiaryWeek`), as the grid does.
 */
export interface DiaryWeekDoc {
  studentId: string;
  weekOf: string;
  lessons: Record<string, DiaryLesson>;
  /** Day absences the class teacher marked (Б/У/Н), by date. */
  dailyAbsences: Record<string, string>;
}

export interface DiaryLesson {
  lessonId: string;
  groupId: string;
  subjectId: string;
  date: string;
  slot: number;
  topic: string;
  homework: string | null;
  /** A withdrawn mark stays with value null (it may be corrected back); views leave it out. */
  marks: Record<string, { id: string; value: number | null; workKind: string }>;
  attendance: string | null;
}

/** The diary's own document: one class's day marks of one student for one week, keyed `studentId:monday:day-classId`. */
export interface DayMarksDoc {
  studentId: string;
  weekOf: string;
  dailyAbsences: Record<string, string>;
}

const mondays = new Map<string, string>();

/** Monday of the week a date falls in (remembered: every diary read and day mark asks). */
export function mondayOf(date: string): string {
  const known = mondays.get(date);
  if (known) return known;
  const [y, m, d] = date.split('-').map(Number);
  const day = new Date(Date.UTC(y, m - 1, d));
  const shift = (day.getUTCDay() + 6) % 7;
  const monday = new Date(Date.UTC(y, m - 1, d - shift)).toISOString().slice(0, 10);
  if (mondays.size > 10_000) mondays.clear();
  mondays.set(date, monday);
  return monday;
}

export const diaryKey = (studentId: string, date: string, part: string) => `${studentId}:${mondayOf(date)}:${part}`;
export const dayPart = (classId: string) => `day-${classId}`;

/** What one journal (a group × period) gives a student's diary: its lessons part and the student's part. */
export interface DiaryJournalParts {
  lessons?: GridLessonsPart;
  student?: GridStudentPart;
}

/**
 * The week as the diary shows it: every lesson of the student's journals dated in the week whose
 * roster names the student, with their marks and attendance on it, and the class teacher's day
 * marks. Equal to folding each lesson's events into the student's week (the diary before issue 14;
 * `diary.projector.spec.ts` holds that fold as the definition it is tested against).
 */
export function assembleDiaryWeek(studentId: string, monday: string, journals: readonly DiaryJournalParts[], days: readonly (DayMarksDoc | undefined)[]): DiaryWeekDoc {
  const sunday = addDays(monday, 6);
  const lessons: Record<string, DiaryLesson> = {};
  for (const { lessons: part, student } of journals) {
    if (!part) continue;
    for (const lesson of Object.values(part.lessons)) {
      if (lesson.date < monday || lesson.date > sunday) continue;
      const roster = part.rosters[part.rosterOf[lesson.id]];
      if (!roster?.includes(studentId)) continue;
      lessons[lesson.id] = { lessonId: lesson.id, groupId: part.groupId, subjectId: part.subjectId as string, date: lesson.date, slot: lesson.slot, topic: lesson.topic, homework: lesson.homework, marks: {}, attendance: null };
    }
    if (!student) continue;
    for (const mark of Object.values(student.marks)) {
      const lesson = lessons[mark.lessonId];
      if (lesson) lesson.marks[mark.id] = { id: mark.id, value: mark.value, workKind: mark.workKind };
    }
    // At most one entry of a lesson has a code (the decider refuses a second); a withdrawn one is null.
    for (const entry of Object.values(student.attendance)) {
      const lesson = lessons[entry.lessonId];
      if (lesson && (lesson.attendance === null || entry.code !== null)) lesson.attendance = entry.code;
    }
  }
  const dailyAbsences = Object.assign({}, ...days.map((doc) => doc?.dailyAbsences ?? {})) as Record<string, string>;
  return { studentId, weekOf: monday, lessons, dailyAbsences };
}

export interface DailyAbsenceRecorded {
  type: 'DailyAbsenceRecorded';
  data: { classId: string; date: string; studentId: string; code: string };
}

export function evolveDayMarks(current: DayMarksDoc | null, stored: StoredEvent, key: string): DayMarksDoc {
  const [studentId, weekOf] = key.split(':');
  const doc = current ?? { studentId, weekOf, dailyAbsences: {} };
  const event = stored as unknown as DailyAbsenceRecorded;
  if (event.type !== 'DailyAbsenceRecorded') return doc;
  return { ...doc, dailyAbsences: { ...doc.dailyAbsences, [event.data.date]: event.data.code } };
}

export const diary: DocumentProjector<DayMarksDoc> = {
  name: 'diary',
  // 2: a week kept in parts, one per group (and one for day marks). 3: only the day marks; lessons, marks and attendance are read from the journal's parts.
  version: 3,
  handles: ['DailyAbsenceRecorded'],
  keys: (stored) => {
    const event = stored as unknown as DailyAbsenceRecorded;
    return event.type === 'DailyAbsenceRecorded' ? [diaryKey(event.data.studentId, event.data.date, dayPart(event.data.classId))] : [];
  },
  evolve: evolveDayMarks,
};
