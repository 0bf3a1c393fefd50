import { DomainError } from '../../common/domain-error';
import { decideJournal, evolveJournal, initialJournalState, JournalCommand, JournalContext, JournalEnvelope, JournalEvent } from './journal.decider';

const teacher = 'teacher-1';
const deputy = 'deputy-1';
const placed = { groupId: 'g1', periodId: 'q1' };
const ctx = (over: Partial<JournalContext> = {}): JournalContext => ({
  now: new Date('2026-09-07T10:00:00.000Z'),
  actorId: teacher,
  actorRole: 'teacher',
  isAssignedTeacher: true,
  isClassTeacher: false,
  groupId: 'g1',
  subjectId: 'math',
  period: { periodId: 'q1', startsOn: '2026-09-01', endsOn: '2026-10-25' },
  timezone: 'Europe/Moscow',
  holidays: [{ startsOn: '2026-10-01', endsOn: '2026-10-03' }],
  rosterOn: () => ['s1', 's2'],
  isStudent: (id) => ['s1', 's2', 's3'].includes(id),
  assignedTeacherIds: [teacher],
  substitutions: [],
  ...over,
});
const by = (accountId: string) => (event: JournalEvent): JournalEnvelope => ({ ...event, actor: { accountId } });

function given(history: JournalEnvelope[]) {
  const state = history.reduce(evolveJournal, initialJournalState());
  return {
    when: (command: JournalCommand, context = ctx()) => ({
      then: (expected: JournalEvent[]) => expect(decideJournal(command, state, context)).toEqual(expected),
      thenData: (expected: object) => expect(decideJournal(command, state, context)[0].data).toMatchObject(expected),
      thenRefuses: (code: string, field?: string) => {
        try {
          decideJournal(command, state, context);
        } catch (error) {
          expect(error).toBeInstanceOf(DomainError);
          expect({ code: (error as DomainError).code, field: (error as DomainError).field }).toEqual({ code, field });
          return;
        }
        throw new Error(`expected ${code}, but the command was accepted`);
      },
    }),
  };
}

const lesson = by(teacher)({
  type: 'LessonRecorded',
  data: {
    ...placed,
    lessonId: 'l1',
    subjectId: 'math',
    date: '2026-09-07',
    slot: 2,
    topic: 'Дроби',
    workKinds: ['classwork'],
    homework: '№ 12',
    taughtBy: teacher,
    substitutesFor: null,
    studentIds: ['s1', 's2'],
    dueAt: '2026-09-07T20:59:59.999Z',
    late: false,
    homeworkDueAt: '2026-09-07T10:10:00.000Z',
    homeworkLate: false,
  },
});
const mark = by(teacher)({ type: 'MarkRecorded', data: { ...placed, markId: 'm1', lessonId: 'l1', lessonDate: '2026-09-07', studentId: 's1', value: 4, workKind: 'classwork', weight: 1, dueAt: '2026-09-07T20:59:59.999Z', late: false } });
const final = (studentId: string, value: '5' | null, deferred = false) =>
  by(teacher)({ type: 'FinalMarkSet', data: { ...placed, studentId, value, deferred, before: null, reason: null, afterLock: false, dueAt: '2026-10-25T20:59:59.999Z', late: false } });
const locked = by(teacher)({ type: 'PeriodLocked', data: placed });
const recordLesson = (over: object = {}): JournalCommand => ({ type: 'RecordLesson', lessonId: 'l2', date: '2026-09-08', slot: 1, topic: 'Проценты', workKinds: [], homework: null, substitutesFor: null, ...over });

