import type { StoredEvent } from '../../src/event-store/envelope';
import type { JournalEvent } from '../../src/journal/domain/journal.decider';
import { DocumentProjector } from '../projector';

/** The journal of one group for one period (API.md "journal"), keyed `groupId:periodId`. */
export interface JournalGridDoc {
  groupId: string;
  periodId: string;
  subjectId: string | null;
  locked: boolean;
  lessons: Record<string, { id: string; date: string; slot: number; topic: string; homework: string | null; workKinds: string[]; taughtBy: string; late: boolean }>;
  marks: Record<string, { id: string; lessonId: string; studentId: string; value: number | null; workKind: string; weight: number; corrected: boolean; late: boolean }>;
  attendance: Record<string, { id: string; lessonId: string; studentId: string; code: string | null }>;
  finalMarks: Record<string, { value: string | null; deferred: boolean }>;
  /** Everyone who was in the group on a lesson day. */
  studentIds: string[];
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
        lessons: { ...doc.lessons, [d.lessonId]: { id: d.lessonId, date: d.date, slot: d.slot, topic: d.topic, homework: d.homework, workKinds: d.workKinds, taughtBy: d.taughtBy, late: d.late || d.homeworkLate } },
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
      return { ...doc, marks: { ...doc.marks, [d.markId]: { id: d.markId, lessonId: d.lessonId, studentId: d.studentId, value: d.value, workKind: d.workKind, weight: d.weight, corrected: false, late: d.late } } };
    }
    case 'MarkCorrected': {
      const mark = doc.marks[event.data.markId];
      if (!mark) return doc;
      return { ...doc, marks: { ...doc.marks, [mark.id]: { ...mark, value: event.data.after, corrected: true } } };
    }
    case 'AttendanceRecorded': {
      const d = event.data;
      return { ...doc, attendance: { ...doc.attendance, [d.attendanceId]: { id: d.attendanceId, lessonId: d.lessonId, studentId: d.studentId, code: d.code } } };
    }
    case 'AttendanceCorrected': {
      const entry = doc.attendance[event.data.attendanceId];
      if (!entry) return doc;
      return { ...doc, attendance: { ...doc.attendance, [entry.id]: { ...entry, code: event.data.after } } };
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

export const journalGrid: DocumentProjector<JournalGridDoc> = {
  name: 'journal-grid',
  version: 1,
  handles: JOURNAL_EVENT_TYPES,
  keys: (event) => {
    const data = event.data as { groupId?: string; periodId?: string };
    return data.groupId && data.periodId ? [gridKey(data.groupId, data.periodId)] : [];
  },
  evolve: evolveGrid,
};
