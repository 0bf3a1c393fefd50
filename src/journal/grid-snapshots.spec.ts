import fc from 'fast-check';
import { journalGrid } from '../../projections/journal-grid/journal-grid.projector';
import { foldDocuments } from '../../projections/projector';
import { StoredEvent } from '../event-store/envelope';
import { GridSnapshots, SNAPSHOT_EVERY } from './journal-views';

const G = 'g1';
const P = 'p1';
const STUDENTS = ['s1', 's2', 's3'];

/** A journal stream of lessons, marks and their corrections, as stored events (only what evolveGrid reads). */
function history(steps: { kind: 'lesson' | 'mark' | 'correct'; n: number; value: number }[]): StoredEvent[] {
  const lessons: string[] = [];
  const marks: { id: string; studentId: string }[] = [];
  return steps.map((step, i) => {
    let type: string;
    let data: object;
    if (step.kind === 'lesson' || lessons.length === 0) {
      const lessonId = `l${i}`;
      lessons.push(lessonId);
      type = 'LessonRecorded';
      data = { groupId: G, periodId: P, lessonId, subjectId: 'math', date: '2026-09-01', slot: (i % 12) + 1, topic: `t${i}`, homework: null, workKinds: [], taughtBy: 't', late: false, homeworkLate: false, studentIds: STUDENTS };
    } else if (step.kind === 'mark' || marks.length === 0) {
      const mark = { id: `m${i}`, studentId: STUDENTS[step.n % STUDENTS.length] };
      marks.push(mark);
      type = 'MarkRecorded';
      data = { groupId: G, periodId: P, markId: mark.id, lessonId: lessons[step.n % lessons.length], studentId: mark.studentId, value: step.value, workKind: 'oral', weight: 1, late: false };
    } else {
      const mark = marks[step.n % marks.length];
      type = 'MarkCorrected';
      data = { groupId: G, periodId: P, markId: mark.id, studentId: mark.studentId, after: step.value, before: null, reason: 'r' };
    }
    return { type, data, stream: `journal-${G}-${P}`, streamVersion: i + 1, actor: { accountId: 'teacher', role: 'teacher', generation: 1 }, recordedAt: new Date(Date.UTC(2026, 8, 1, 0, 0, i)).toISOString() } as unknown as StoredEvent;
  });
}

describe('grid snapshots for asOf', () => {
  it('fold every prefix, asked in any order, to what a fold from the first event gives', () => {
    const step = fc.record({ kind: fc.constantFrom<'lesson' | 'mark' | 'correct'>('lesson', 'mark', 'correct'), n: fc.nat(50), value: fc.integer({ min: 1, max: 5 }) });
    fc.assert(
      // Budgets that keep nothing, some snapshots, or all: what is dropped is folded again.
      fc.property(fc.array(step, { minLength: 1, maxLength: SNAPSHOT_EVERY * 4 }), fc.array(fc.nat(), { minLength: 1, maxLength: 12 }), fc.constantFrom(0, 64 * 1024, 64 * 1024 * 1024), (steps, asks, budget) => {
        const events = history(steps);
        const snapshots = new GridSnapshots(budget);
        for (const ask of [...asks, events.length, 0]) {
          const count = ask % (events.length + 1);
          expect(snapshots.fold('s', events, count)).toEqual(foldDocuments(journalGrid, events.slice(0, count)));
        }
      }),
      { numRuns: 100 },
    );
  });
});