describe('journal decider', () => {
  describe('lessons', () => {
    it('given an open period, when the assigned teacher records a lesson, then LessonRecorded with the roster of that day and deadlines', () => {
      given([]).when(recordLesson(), ctx({ now: new Date('2026-09-08T05:00:00.000Z') })).thenData({
        lessonId: 'l2',
        homework: null,
        taughtBy: teacher,
        studentIds: ['s1', 's2'],
        dueAt: '2026-09-08T20:59:59.999Z',
        late: false,
        homeworkDueAt: '2026-09-08T09:15:00.000Z',
      });
    });
    it('flags, never blocks, a lesson entered after its day', () => {
      given([]).when(recordLesson(), ctx({ now: new Date('2026-09-10T05:00:00.000Z') })).thenData({ late: true, homeworkLate: true });
    });
    it('refuses a teacher of another group, also one naming the assigned teacher: a substitute needs a registered substitution', () => {
      given([]).when(recordLesson(), ctx({ actorId: 'teacher-9', isAssignedTeacher: false })).thenRefuses('FORBIDDEN');
      given([]).when(recordLesson({ substitutesFor: teacher }), ctx({ actorId: 'teacher-9', isAssignedTeacher: false })).thenRefuses('FORBIDDEN');
      given([]).when(recordLesson({ substitutesFor: 'nobody', substitute: null })).thenRefuses('NOT_FOUND', 'substitutesFor');
    });
    it('refuses a second lesson in the same slot, a date outside the period and a holiday', () => {
      given([lesson]).when(recordLesson({ date: '2026-09-07', slot: 2 })).thenRefuses('ALREADY_EXISTS');
      given([]).when(recordLesson({ date: '2026-11-02' })).thenRefuses('VALIDATION_FAILED', 'date');
      given([]).when(recordLesson({ date: '2026-10-02' })).thenRefuses('VALIDATION_FAILED', 'date');
    });
    it('corrects a topic with a reason, keeping the value before; refuses a correction that changes nothing', () => {
      given([lesson]).when({ type: 'CorrectLesson', lessonId: 'l1', field: 'topic', value: 'Обыкновенные дроби', reason: 'опечатка' }).then([
        { type: 'LessonCorrected', data: { ...placed, lessonId: 'l1', date: '2026-09-07', studentIds: ['s1', 's2'], field: 'topic', before: 'Дроби', after: 'Обыкновенные дроби', reason: 'опечатка', afterLock: false } },
      ]);
      given([lesson]).when({ type: 'CorrectLesson', lessonId: 'l1', field: 'topic', value: 'Дроби', reason: 'опечатка' }).thenRefuses('VALIDATION_FAILED', 'value');
    });
  });

  describe('marks', () => {
    it('given a lesson, when its teacher records a mark for a student of the group, then MarkRecorded', () => {
      given([lesson]).when({ type: 'RecordMark', markId: 'm2', lessonId: 'l1', studentId: 's2', value: 5, workKind: 'test', weight: 3 }).thenData({ value: 5, weight: 3, dueAt: '2026-09-12T20:59:59.999Z', late: false });
    });
    it('refuses a mark for a student not in the group on that date (400), and for an id that names no student (404)', () => {
      given([lesson]).when({ type: 'RecordMark', markId: 'm2', lessonId: 'l1', studentId: 's3', value: 5, workKind: 'oral', weight: 1 }).thenRefuses('VALIDATION_FAILED', 'studentId');
      given([lesson]).when({ type: 'RecordMark', markId: 'm2', lessonId: 'l1', studentId: 's9', value: 5, workKind: 'oral', weight: 1 }).thenRefuses('NOT_FOUND', 'studentId');
      given([lesson]).when({ type: 'RecordAttendance', attendanceId: 'a2', lessonId: 'l1', studentId: 's9', code: 'Н' }).thenRefuses('NOT_FOUND', 'studentId');
      given([]).when({ type: 'SetFinalMark', studentId: 's9', value: '5', reason: null }).thenRefuses('NOT_FOUND', 'studentId');
    });
    it('flags a classwork mark entered the next day as late', () => {
      given([lesson]).when({ type: 'RecordMark', markId: 'm2', lessonId: 'l1', studentId: 's2', value: 3, workKind: 'classwork', weight: 1 }, ctx({ now: new Date('2026-09-08T06:00:00.000Z') })).thenData({ late: true });
    });
    it('lets the author correct while open, with the value before; refuses another teacher and a correction that changes nothing', () => {
      given([lesson, mark]).when({ type: 'CorrectMark', markId: 'm1', value: 5, reason: 'пересчёт' }).thenData({ before: 4, after: 5, afterLock: false });
      given([lesson, mark]).when({ type: 'CorrectMark', markId: 'm1', value: 4, reason: 'пересчёт' }).thenRefuses('VALIDATION_FAILED', 'value');
      given([lesson, mark]).when({ type: 'CorrectMark', markId: 'm1', value: 5, reason: 'пересчёт' }, ctx({ actorId: 'teacher-2' })).thenRefuses('FORBIDDEN');
    });
    it('given a locked period, the teacher gets PERIOD_LOCKED; a deputy corrects, marked afterLock', () => {
      const history = [lesson, mark, final('s1', '5'), final('s2', null, true), locked];
      given(history).when({ type: 'CorrectMark', markId: 'm1', value: 5, reason: 'ошибка' }).thenRefuses('PERIOD_LOCKED');
      given(history).when({ type: 'RecordMark', markId: 'm3', lessonId: 'l1', studentId: 's2', value: 5, workKind: 'oral', weight: 1 }).thenRefuses('PERIOD_LOCKED');
      given(history).when({ type: 'CorrectMark', markId: 'm1', value: 5, reason: 'ошибка' }, ctx({ actorId: deputy, actorRole: 'deputy', isAssignedTeacher: false })).thenData({ afterLock: true, before: 4, after: 5 });
    });
    it('withdraws a mark with null', () => {
      given([lesson, mark]).when({ type: 'CorrectMark', markId: 'm1', value: null, reason: 'поставлена по ошибке' }).thenData({ before: 4, after: null });
    });
  });

  describe('attendance', () => {
    it('records once per student and lesson; the class teacher may correct it', () => {
      const absent = by(teacher)({ type: 'AttendanceRecorded', data: { ...placed, attendanceId: 'a1', lessonId: 'l1', lessonDate: '2026-09-07', studentId: 's1', code: 'Н' } });
      given([lesson, absent]).when({ type: 'RecordAttendance', attendanceId: 'a2', lessonId: 'l1', studentId: 's1', code: 'Б' }).thenRefuses('ALREADY_EXISTS');
      given([lesson, absent]).when({ type: 'CorrectAttendance', attendanceId: 'a1', code: 'У', reason: 'справка' }, ctx({ actorId: 'ct', isClassTeacher: true, isAssignedTeacher: false })).thenData({ before: 'Н', after: 'У' });
    });
  });

  describe('final marks and the lock', () => {
    it('needs a reason to change a set final mark', () => {
      given([final('s1', '5')]).when({ type: 'SetFinalMark', studentId: 's1', value: '4', reason: null }).thenRefuses('VALIDATION_FAILED', 'reason');
      given([final('s1', '5')]).when({ type: 'SetFinalMark', studentId: 's1', value: '4', reason: 'апелляция' }).thenData({ value: '4', before: { value: '5', deferred: false } });
    });
    it('records a deferral as no value, deferred', () => {
      given([]).when({ type: 'SetFinalMark', studentId: 's2', value: 'deferred', reason: null }).thenData({ value: null, deferred: true });
    });
    it('locks only when every student has a final mark or a deferral', () => {
      given([final('s1', '5')]).when({ type: 'LockPeriod' }).thenRefuses('FINAL_MARKS_MISSING');
      given([final('s1', '5'), final('s2', null, true)]).when({ type: 'LockPeriod' }).then([{ type: 'PeriodLocked', data: placed }]);
    });
    it('reopens only for the administration', () => {
      given([final('s1', '5'), final('s2', null, true), locked]).when({ type: 'UnlockPeriod', reason: 'ошибка в итогах' }).thenRefuses('FORBIDDEN');
      given([final('s1', '5'), final('s2', null, true), locked]).when({ type: 'UnlockPeriod', reason: 'ошибка в итогах' }, ctx({ actorRole: 'director', actorId: 'dir' })).thenData({ reason: 'ошибка в итогах' });
    });
  });
});

