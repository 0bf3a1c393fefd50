import fc from 'fast-check';
import type { StoredEvent } from '../../src/event-store/envelope';
import { foldDocuments } from '../projector';
import { GridLessonsPart, GridStudentPart, journalGrid, lessonsPartKey, studentPartKey } from '../journal-grid/journal-grid.projector';
import { assembleDiaryWeek, DiaryWeekDoc, diary, diaryKey, dayPart, mondayOf } from './diary.projector';

const G = 'g1';
const P = 'p1';
const STUDENTS = ['s1', 's2', 's3', 's4'];
/** The class's roster changes: s4 joins, then s1 leaves. */
const ROSTERS = [['s1', 's2', 's3'], ['s1', 's2', 's3', 's4'], ['s2', 's3', 's4']];
const DATES = ['2026-09-07', '2026-09-09', '2026-09-11', '2026-09-14', '2026-09-16', '2026-09-20'];
let version = 0;

const event = (type: string, data: object): StoredEvent =>
  ({ type, data: { groupId: G, periodId: P, ...data }, stream: `journal-${G}-${P}`, streamVersion: ++version, actor: { accountId: 't', role: 'teacher', generation: 1 }, recordedAt: '2026-09-01T08:00:00.000Z' }) as unknown as StoredEvent;
const lesson = (lessonId: string, date: string, studentIds: string[]) =>
  event('LessonRecorded', { lessonId, subjectId: 'math', date, slot: 1, topic: 'Дроби', homework: '§ 1', workKinds: ['oral'], taughtBy: 't', late: false, homeworkLate: false, studentIds });

/**
 * The diary as it was kept before issue 14: each lesson's events folded into every rostered
 * student's week of that group. It is the definition the week assembled from the journal's parts
 * must equal.
 */
function foldedWeek(events: readonly StoredEvent[], studentId: string, monday: string): DiaryWeekDoc['lessons'] {
  const lessons: DiaryWeekDoc['lessons'] = {};
  for (const stored of events) {
    const d = stored.data as Record<string, never>;
    const inWeek = (date: string) => mondayOf(date) === monday;
    switch (stored.type) {
      case 'LessonRecorded':
        if (inWeek(d.date) && (d.studentIds as string[]).includes(studentId)) lessons[d.lessonId] = { lessonId: d.lessonId, groupId: d.groupId, subjectId: d.subjectId, date: d.date, slot: d.slot, topic: d.topic, homework: d.homework, marks: {}, attendance: null };
        break;
      case 'LessonCorrected':
        if (lessons[d.lessonId] && d.field !== 'workKinds') lessons[d.lessonId] = { ...lessons[d.lessonId], [d.field]: d.after };
        break;
      case 'MarkRecorded':
        if (d.studentId === studentId && lessons[d.lessonId]) lessons[d.lessonId].marks[d.markId] = { id: d.markId, value: d.value, workKind: d.workKind };
        break;
      case 'MarkCorrected': {
        const known = d.studentId === studentId ? lessons[d.lessonId]?.marks[d.markId] : undefined;
        if (known) known.value = d.after;
        break;
      }
      case 'AttendanceRecorded':
        if (d.studentId === studentId && lessons[d.lessonId]) lessons[d.lessonId].attendance = d.code;
        break;
      case 'AttendanceCorrected':
        if (d.studentId === studentId && lessons[d.lessonId]) lessons[d.lessonId].attendance = d.after;
        break;
    }
  }
  return lessons;
}

const assembled = (events: readonly StoredEvent[], studentId: string, monday: string) => {
  const parts = foldDocuments(journalGrid, events);
  const journal = { lessons: parts.get(lessonsPartKey(G, P)) as GridLessonsPart | undefined, student: parts.get(studentPartKey(G, P, studentId)) as GridStudentPart | undefined };
  return assembleDiaryWeek(studentId, monday, [journal], []);
};

