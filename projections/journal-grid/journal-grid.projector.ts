import type { StoredEvent } from '../../src/event-store/envelope';
import type { JournalEvent } from '../../src/journal/domain/journal.decider';
import { DocumentProjector } from '../projector';

/** The journal of one group for one period (API.md "journal"), keyed `groupId:periodId`. */
export interface JournalGridDoc {
  groupId: string;
  periodId: string;
  subjectId: string | null;
  locked: boolean;
  /** `substitutesFor`: the assigned teacher a substitute replaced (issue 12), null for an ordinary lesson. */
  lessons: Record<string, { id: string; date: string; slot: number; topic: string; homework: string | null; workKinds: string[]; taughtBy: string; substitutesFor: string | null; late: boolean }>;
  /**
   * By student, then by id: an event copies one student's entries, not the whole journal's, so a
   * fold over a full period stays linear (a flat map made asOf quadratic: 4 s for 1,860 events).
   */
  marks: Record<string, Record<string, GridMark>>;
  attendance: Record<string, Record<string, GridAttendance>>;
  finalMarks: Record<string, { value: string | null; deferred: boolean }>;
  /** Everyone who was in the group on a lesson day. */
  studentIds: string[];
}

export interface GridMark {
  id: string;
  lessonId: string;
  value: number | null;
  workKind: string;
  weight: number;
  corrected: boolean;
  late: boolean;
}
export interface GridAttendance {
  id: string;
  lessonId: string;
  code: string | null;
}

/** Sets one entry of one student's map, copying only that student's entries. */
function put<T>(byStudent: Record<string, Record<string, T>>, studentId: string, id: string, entry: T): Record<string, Record<string, T>> {
  return { ...byStudent, [studentId]: { ...(byStudent[studentId] ?? {}), [id]: entry } };
}

export const JOURNAL_EVENT_TYPES = [
  'LessonRecorded',
  'LessonCorrected',
  'MarkRecorded',
  'MarkCorrected',
  'AttendanceRecorded',
  'AttendanceCorrected',
  'FinalMarkSet',
  'PeriodLocked',
  'PeriodUnlocked',
] as const;

export const gridKey = (groupId: string, periodId: string) => `${groupId}:${periodId}`;

const empty = (groupId: string, periodId: string): JournalGridDoc => ({
  groupId,
  periodId,
  subjectId: null,
  locked: false,
  lessons: {},
  marks: {},
  attendance: {},
  finalMarks: {},
  studentIds: [],
});

export function evolveGrid(current: JournalGridDoc | null, stored: StoredEvent): JournalGridDoc {
  const event = stored as unknown as JournalEvent;
  const doc = current ?? empty(event.data.groupId, event.data.periodId);
  switch (event.type) {
    case 'LessonRecorded': {
      const d = event.data;
      return {
        ...doc,
        subjectId: d.subjectId,
        lessons: { ...doc.lessons, [d.lessonId]: { id: d.lessonId, date: d.date, slot: d.slot, topic: d.topic, homework: d.homework, workKinds: d.workKinds, taughtBy: d.taughtBy, substitutesFor: d.substitutesFor ?? null, late: d.late || d.homeworkLate } },
        studentIds: [...new Set([...doc.studentIds, ...d.studentIds])],
      };
    }
    case 'LessonCorrected': {
      const lesson = doc.lessons[event.data.lessonId];
      if (!lesson) return doc;
      return { ...doc, lessons: { ...doc.lessons, [lesson.id]: { ...lesson, [event.data.field]: event.data.after } } };
    }
    case 'MarkRecorded': {
      const d = event.data;
      // An entry lives on its lesson: a lesson that does not count (void) takes its entries with it.
      if (!doc.lessons[d.lessonId]) return doc;
      const mark = { id: d.markId, lessonId: d.lessonId, value: d.value, workKind: d.workKind, weight: d.weight, corrected: false, late: d.late };
      return { ...doc, marks: put(doc.marks, d.studentId, d.markId, mark) };
    }
    case 'MarkCorrected': {
      const mark = doc.marks[event.data.studentId]?.[event.data.markId];
      if (!mark) return doc;
      return { ...doc, marks: put(doc.marks, event.data.studentId, mark.id, { ...mark, value: event.data.after, corrected: true }) };
    }
    case 'AttendanceRecorded': {
      const d = event.data;
      if (!doc.lessons[d.lessonId]) return doc;
      return { ...doc, attendance: put(doc.attendance, d.studentId, d.attendanceId, { id: d.attendanceId, lessonId: d.lessonId, code: d.code }) };
    }
    case 'AttendanceCorrected': {
      const entry = doc.attendance[event.data.studentId]?.[event.data.attendanceId];
      if (!entry) return doc;
      return { ...doc, attendance: put(doc.attendance, event.data.studentId, entry.id, { ...entry, code: event.data.after }) };
    }
    case 'FinalMarkSet':
      return { ...doc, finalMarks: { ...doc.finalMarks, [event.data.studentId]: { value: event.data.value, deferred: event.data.deferred } } };
    case 'PeriodLocked':
      return { ...doc, locked: true };
    case 'PeriodUnlocked':
      return { ...doc, locked: false };
    default:
      return doc;
  }
}