describe('journal decider: who writes what (API.md)', () => {
  it('marks and attendance are the lesson teacher’s alone: a deputy or the director is refused', () => {
    given([lesson]).when({ type: 'RecordMark', markId: 'm9', lessonId: 'l1', studentId: 's1', value: 5, workKind: 'oral', weight: 1 }, ctx({ actorRole: 'deputy', actorId: deputy, isAssignedTeacher: false })).thenRefuses('FORBIDDEN');
    given([lesson]).when({ type: 'RecordAttendance', attendanceId: 'a9', lessonId: 'l1', studentId: 's1', code: 'Н' }, ctx({ actorRole: 'director', actorId: 'dir', isAssignedTeacher: false })).thenRefuses('FORBIDDEN');
  });
  it('attendance corrections: not the director; marks: the director may', () => {
    const absent = by(teacher)({ type: 'AttendanceRecorded', data: { ...placed, attendanceId: 'a1', lessonId: 'l1', lessonDate: '2026-09-07', studentId: 's1', code: 'Н' } });
    given([lesson, absent]).when({ type: 'CorrectAttendance', attendanceId: 'a1', code: 'У', reason: 'справка' }, ctx({ actorRole: 'director', actorId: 'dir', isAssignedTeacher: false })).thenRefuses('FORBIDDEN');
    given([lesson, mark]).when({ type: 'CorrectMark', markId: 'm1', value: 5, reason: 'проверка' }, ctx({ actorRole: 'director', actorId: 'dir', isAssignedTeacher: false })).thenData({ after: 5 });
  });
});