describe('diary week assembled from the journal’s parts', () => {
  it('given a lesson without a student on its roster, then their diary does not show it, and a rostered student’s does with their mark', () => {
    const given = [lesson('l1', '2026-09-08', ['s1', 's2'])];
    const when = event('MarkRecorded', { markId: 'm1', lessonId: 'l1', lessonDate: '2026-09-08', studentId: 's1', value: 5, workKind: 'oral', weight: 1, late: false });
    expect(assembled([...given, when], 's3', '2026-09-07').lessons).toEqual({});
    expect(assembled([...given, when], 's1', '2026-09-07').lessons.l1).toEqual({
      lessonId: 'l1', groupId: G, subjectId: 'math', date: '2026-09-08', slot: 1, topic: 'Дроби', homework: '§ 1', marks: { m1: { id: 'm1', value: 5, workKind: 'oral' } }, attendance: null,
    });
  });

  it('given a lesson of 25 students, then the journal and the diary change one document for it, not one per student', () => {
    const roster = Array.from({ length: 25 }, (_, i) => `student-${i}`);
    const recorded = lesson('l1', '2026-09-08', roster);
    expect([...journalGrid.keys(recorded), ...diary.keys(recorded)]).toEqual([lessonsPartKey(G, P)]);
  });

  it('given a lesson of the next week, then this week does not show it', () => {
    expect(assembled([lesson('l1', '2026-09-14', STUDENTS)], 's1', '2026-09-07').lessons).toEqual({});
  });

  it('given day marks, then the diary keeps only them, by class and week', () => {
    const when = { ...event('DailyAbsenceRecorded', {}), data: { classId: 'c1', date: '2026-09-09', studentId: 's1', code: 'Б' } } as StoredEvent;
    const key = diaryKey('s1', '2026-09-09', dayPart('c1'));
    expect(diary.keys(when)).toEqual([key]);
    expect(diary.keys(lesson('l1', '2026-09-09', STUDENTS))).toEqual([]);
    const docs = foldDocuments(diary, [when]);
    expect(assembleDiaryWeek('s1', '2026-09-07', [], [docs.get(key)]).dailyAbsences).toEqual({ '2026-09-09': 'Б' });
  });

  it('equals the per-student fold of the lesson events for any journal history, every student and week', () => {
    const step = fc.record({
      kind: fc.constantFrom('lesson', 'mark', 'correctMark', 'attendance', 'correctAttendance', 'correctLesson', 'final'),
      n: fc.nat(60),
      value: fc.integer({ min: 1, max: 5 }),
    });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 100 }), (steps) => {
        const lessons: { id: string; date: string; roster: string[] }[] = [];
        const marks: { id: string; lessonId: string; date: string; studentId: string }[] = [];
        const attendance: { id: string; lessonId: string; date: string; studentId: string; code: string | null }[] = [];
        const events = steps.flatMap((s, i): StoredEvent[] => {
          const l = lessons[s.n % Math.max(1, lessons.length)];
          const studentId = l ? l.roster[s.n % l.roster.length] : 's1';
          switch (s.kind) {
            case 'lesson': {
              const roster = ROSTERS[s.n % ROSTERS.length];
              const date = DATES[s.n % DATES.length];
              lessons.push({ id: `l${i}`, date, roster });
              return [lesson(`l${i}`, date, roster)];
            }
            case 'mark':
              if (!l) return [];
              marks.push({ id: `m${i}`, lessonId: l.id, date: l.date, studentId });
              return [event('MarkRecorded', { markId: `m${i}`, lessonId: l.id, lessonDate: l.date, studentId, value: s.value, workKind: 'oral', weight: 1, late: false })];
            case 'correctMark': {
              const m = marks[s.n % Math.max(1, marks.length)];
              if (!m) return [];
              return [event('MarkCorrected', { markId: m.id, lessonId: m.lessonId, lessonDate: m.date, studentId: m.studentId, before: null, after: s.value === 1 ? null : s.value, reason: 'r' })];
            }
            case 'attendance': {
              // The decider refuses a second entry with a code for the same student and lesson.
              if (!l || attendance.some((a) => a.lessonId === l.id && a.studentId === studentId && a.code !== null)) return [];
              attendance.push({ id: `a${i}`, lessonId: l.id, date: l.date, studentId, code: 'Н' });
              return [event('AttendanceRecorded', { attendanceId: `a${i}`, lessonId: l.id, lessonDate: l.date, studentId, code: 'Н' })];
            }
            case 'correctAttendance': {
              const a = attendance[s.n % Math.max(1, attendance.length)];
              if (!a) return [];
              const after = s.value > 3 ? null : 'У';
              // The decider refuses a correction that changes nothing (journal.decider.ts, CorrectAttendance).
              if (after === a.code) return [];
              if (after !== null && attendance.some((b) => b !== a && b.lessonId === a.lessonId && b.studentId === a.studentId && b.code !== null)) return [];
              const before = a.code;
              a.code = after;
              return [event('AttendanceCorrected', { attendanceId: a.id, lessonId: a.lessonId, lessonDate: a.date, studentId: a.studentId, before, after, reason: 'r' })];
            }
            case 'correctLesson':
              return l ? [event('LessonCorrected', { lessonId: l.id, date: l.date, studentIds: l.roster, field: s.value > 2 ? 'topic' : 'homework', before: 'x', after: `Тема ${i}`, reason: 'r', afterLock: false })] : [];
            case 'final':
              return [event('FinalMarkSet', { studentId, value: String(s.value), deferred: false })];
          }
        });
        for (const studentId of STUDENTS) {
          for (const monday of ['2026-09-07', '2026-09-14']) expect(assembled(events, studentId, monday).lessons).toEqual(foldedWeek(events, studentId, monday));
        }
      }),
      { numRuns: 300 },
    );
  });
});
