import { conflict, DomainError, forbidden, invalid, noSuch, notFound } from '../../common/domain-error';
import type { AccountFacts } from '../../school/domain/school.decider';
import { finalMarkDue, homeworkDue, lessonDue, markDue } from './deadlines';
import { AttendanceCode, FinalValue, MarkValue, WorkKind } from './journal.types';

/**
 * The journal of one group for one period, stream `journal-<groupId>-<periodId>`: the consistency
 * boundary that makes the period lock and the entries it guards one decision (SPEC §3, seed 003).
 * Every event names its group and period, so views need nothing else to place it.
 */
export const journalStream = (groupId: string, periodId: string) => `journal-${groupId}-${periodId}`;

interface Placed {
  groupId: string;
  periodId: string;
}
export type LessonField = 'topic' | 'homework' | 'workKinds';
type FieldValue = string | string[] | null;
export interface FinalMarkState {
  value: Exclude<FinalValue, 'deferred'> | null;
  deferred: boolean;
}

export type JournalEvent =
  | {
      type: 'LessonRecorded';
      data: Placed & {
        lessonId: string;
        subjectId: string;
        date: string;
        slot: number;
        topic: string;
        workKinds: WorkKind[];
        /** null: «Не задано» (seed 003 §4). */
        homework: string | null;
        taughtBy: string;
        substitutesFor: string | null;
        /** Students of the group that day: whose diaries the lesson is in. */
        studentIds: string[];
        dueAt: string;
        late: boolean;
        homeworkDueAt: string;
        homeworkLate: boolean;
      };
    }
  | {
      type: 'LessonCorrected';
      data: Placed & { lessonId: string; date: string; studentIds: string[]; field: LessonField; before: FieldValue; after: FieldValue; reason: string; afterLock: boolean };
    }
  | {
      type: 'MarkRecorded';
      data: Placed & { markId: string; lessonId: string; lessonDate: string; studentId: string; value: MarkValue; workKind: WorkKind; weight: number; dueAt: string; late: boolean };
    }
  | {
      type: 'MarkCorrected';
      data: Placed & { markId: string; lessonId: string; lessonDate: string; studentId: string; before: MarkValue | null; after: MarkValue | null; reason: string; afterLock: boolean };
    }
  | { type: 'AttendanceRecorded'; data: Placed & { attendanceId: string; lessonId: string; lessonDate: string; studentId: string; code: AttendanceCode } }
  | {
      type: 'AttendanceCorrected';
      data: Placed & {
        attendanceId: string;
        lessonId: string;
        lessonDate: string;
        studentId: string;
        before: AttendanceCode | null;
        after: AttendanceCode | null;
        reason: string;
        afterLock: boolean;
      };
    }
  | {
      type: 'FinalMarkSet';
      data: Placed & { studentId: string; value: FinalMarkState['value']; deferred: boolean; before: FinalMarkState | null; reason: string | null; afterLock: boolean; dueAt: string; late: boolean };
    }
  | { type: 'PeriodLocked'; data: Placed }
  | { type: 'PeriodUnlocked'; data: Placed & { reason: string } };

/** A substitution the deputy registered in the group (seed 003); `slot` null: the whole day. */
export interface GroupSubstitution {
  teacherId: string;
  date: string;
  slot: number | null;
}

/** What the deciding side knows besides the journal itself: who acts, when, and the school's facts. */
export interface JournalContext {
  now: Date;
  actorId: string;
  /** The role the access policy let the actor act in. */
  actorRole: string;
  /**
   * Facts of the school's today (its time zone; rights follow the date): whether the actor teaches
   * the group, and is the class teacher of its class. An assignment that has ended is no assignment.
   */
  isAssignedTeacher: boolean;
  isClassTeacher: boolean;
  groupId: string;
  subjectId: string;
  period: { periodId: string; startsOn: string; endsOn: string };
  timezone: string;
  holidays: { startsOn: string; endsOn: string }[];
  /** Students of the group on a date. */
  rosterOn(date: string): string[];
  /** Whether an id names a student of the school at all (else 404, where one of another group is a 400). */
  isStudent(studentId: string): boolean;
  /** Accounts that teach the group today (a lesson's `substitutesFor` must name one of them). */
  assignedTeacherIds: string[];
  /** Substitutions registered in the group. */
  substitutions: readonly GroupSubstitution[];
}