describe('journal decider: substitutions and ended assignments (issue 12)', () => {
  const substitute = 'teacher-9';
  /** The substitute, with a substitution the deputy registered for 2026-09-08, slot 1. */
  const asSubstitute = (over: Partial<JournalContext> = {}) =>
    ctx({ actorId: substitute, isAssignedTeacher: false, substitutions: [{ teacherId: substitute, date: '2026-09-08', slot: 1 }], ...over });
  const subLesson = by(substitute)({ ...lesson, data: { ...lesson.data, lessonId: 'l3', date: '2026-09-08', slot: 1, taughtBy: substitute, substitutesFor: teacher } } as JournalEvent);

  it('given a registered substitution, when the substitute records that lesson, then taughtBy = the substitute and substitutesFor = the assigned teacher', () => {
    given([]).when(recordLesson(), asSubstitute()).thenData({ taughtBy: substitute, substitutesFor: teacher });
    given([]).when(recordLesson({ substitutesFor: teacher }), asSubstitute()).thenData({ taughtBy: substitute, substitutesFor: teacher });
    given([]).when(recordLesson({ substitutesFor: 'nobody' }), asSubstitute()).thenRefuses('VALIDATION_FAILED', 'substitutesFor');
  });

  it('refuses another date or slot than the substitution’s; a substitution without a slot covers the day', () => {
    given([]).when(recordLesson({ slot: 2 }), asSubstitute()).thenRefuses('FORBIDDEN');
    given([]).when(recordLesson({ date: '2026-09-09' }), asSubstitute()).thenRefuses('FORBIDDEN');
    given([]).when(recordLesson({ slot: 5 }), asSubstitute({ substitutions: [{ teacherId: substitute, date: '2026-09-08', slot: null }] })).thenData({ slot: 5, taughtBy: substitute });
    given([]).when(recordLesson(), asSubstitute({ substitutions: [{ teacherId: 'teacher-8', date: '2026-09-08', slot: 1 }] })).thenRefuses('FORBIDDEN');
  });

  it('the substitute writes that lesson’s marks and attendance, corrects their own entries, and nothing else of the group', () => {
    given([subLesson]).when({ type: 'RecordMark', markId: 'm5', lessonId: 'l3', studentId: 's1', value: 5, workKind: 'oral', weight: 1 }, asSubstitute()).thenData({ value: 5 });
    given([subLesson]).when({ type: 'RecordAttendance', attendanceId: 'a5', lessonId: 'l3', studentId: 's1', code: 'Б' }, asSubstitute()).thenData({ code: 'Б' });
    const subMark = by(substitute)({ type: 'MarkRecorded', data: { ...placed, markId: 'm5', lessonId: 'l3', lessonDate: '2026-09-08', studentId: 's1', value: 5, workKind: 'oral', weight: 1, dueAt: '2026-09-08T20:59:59.999Z', late: false } });
    given([subLesson, subMark]).when({ type: 'CorrectMark', markId: 'm5', value: 4, reason: 'пересчёт' }, asSubstitute()).thenData({ before: 5, after: 4 });
    given([lesson, subLesson]).when({ type: 'RecordMark', markId: 'm6', lessonId: 'l1', studentId: 's1', value: 5, workKind: 'oral', weight: 1 }, asSubstitute()).thenRefuses('FORBIDDEN');
    given([lesson, subLesson]).when({ type: 'SetFinalMark', studentId: 's1', value: '5', reason: null }, asSubstitute()).thenRefuses('FORBIDDEN');
    given([lesson, subLesson]).when({ type: 'LockPeriod' }, asSubstitute()).thenRefuses('FORBIDDEN');
  });

  it('a teacher whose assignment has ended (not assigned today) records, marks and corrects nothing, not even their own entries', () => {
    const ended = ctx({ isAssignedTeacher: false, assignedTeacherIds: [] });
    given([]).when(recordLesson(), ended).thenRefuses('FORBIDDEN');
    given([lesson]).when({ type: 'RecordMark', markId: 'm2', lessonId: 'l1', studentId: 's2', value: 5, workKind: 'oral', weight: 1 }, ended).thenRefuses('FORBIDDEN');
    given([lesson, mark]).when({ type: 'CorrectMark', markId: 'm1', value: 5, reason: 'пересчёт' }, ended).thenRefuses('FORBIDDEN');
    given([lesson]).when({ type: 'CorrectLesson', lessonId: 'l1', field: 'topic', value: 'Другое', reason: 'опечатка' }, ended).thenRefuses('FORBIDDEN');
  });
});