/**
 * The grid is kept in parts (issue 14): one for the lessons (with the period's lock and everyone who
 * was in the group on a lesson day), one per student (their marks, attendance and final mark). An
 * event rewrites its own part, a few kilobytes, not the whole ~200 KB journal; a read takes the
 * parts of one journal by key prefix and puts them together (`assembleGrid`).
 */
export interface GridLessonsPart {
  groupId: string;
  periodId: string;
  subjectId: string | null;
  locked: boolean;
  lessons: JournalGridDoc['lessons'];
  studentIds: string[];
  /**
   * Who was on each lesson's roster (the diary shows a lesson to them only): the distinct rosters
   * once, and each lesson's index into them — a class's roster rarely changes, so one or two.
   */
  rosters: string[][];
  rosterOf: Record<string, number>;
}

export interface GridStudentPart {
  studentId: string;
  marks: Record<string, GridMark>;
  attendance: Record<string, GridAttendance>;
  finalMark: { value: string | null; deferred: boolean } | null;
}

export type GridPart = GridLessonsPart | GridStudentPart;

/** Every part of one journal has a key starting with this (the range `[prefix, gridPrefixEnd)` holds exactly them). */
export const gridPrefix = (groupId: string, periodId: string) => `${groupId}:${periodId}:`;
/** The first key after every key of the prefix (':' + 1 = ';'; keys compare bytewise, COLLATE "C"). */
export const gridPrefixEnd = (groupId: string, periodId: string) => `${groupId}:${periodId};`;
export const lessonsPartKey = (groupId: string, periodId: string) => `${gridPrefix(groupId, periodId)}lessons`;
export const studentPartKey = (groupId: string, periodId: string, studentId: string) => `${gridPrefix(groupId, periodId)}s:${studentId}`;

const STUDENT_EVENTS: ReadonlySet<string> = new Set(['MarkRecorded', 'MarkCorrected', 'AttendanceRecorded', 'AttendanceCorrected', 'FinalMarkSet']);

export const isLessonsPart = (part: GridPart): part is GridLessonsPart => 'lessons' in part;

/**
 * The part after the event, `current` left as it was: only what the event changes is copied
 * (a student's marks map for a mark, the lessons and rosters for a lesson), then changed in place.
 */
export function evolveGridPart(current: GridPart | null, stored: StoredEvent): GridPart {
  return applyToGridPart(current && copyFor(current, stored.type), stored);
}

/**
 * The same as `evolveGridPart`, changing `current` (and what it holds) in place: for a caller that
 * alone holds the part, a rebuild's write-back cache, where a student's part is folded ~70 times a
 * quarter and copying its maps on every mark was a third of a rebuild.
 */
export function applyToGridPart(current: GridPart | null, stored: StoredEvent): GridPart {
  const event = stored as unknown as JournalEvent;
  if (STUDENT_EVENTS.has(event.type)) {
    const studentId = (event.data as { studentId: string }).studentId;
    const part: GridStudentPart = current && !isLessonsPart(current) ? current : { studentId, marks: {}, attendance: {}, finalMark: null };
    switch (event.type) {
      case 'MarkRecorded': {
        // Kept whether or not its lesson counts: a read shows only entries whose lesson is in the lessons part.
        const d = event.data;
        part.marks[d.markId] = { id: d.markId, lessonId: d.lessonId, value: d.value, workKind: d.workKind, weight: d.weight, corrected: false, late: d.late };
        break;
      }
      case 'MarkCorrected': {
        const mark = part.marks[event.data.markId];
        if (mark) part.marks[mark.id] = { ...mark, value: event.data.after, corrected: true };
        break;
      }
      case 'AttendanceRecorded': {
        const d = event.data;
        part.attendance[d.attendanceId] = { id: d.attendanceId, lessonId: d.lessonId, code: d.code };
        break;
      }
      case 'AttendanceCorrected': {
        const entry = part.attendance[event.data.attendanceId];
        if (entry) part.attendance[entry.id] = { ...entry, code: event.data.after };
        break;
      }
      case 'FinalMarkSet':
        part.finalMark = { value: event.data.value, deferred: event.data.deferred };
        break;
    }
    return part;
  }
  return applyToLessonsPart(current && isLessonsPart(current) ? current : null, event);
}

