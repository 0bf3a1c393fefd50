import type { StoredEvent } from '../../src/event-store/envelope';
import type { JournalEvent } from '../../src/journal/domain/journal.decider';
import { DocumentProjector } from '../projector';
import { JOURNAL_EVENT_TYPES } from '../journal-grid/journal-grid.projector';

/**
 * One student's diary for one week (Monday first) as one group's journal (or the class teacher's
 * day marks) shows it, keyed `studentId:monday:part`; the week is the merge of its parts
 * (`mergeDiaryWeek`). Kept apart so that voiding one teacher folds again only that teacher's
 * groups' parts, from their own journals, not every subject of the week.
 */
export interface DiaryWeekDoc {
  studentId: string;
  weekOf: string;
  lessons: Record<
    string,
    {
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
  >;
  /** Day absences the class teacher marked (Б/У/Н), by date. */
  dailyAbsences: Record<string, string>;
}

const mondays = new Map<string, string>();

/** Monday of the week a date falls in (remembered: every diary event asks, re-folds ask thousands of times). */
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

/** The part of a week one group's journal gives (`part` = groupId), or the day marks of a class (`dayPart`). */
export const diaryKey = (studentId: string, date: string, part: string) => `${studentId}:${mondayOf(date)}:${part}`;
export const dayPart = (classId: string) => `day-${classId}`;

/** A week as the diary shows it: its parts together. */
export function mergeDiaryWeek(studentId: string, weekOf: string, parts: readonly (DiaryWeekDoc | undefined)[]): DiaryWeekDoc | undefined {
  const present = parts.filter((p): p is DiaryWeekDoc => !!p);
  if (present.length === 0) return undefined;
  return {
    studentId,
    weekOf,
    lessons: Object.assign({}, ...present.map((p) => p.lessons)),
    dailyAbsences: Object.assign({}, ...present.map((p) => p.dailyAbsences)),
  };
}

export interface DailyAbsenceRecorded {
  type: 'DailyAbsenceRecorded';
  data: { classId: string; date: string; studentId: string; code: string };
}

function keysOf(stored: StoredEvent): string[] {
  const event = stored as unknown as JournalEvent | DailyAbsenceRecorded;
  switch (event.type) {
    case 'LessonRecorded':
    case 'LessonCorrected':
      return event.data.studentIds.map((id) => diaryKey(id, event.data.date, event.data.groupId));
    case 'MarkRecorded':
    case 'MarkCorrected':
    case 'AttendanceRecorded':
    case 'AttendanceCorrected':
      return [diaryKey(event.data.studentId, event.data.lessonDate, event.data.groupId)];
    case 'DailyAbsenceRecorded':
      return [diaryKey(event.data.studentId, event.data.date, dayPart(event.data.classId))];
    default:
      return [];
  }
}

function emptyWeek(key: string): DiaryWeekDoc {
  const [studentId, weekOf] = key.split(':');
  return { studentId, weekOf, lessons: {}, dailyAbsences: {} };
}

export function evolveDiary(current: DiaryWeekDoc | null, stored: StoredEvent, key: string): DiaryWeekDoc {
  const doc = current ?? emptyWeek(key);
  const event = stored as unknown as JournalEvent | DailyAbsenceRecorded;
  const lessonOf = (lessonId: string) => doc.lessons[lessonId];
  switch (event.type) {
    case 'LessonRecorded': {
      const d = event.data;
      return {
        ...doc,
        lessons: { ...doc.lessons, [d.lessonId]: { lessonId: d.lessonId, groupId: d.groupId, subjectId: d.subjectId, date: d.date, slot: d.slot, topic: d.topic, homework: d.homework, marks: {}, attendance: null } },
      };
    }
    case 'LessonCorrected': {
      const lesson = lessonOf(event.data.lessonId);
      if (!lesson || event.data.field === 'workKinds') return doc;
      return { ...doc, lessons: { ...doc.lessons, [lesson.lessonId]: { ...lesson, [event.data.field]: event.data.after } } };
    }
    case 'MarkRecorded':
    case 'MarkCorrected': {
      const lesson = lessonOf(event.data.lessonId);
      if (!lesson) return doc;
      const marks = { ...lesson.marks };
      const known = marks[event.data.markId];
      if (event.type === 'MarkRecorded') marks[event.data.markId] = { id: event.data.markId, value: event.data.value, workKind: event.data.workKind };
      else if (known) marks[event.data.markId] = { ...known, value: event.data.after };
      return { ...doc, lessons: { ...doc.lessons, [lesson.lessonId]: { ...lesson, marks } } };
    }
    case 'AttendanceRecorded':
    case 'AttendanceCorrected': {
      const lesson = lessonOf(event.data.lessonId);
      if (!lesson) return doc;
      const code = event.type === 'AttendanceRecorded' ? event.data.code : event.data.after;
      return { ...doc, lessons: { ...doc.lessons, [lesson.lessonId]: { ...lesson, attendance: code } } };
    }
    case 'DailyAbsenceRecorded':
      return { ...doc, dailyAbsences: { ...doc.dailyAbsences, [event.data.date]: event.data.code } };
    default:
      return doc;
  }
}

export const diary: DocumentProjector<DiaryWeekDoc> = {
  name: 'diary',
  // 2: a week kept in parts, one per group (and one for day marks).
  version: 2,
  handles: [...JOURNAL_EVENT_TYPES, 'DailyAbsenceRecorded'],
  keys: keysOf,
  evolve: evolveDiary,
};