/**
 * `before` on a correction is the value the client saw (issue 13): given and no longer the value,
 * someone changed it meanwhile and the correction is refused (409) rather than silently winning.
 * Left out (undefined), the correction applies to whatever the value is now.
 */
export type JournalCommand =
  | {
      type: 'RecordLesson';
      lessonId: string;
      date: string;
      slot: number;
      topic: string;
      workKinds: WorkKind[];
      homework: string | null;
      substitutesFor: string | null;
      /** The substitute's account as the handler found it: null when substitutesFor names no account. */
      substitute?: AccountFacts | null;
    }
  | { type: 'CorrectLesson'; lessonId: string; field: LessonField; value: FieldValue; reason: string; before?: FieldValue }
  | { type: 'RecordMark'; markId: string; lessonId: string; studentId: string; value: MarkValue; workKind: WorkKind; weight: number }
  | { type: 'CorrectMark'; markId: string; value: MarkValue | null; reason: string; before?: MarkValue | null }
  | { type: 'RecordAttendance'; attendanceId: string; lessonId: string; studentId: string; code: AttendanceCode }
  | { type: 'CorrectAttendance'; attendanceId: string; code: AttendanceCode | null; reason: string; before?: AttendanceCode | null }
  /** `before` as the client sees a final mark: a value, "deferred", or null for none set. */
  | { type: 'SetFinalMark'; studentId: string; value: FinalValue; reason: string | null; before?: FinalValue | null }
  | { type: 'LockPeriod' }
  | { type: 'UnlockPeriod'; reason: string };

export interface LessonState {
  lessonId: string;
  date: string;
  studentIds: string[];
  slot: number;
  topic: string;
  workKinds: WorkKind[];
  homework: string | null;
  taughtBy: string;
  recordedBy: string;
}
export interface MarkState {
  markId: string;
  lessonId: string;
  lessonDate: string;
  studentId: string;
  value: MarkValue | null;
  workKind: WorkKind;
  weight: number;
  recordedBy: string;
}
export interface AttendanceState {
  attendanceId: string;
  lessonId: string;
  lessonDate: string;
  studentId: string;
  code: AttendanceCode | null;
  recordedBy: string;
}

export interface JournalState {
  locked: boolean;
  lessons: Record<string, LessonState>;
  marks: Record<string, MarkState>;
  attendance: Record<string, AttendanceState>;
  finalMarks: Record<string, FinalMarkState>;
}

export const initialJournalState = (): JournalState => ({ locked: false, lessons: {}, marks: {}, attendance: {}, finalMarks: {} });

const periodLocked = () => conflict('PERIOD_LOCKED', 'The period is closed: its final marks are set. Only a deputy or the director may correct it, with a reason.');
const isAdministration = (ctx: JournalContext) => ctx.actorRole === 'deputy' || ctx.actorRole === 'director';
const sameValue = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);

/** A substitution registered for the actor in this group on that date (and slot, if it names one). */
const substitutes = (ctx: JournalContext, date: string, slot: number) =>
  ctx.substitutions.some((s) => s.teacherId === ctx.actorId && s.date === date && (s.slot === null || s.slot === slot));

/**
 * The actor teaches this lesson now: assigned to the group today, or its substitute — who taught it
 * on a registered substitution. A substitute writes that lesson's entries and nothing else of the group.
 */
const teachesLesson = (ctx: JournalContext, lesson: LessonState | undefined) =>
  ctx.isAssignedTeacher || (!!lesson && lesson.taughtBy === ctx.actorId && substitutes(ctx, lesson.date, lesson.slot));

/** Teachers write only in the groups they teach (seed 003 §1) and never in a closed period. */
function requireTeacherOfGroup(ctx: JournalContext, state: JournalState): void {
  if (ctx.actorRole === 'teacher' && !ctx.isAssignedTeacher) throw forbidden('Only a teacher assigned to this group writes in its journal.');
  if (state.locked && !isAdministration(ctx)) throw periodLocked();
}

/** The teacher of the lesson (one assigned to the group, or its substitute) writes its marks and attendance. */
function requireTeacherOfLesson(ctx: JournalContext, state: JournalState, lesson: LessonState): void {
  if (ctx.actorRole !== 'teacher' || !teachesLesson(ctx, lesson)) throw forbidden('Only the teacher of this lesson writes its marks and attendance.');
  if (state.locked) throw periodLocked();
}

