import fc from 'fast-check';
import type { StoredEvent } from '../../src/event-store/envelope';
import { foldDocuments } from '../projector';
import { bothFolds } from '../../test/support/in-place';
import { assembleGrid, evolveGrid, journalGrid, JournalGridDoc, lessonsPartKey, studentPartKey } from './journal-grid.projector';

const G = 'g1';
const P = 'p1';
const STUDENTS = ['s1', 's2', 's3', 's4'];
let version = 0;

const event = (type: string, data: object): StoredEvent =>
  ({ type, data: { groupId: G, periodId: P, ...data }, stream: `journal-${G}-${P}`, streamVersion: ++version, actor: { accountId: 't', role: 'teacher', generation: 1 }, recordedAt: '2026-09-01T08:00:00.000Z' }) as unknown as StoredEvent;
const lesson = (lessonId: string, roster: readonly string[] = STUDENTS) =>
  event('LessonRecorded', { lessonId, subjectId: 'math', date: '2026-09-01', slot: 1, topic: 'Дроби', homework: null, workKinds: ['oral'], taughtBy: 't', late: false, homeworkLate: false, studentIds: roster });
const mark = (markId: string, lessonId: string, studentId: string, value: number) => event('MarkRecorded', { markId, lessonId, studentId, value, workKind: 'oral', weight: 1, late: false });

/** The whole grid folded the way it was kept before parts (one document): what a read must still show. */
const wholeGrid = (events: readonly StoredEvent[]) => events.reduce<JournalGridDoc | null>((doc, e) => evolveGrid(doc, e), null) ?? undefined;
const fromParts = (events: readonly StoredEvent[]) => assembleGrid(G, P, foldDocuments(journalGrid, events).values());

/** A random journal history: lessons (rosters that change), marks, attendance, their corrections, final marks, locks. */
const step = fc.record({
  kind: fc.constantFrom('lesson', 'mark', 'correctMark', 'attendance', 'correctAttendance', 'final', 'lock', 'unlock', 'correctLesson', 'orphanMark'),
  n: fc.nat(40),
  value: fc.integer({ min: 1, max: 5 }),
});

function historyOf(steps: readonly { kind: string; n: number; value: number }[]): StoredEvent[] {
  const lessons: string[] = [];
  const marks: { id: string; studentId: string }[] = [];
  const absences: { id: string; studentId: string }[] = [];
  const events = steps.flatMap((s, i): StoredEvent[] => {
    const studentId = STUDENTS[s.n % STUDENTS.length];
    const lessonId = lessons[s.n % Math.max(1, lessons.length)];
    switch (s.kind) {
      case 'lesson':
        lessons.push(`l${i}`);
        // Now and then a smaller roster (a student away on a trip, a group split): rosters change.
        return [lesson(`l${i}`, s.value > 3 ? STUDENTS.slice(0, 2 + (s.n % 3)) : STUDENTS)];
      case 'mark':
        if (!lessonId) return [];
        marks.push({ id: `m${i}`, studentId });
        return [mark(`m${i}`, lessonId, studentId, s.value)];
      case 'orphanMark':
        return [mark(`m${i}`, `never-${i}`, studentId, s.value)];
      case 'correctMark': {
        const m = marks[s.n % Math.max(1, marks.length)] ?? { id: 'unknown', studentId };
        return [event('MarkCorrected', { markId: m.id, studentId: m.studentId, before: null, after: s.value === 1 ? null : s.value, reason: 'r' })];
      }
      case 'attendance':
        if (!lessonId) return [];
        absences.push({ id: `a${i}`, studentId });
        return [event('AttendanceRecorded', { attendanceId: `a${i}`, lessonId, studentId, code: 'Н' })];
      case 'correctAttendance': {
        const a = absences[s.n % Math.max(1, absences.length)] ?? { id: 'unknown', studentId };
        return [event('AttendanceCorrected', { attendanceId: a.id, studentId: a.studentId, before: 'Н', after: s.value > 3 ? null : 'У', reason: 'r' })];
      }
      case 'final':
        return [event('FinalMarkSet', { studentId, value: String(s.value), deferred: s.value === 2 })];
      case 'lock':
        return [event('PeriodLocked', {})];
      case 'unlock':
        return [event('PeriodUnlocked', {})];
      case 'correctLesson':
        return lessonId ? [event('LessonCorrected', { lessonId, field: 'topic', before: 'Дроби', after: `Тема ${i}`, reason: 'r' })] : [];
      default:
        throw new Error(`no step ${s.kind}`);
    }
  });
  return events;
}

describe('journal grid kept in parts', () => {
  it('given a lesson, when a mark is recorded, then only that student’s part changes', () => {
    const given = [lesson('l1')];
    const when = mark('m1', 'l1', 's1', 5);
    expect(journalGrid.keys(when)).toEqual([studentPartKey(G, P, 's1')]);
    expect(journalGrid.keys(given[0])).toEqual([lessonsPartKey(G, P)]);
    const parts = foldDocuments(journalGrid, [...given, when]);
    expect(parts.get(studentPartKey(G, P, 's1'))).toEqual({ studentId: 's1', marks: { m1: { id: 'm1', lessonId: 'l1', value: 5, workKind: 'oral', weight: 1, corrected: false, late: false } }, attendance: {}, finalMark: null });
  });

  it('given a mark whose lesson does not count (void, so never folded), then the grid does not show it', () => {
    const grid = fromParts([lesson('l1'), mark('m1', 'l2', 's1', 4), mark('m2', 'l1', 's2', 3)]);
    expect(grid?.marks).toEqual({ s2: { m2: expect.objectContaining({ value: 3 }) } });
  });

  it('given a journal of 30 students × 60 lessons, then no part is larger than a few kilobytes', () => {
    const events: StoredEvent[] = [];
    const students = Array.from({ length: 30 }, (_, i) => `student-${i}`);
    for (let l = 0; l < 60; l++) {
      events.push(lesson(`lesson-${l}`));
      for (const s of students) events.push(mark(`mark-${l}-${s}`, `lesson-${l}`, s, 4));
    }
    const parts = foldDocuments(journalGrid, events);
    const sizes = [...parts.values()].map((part) => JSON.stringify(part).length);
    const whole = JSON.stringify(wholeGrid(events)).length;
    expect(whole).toBeGreaterThan(150_000);
    // The biggest part is the lessons one (60 lessons); a student's part holds their 60 marks.
    expect(Math.max(...sizes)).toBeLessThan(20_000);
  });
  it('assembled, equals the whole-grid fold for any journal history', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
        const events = historyOf(steps);
        expect(fromParts(events)).toEqual(wholeGrid(events));
      }),
      { numRuns: 300 },
    );
  });

  it('folded in place (a rebuild’s cache), equals the pure fold, and the pure fold never changes the part it is given', () => {
    fc.assert(
      fc.property(fc.array(step, { maxLength: 120 }), (steps) => {
        // Frozen: a pure fold that changed what it was given would throw here.
        const { inPlace, pure } = bothFolds(journalGrid, historyOf(steps));
        expect(inPlace).toEqual(pure);
      }),
      { numRuns: 300 },
    );
  });
});