describe('journal decider: a correction names the value it was made against (before)', () => {
  const absent = by(teacher)({ type: 'AttendanceRecorded', data: { ...placed, attendanceId: 'a1', lessonId: 'l1', lessonDate: '2026-09-07', studentId: 's1', code: 'Н' } });
  const byDeputy = by(deputy)({ type: 'MarkCorrected', data: { ...placed, markId: 'm1', lessonId: 'l1', lessonDate: '2026-09-07', studentId: 's1', before: 4, after: 3, reason: 'пересчёт', afterLock: false } });

  it('given a mark 4 a deputy corrected to 3, when the teacher corrects 4→5 from an old grid, then CONCURRENT_MODIFICATION', () => {
    given([lesson, mark, byDeputy]).when({ type: 'CorrectMark', markId: 'm1', value: 5, reason: 'пересчёт', before: 4 }).thenRefuses('CONCURRENT_MODIFICATION');
    given([lesson, mark, byDeputy]).when({ type: 'CorrectMark', markId: 'm1', value: 5, reason: 'пересчёт', before: 3 }).thenData({ before: 3, after: 5 });
    given([lesson, mark, byDeputy]).when({ type: 'CorrectMark', markId: 'm1', value: 5, reason: 'пересчёт' }).thenData({ before: 3, after: 5 });
  });
  it('a stale before is a conflict even where the new value is what it is now; null is a value: a withdrawn mark', () => {
    given([lesson, mark, byDeputy]).when({ type: 'CorrectMark', markId: 'm1', value: 3, reason: 'пересчёт', before: 4 }).thenRefuses('CONCURRENT_MODIFICATION');
    const withdrawn = by(teacher)({ type: 'MarkCorrected', data: { ...placed, markId: 'm1', lessonId: 'l1', lessonDate: '2026-09-07', studentId: 's1', before: 4, after: null, reason: 'ошибка', afterLock: false } });
    given([lesson, mark, withdrawn]).when({ type: 'CorrectMark', markId: 'm1', value: 4, reason: 'вернуть', before: null }).thenData({ before: null, after: 4 });
    given([lesson, mark]).when({ type: 'CorrectMark', markId: 'm1', value: 5, reason: 'пересчёт', before: null }).thenRefuses('CONCURRENT_MODIFICATION');
  });
  it('attendance: a code or null', () => {
    given([lesson, absent]).when({ type: 'CorrectAttendance', attendanceId: 'a1', code: 'У', reason: 'справка', before: 'Б' }).thenRefuses('CONCURRENT_MODIFICATION');
    given([lesson, absent]).when({ type: 'CorrectAttendance', attendanceId: 'a1', code: 'У', reason: 'справка', before: null }).thenRefuses('CONCURRENT_MODIFICATION');
    given([lesson, absent]).when({ type: 'CorrectAttendance', attendanceId: 'a1', code: 'У', reason: 'справка', before: 'Н' }).thenData({ before: 'Н', after: 'У' });
  });
  it('lessons: the topic, the homework (null: «Не задано») and the work kinds the client saw', () => {
    const correct = (field: 'topic' | 'homework' | 'workKinds', value: string | string[] | null, before: string | string[] | null): JournalCommand => ({ type: 'CorrectLesson', lessonId: 'l1', field, value, reason: 'уточнение', before });
    given([lesson]).when(correct('topic', 'Десятичные дроби', 'Проценты')).thenRefuses('CONCURRENT_MODIFICATION');
    given([lesson]).when(correct('topic', 'Десятичные дроби', 'Дроби')).thenData({ before: 'Дроби', after: 'Десятичные дроби' });
    given([lesson]).when(correct('homework', null, null)).thenRefuses('CONCURRENT_MODIFICATION');
    given([lesson]).when(correct('homework', null, '№ 12')).thenData({ before: '№ 12', after: null });
    given([lesson]).when(correct('workKinds', ['test'], ['oral'])).thenRefuses('CONCURRENT_MODIFICATION');
    given([lesson]).when(correct('workKinds', ['test'], ['classwork'])).thenData({ before: ['classwork'], after: ['test'] });
  });
  it('final marks: the value as shown, "deferred", or null for none yet', () => {
    given([]).when({ type: 'SetFinalMark', studentId: 's1', value: '5', reason: null, before: '4' }).thenRefuses('CONCURRENT_MODIFICATION');
    given([]).when({ type: 'SetFinalMark', studentId: 's1', value: '5', reason: null, before: null }).thenData({ value: '5', before: null });
    given([final('s1', '5')]).when({ type: 'SetFinalMark', studentId: 's1', value: '4', reason: 'апелляция', before: null }).thenRefuses('CONCURRENT_MODIFICATION');
    given([final('s1', '5')]).when({ type: 'SetFinalMark', studentId: 's1', value: '4', reason: 'апелляция', before: '5' }).thenData({ value: '4' });
    given([final('s2', null, true)]).when({ type: 'SetFinalMark', studentId: 's2', value: '4', reason: 'сдал', before: 'deferred' }).thenData({ value: '4', before: { value: null, deferred: true } });
  });
  it('permissions and the lock come first: a stale before from someone who may not correct is still 403 / PERIOD_LOCKED', () => {
    given([lesson, mark, byDeputy]).when({ type: 'CorrectMark', markId: 'm1', value: 5, reason: 'пересчёт', before: 4 }, ctx({ actorId: 'teacher-2' })).thenRefuses('FORBIDDEN');
  });
});