/**
 * Corrections: the author while the period is open and while they still teach the lesson (its
 * group, or as its substitute); the administration always, with a reason.
 */
function requireCorrector(ctx: JournalContext, state: JournalState, authorId: string, lesson: LessonState | undefined, alsoClassTeacher = false): boolean {
  // Attendance (alsoClassTeacher) is the deputy's and the class teacher's to correct, not the director's (API.md).
  if (ctx.actorRole === 'deputy' || (ctx.actorRole === 'director' && !alsoClassTeacher)) return state.locked;
  if (state.locked) throw periodLocked();
  if (ctx.actorRole === 'teacher' && authorId === ctx.actorId && teachesLesson(ctx, lesson)) return false;
  if (ctx.actorRole === 'teacher' && alsoClassTeacher && ctx.isClassTeacher) return false;
  throw forbidden('Only the author of an entry, while the period is open, or the administration may correct it.');
}

function requireInRoster(ctx: JournalContext, studentId: string, date: string): void {
  if (ctx.rosterOn(date).includes(studentId)) return;
  if (!ctx.isStudent(studentId)) throw noSuch('studentId', 'student of this school');
  throw invalid('studentId', `is not a student of this group on ${date}`);
}

const shown = (value: unknown): string => (value === null || (Array.isArray(value) && value.length === 0) ? 'empty' : Array.isArray(value) ? value.join(', ') : `"${String(value)}"`);

/** The correction's `before`, when given, must still be the value (see JournalCommand). */
function requireUnchanged(before: unknown, current: unknown, what: string): void {
  if (before === undefined || sameValue(before, current)) return;
  throw conflict('CONCURRENT_MODIFICATION', `The ${what} was changed since you saw it: it is ${shown(current)} now, not ${shown(before)}. Reload and decide again.`);
}

/** A final mark as clients see and send it: its value, "deferred", or null for none. */
const finalValueOf = (mark: FinalMarkState | null): FinalValue | null => (mark === null ? null : mark.deferred ? 'deferred' : mark.value);