/** The lessons part: what `evolveGrid` does to the whole grid's lessons, lock and students, on its own (a rebuild folds it ~10,000 times per journal). */
function applyToLessonsPart(current: GridLessonsPart | null, event: JournalEvent): GridLessonsPart {
  const part = current ?? { groupId: event.data.groupId, periodId: event.data.periodId, subjectId: null, locked: false, lessons: {}, studentIds: [], rosters: [], rosterOf: {} };
  switch (event.type) {
    case 'LessonRecorded': {
      const d = event.data;
      const known = new Set(part.studentIds);
      for (const id of d.studentIds) {
        if (known.has(id)) continue;
        known.add(id);
        part.studentIds.push(id);
      }
      let found = part.rosters.findIndex((roster) => sameList(roster, d.studentIds));
      if (found < 0) found = part.rosters.push([...d.studentIds]) - 1;
      part.subjectId = d.subjectId;
      part.lessons[d.lessonId] = { id: d.lessonId, date: d.date, slot: d.slot, topic: d.topic, homework: d.homework, workKinds: d.workKinds, taughtBy: d.taughtBy, substitutesFor: d.substitutesFor ?? null, late: d.late || d.homeworkLate };
      part.rosterOf[d.lessonId] = found;
      break;
    }
    case 'LessonCorrected': {
      const lesson = part.lessons[event.data.lessonId];
      if (lesson) part.lessons[lesson.id] = { ...lesson, [event.data.field]: event.data.after };
      break;
    }
    case 'PeriodLocked':
      part.locked = true;
      break;
    case 'PeriodUnlocked':
      part.locked = false;
      break;
  }
  return part;
}

/** What `applyToGridPart` changes for an event of this type, copied (entries are replaced, never changed, so one level is enough). */
function copyFor(part: GridPart, type: string): GridPart {
  if (isLessonsPart(part)) {
    switch (type) {
      case 'LessonRecorded':
        return { ...part, lessons: { ...part.lessons }, studentIds: [...part.studentIds], rosters: [...part.rosters], rosterOf: { ...part.rosterOf } };
      case 'LessonCorrected':
        return { ...part, lessons: { ...part.lessons } };
      default:
        return { ...part };
    }
  }
  switch (type) {
    case 'MarkRecorded':
    case 'MarkCorrected':
      return { ...part, marks: { ...part.marks } };
    case 'AttendanceRecorded':
    case 'AttendanceCorrected':
      return { ...part, attendance: { ...part.attendance } };
    default:
      return { ...part };
  }
}

const sameList = (a: readonly string[], b: readonly string[]) => a.length === b.length && a.every((x, i) => x === b[i]);

/**
 * One journal's grid from its parts (any order; parts of other journals must not be among them):
 * the shape `evolveGrid` folds the whole stream into. An entry shows only while its lesson is in
 * the lessons part — a lesson that does not count (void) takes its entries along.
 */
export function assembleGrid(groupId: string, periodId: string, parts: Iterable<GridPart>): JournalGridDoc | undefined {
  let lessons: GridLessonsPart | undefined;
  const students: GridStudentPart[] = [];
  for (const part of parts) {
    if (isLessonsPart(part)) lessons = part;
    else students.push(part);
  }
  if (!lessons && students.length === 0) return undefined;
  const doc = empty(groupId, periodId);
  if (lessons) Object.assign(doc, { subjectId: lessons.subjectId, locked: lessons.locked, lessons: lessons.lessons, studentIds: lessons.studentIds });
  for (const student of students) {
    const marks = Object.values(student.marks).filter((m) => doc.lessons[m.lessonId]);
    const attendance = Object.values(student.attendance).filter((a) => doc.lessons[a.lessonId]);
    if (marks.length > 0) doc.marks[student.studentId] = Object.fromEntries(marks.map((m) => [m.id, m]));
    if (attendance.length > 0) doc.attendance[student.studentId] = Object.fromEntries(attendance.map((a) => [a.id, a]));
    if (student.finalMark) doc.finalMarks[student.studentId] = student.finalMark;
  }
  return doc;
}

export const journalGrid: DocumentProjector<GridPart> = {
  name: 'journal-grid',
  // 2: marks and attendance kept by student. 3: entries need their lesson (a void lesson takes them along). 4: substitutesFor.
  // 5: kept in parts, a lessons part and one per student. 6: the lessons part keeps each lesson's roster (the diary reads it).
  version: 6,
  handles: JOURNAL_EVENT_TYPES,
  keys: (event) => {
    const data = event.data as { groupId?: string; periodId?: string; studentId?: string };
    if (!data.groupId || !data.periodId) return [];
    if (STUDENT_EVENTS.has(event.type)) return data.studentId ? [studentPartKey(data.groupId, data.periodId, data.studentId)] : [];
    return [lessonsPartKey(data.groupId, data.periodId)];
  },
  evolve: evolveGridPart,
  evolveInPlace: applyToGridPart,
};