export function decideJournal(command: JournalCommand, state: JournalState, ctx: JournalContext): JournalEvent[] {
  const placed = { groupId: ctx.groupId, periodId: ctx.period.periodId };
  const now = ctx.now.getTime();
  switch (command.type) {
    case 'RecordLesson': {
      const assigned = ctx.assignedTeacherIds;
      let substitutesFor = command.substitutesFor;
      // A teacher not assigned to the group records its lesson only on a substitution the deputy registered (seed 003).
      if (ctx.actorRole === 'teacher' && !ctx.isAssignedTeacher) {
        if (!substitutes(ctx, command.date, command.slot)) {
          throw forbidden(
            `No substitution is registered for you in this group on ${command.date} (slot ${command.slot}): only its assigned teachers, or a substitute a deputy registered, record its lessons.`,
          );
        }
        substitutesFor = command.substitutesFor ?? assigned[0] ?? null;
      }
      if (command.substitutesFor && !assigned.includes(command.substitutesFor)) {
        throw command.substitute === null ? noSuch('substitutesFor', 'account') : invalid('substitutesFor', 'must be a teacher assigned to this group');
      }
      if (state.locked && !isAdministration(ctx)) throw periodLocked();
      if (command.date < ctx.period.startsOn || command.date > ctx.period.endsOn) throw invalid('date', 'must lie inside the period');
      if (ctx.holidays.some((h) => command.date >= h.startsOn && command.date <= h.endsOn)) throw invalid('date', 'falls in the holidays');
      if (Object.values(state.lessons).some((l) => l.date === command.date && l.slot === command.slot)) {
        throw conflict('ALREADY_EXISTS', `The group already has a lesson on ${command.date} in slot ${command.slot}.`);
      }
      const dueAt = lessonDue(command.date, ctx.timezone);
      const homeworkDueAt = homeworkDue(command.date, command.slot, ctx.timezone);
      return [
        {
          type: 'LessonRecorded',
          data: {
            ...placed,
            lessonId: command.lessonId,
            subjectId: ctx.subjectId,
            date: command.date,
            slot: command.slot,
            topic: command.topic,
            workKinds: command.workKinds,
            homework: command.homework,
            taughtBy: ctx.actorId,
            substitutesFor,
            studentIds: ctx.rosterOn(command.date),
            dueAt: dueAt.toISOString(),
            late: now > dueAt.getTime(),
            homeworkDueAt: homeworkDueAt.toISOString(),
            homeworkLate: now > homeworkDueAt.getTime(),
          },
        },
      ];
    }

    case 'CorrectLesson': {
      const lesson = state.lessons[command.lessonId];
      if (!lesson) throw notFound('lesson');
      const afterLock = requireCorrector(ctx, state, lesson.recordedBy, lesson);
      const before = lesson[command.field];
      requireUnchanged(command.before, before, `lesson's ${command.field}`);
      if (sameValue(before, command.value)) throw invalid('value', 'is what the lesson says already: a correction must change something');
      return [
        {
          type: 'LessonCorrected',
          data: { ...placed, lessonId: lesson.lessonId, date: lesson.date, studentIds: lesson.studentIds, field: command.field, before, after: command.value, reason: command.reason, afterLock },
        },
      ];
    }

    case 'RecordMark': {
      const lesson = state.lessons[command.lessonId];
      if (!lesson) throw notFound('lesson');
      requireTeacherOfLesson(ctx, state, lesson);
      requireInRoster(ctx, command.studentId, lesson.date);
      const dueAt = markDue(lesson.date, command.workKind, ctx.timezone);
      return [
        {
          type: 'MarkRecorded',
          data: {
            ...placed,
            markId: command.markId,
            lessonId: lesson.lessonId,
            lessonDate: lesson.date,
            studentId: command.studentId,
            value: command.value,
            workKind: command.workKind,
            weight: command.weight,
            dueAt: dueAt.toISOString(),
            late: now > dueAt.getTime(),
          },
        },
      ];
    }

    case 'CorrectMark': {
      const mark = state.marks[command.markId];
      if (!mark) throw notFound('mark');
      const afterLock = requireCorrector(ctx, state, mark.recordedBy, state.lessons[mark.lessonId]);
      requireUnchanged(command.before, mark.value, 'mark');
      if (mark.value === command.value) throw invalid('value', 'is the mark already: a correction must change something');
      return [
        {
          type: 'MarkCorrected',
          data: { ...placed, markId: mark.markId, lessonId: mark.lessonId, lessonDate: mark.lessonDate, studentId: mark.studentId, before: mark.value, after: command.value, reason: command.reason, afterLock },
        },
      ];
    }

    case 'RecordAttendance': {
      const lesson = state.lessons[command.lessonId];
      if (!lesson) throw notFound('lesson');
      requireTeacherOfLesson(ctx, state, lesson);
      requireInRoster(ctx, command.studentId, lesson.date);
      if (Object.values(state.attendance).some((a) => a.lessonId === lesson.lessonId && a.studentId === command.studentId && a.code !== null)) {
        throw conflict('ALREADY_EXISTS', 'Attendance for this student on this lesson is recorded already; correct it instead.');
      }
      return [
        { type: 'AttendanceRecorded', data: { ...placed, attendanceId: command.attendanceId, lessonId: lesson.lessonId, lessonDate: lesson.date, studentId: command.studentId, code: command.code } },
      ];
    }

    case 'CorrectAttendance': {
      const entry = state.attendance[command.attendanceId];
      if (!entry) throw notFound('attendance entry');
      const afterLock = requireCorrector(ctx, state, entry.recordedBy, state.lessons[entry.lessonId], true);
      requireUnchanged(command.before, entry.code, 'attendance entry');
      if (entry.code === command.code) throw invalid('code', 'is the code already: a correction must change something');
      return [
        {
          type: 'AttendanceCorrected',
          data: {
            ...placed,
            attendanceId: entry.attendanceId,
            lessonId: entry.lessonId,
            lessonDate: entry.lessonDate,
            studentId: entry.studentId,
            before: entry.code,
            after: command.code,
            reason: command.reason,
            afterLock,
          },
        },
      ];
    }

    case 'SetFinalMark': {
      requireTeacherOfGroup(ctx, state);
      const today = ctx.now.toISOString().slice(0, 10);
      const onDate = today < ctx.period.endsOn ? (today > ctx.period.startsOn ? today : ctx.period.startsOn) : ctx.period.endsOn;
      requireInRoster(ctx, command.studentId, onDate);
      const before = state.finalMarks[command.studentId] ?? null;
      requireUnchanged(command.before, finalValueOf(before), 'final mark');
      const deferred = command.value === 'deferred';
      const value = deferred ? null : (command.value as FinalMarkState['value']);
      if (before && !command.reason) throw invalid('reason', 'is required to change a final mark that is set');
      if (before && before.value === value && before.deferred === deferred) throw invalid('value', 'is the final mark already');
      const dueAt = finalMarkDue(ctx.period.endsOn, ctx.timezone);
      return [
        {
          type: 'FinalMarkSet',
          data: { ...placed, studentId: command.studentId, value, deferred, before, reason: command.reason, afterLock: state.locked, dueAt: dueAt.toISOString(), late: now > dueAt.getTime() },
        },
      ];
    }

    case 'LockPeriod': {
      requireTeacherOfGroup(ctx, state);
      if (state.locked) throw periodLocked();
      const students = ctx.rosterOn(ctx.period.endsOn);
      const missing = students.filter((id) => !state.finalMarks[id]);
      if (missing.length > 0) {
        throw conflict('FINAL_MARKS_MISSING', `${missing.length} student(s) have no final mark or deferral yet: the period cannot be closed.`);
      }
      return [{ type: 'PeriodLocked', data: placed }];
    }

    case 'UnlockPeriod':
      if (!isAdministration(ctx)) throw forbidden('Only a deputy or the director reopens a period.');
      if (!state.locked) throw conflict('ALREADY_EXISTS', 'The period is open already.');
      return [{ type: 'PeriodUnlocked', data: { ...placed, reason: command.reason } }];

    default: {
      const never: never = command;
      throw new DomainError(400, 'VALIDATION_FAILED', `unknown command ${(never as { type: string }).type}`);
    }
  }
}

/**
 * Author of each entry comes from the envelope: evolve takes it as the event's actor.
 *
 * Total over any subsequence of the stream: decisions fold only the events that count, so a
 * correction may arrive without the entry it corrects (the entry's author was reported and the
 * correction was someone else's). Such a correction counts for nothing, as if the entry had never
 * been (it stays in the log, and in the incident's review as a correction of a void entry).
 */
export type JournalEnvelope = JournalEvent & { actor?: { accountId: string } };

export function evolveJournal(state: JournalState, event: JournalEnvelope): JournalState {
  const author = event.actor?.accountId ?? '';
  switch (event.type) {
    case 'LessonRecorded': {
      const { lessonId, date, studentIds, slot, topic, workKinds, homework, taughtBy } = event.data;
      return { ...state, lessons: { ...state.lessons, [lessonId]: { lessonId, date, studentIds, slot, topic, workKinds, homework, taughtBy, recordedBy: author } } };
    }
    case 'LessonCorrected': {
      const lesson = state.lessons[event.data.lessonId];
      if (!lesson) return state;
      return { ...state, lessons: { ...state.lessons, [lesson.lessonId]: { ...lesson, [event.data.field]: event.data.after } } };
    }
    case 'MarkRecorded': {
      const { markId, lessonId, lessonDate, studentId, value, workKind, weight } = event.data;
      return { ...state, marks: { ...state.marks, [markId]: { markId, lessonId, lessonDate, studentId, value, workKind, weight, recordedBy: author } } };
    }
    case 'MarkCorrected': {
      const mark = state.marks[event.data.markId];
      if (!mark) return state;
      return { ...state, marks: { ...state.marks, [mark.markId]: { ...mark, value: event.data.after } } };
    }
    case 'AttendanceRecorded': {
      const { attendanceId, lessonId, lessonDate, studentId, code } = event.data;
      return { ...state, attendance: { ...state.attendance, [attendanceId]: { attendanceId, lessonId, lessonDate, studentId, code, recordedBy: author } } };
    }
    case 'AttendanceCorrected': {
      const entry = state.attendance[event.data.attendanceId];
      if (!entry) return state;
      return { ...state, attendance: { ...state.attendance, [entry.attendanceId]: { ...entry, code: event.data.after } } };
    }
    case 'FinalMarkSet':
      return { ...state, finalMarks: { ...state.finalMarks, [event.data.studentId]: { value: event.data.value, deferred: event.data.deferred } } };
    case 'PeriodLocked':
      return { ...state, locked: true };
    case 'PeriodUnlocked':
      return { ...state, locked: false };
    default:
      return state;
  }
}

export const journalDecider = { initialState: initialJournalState, evolve: evolveJournal, voidable: true };
