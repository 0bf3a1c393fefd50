import fc from 'fast-check';
import type { StoredEvent } from '../../src/event-store/envelope';
import { bothFolds } from '../../test/support/in-place';
import { correctionsAudit } from './corrections-audit.projector';

const TYPES = ['MarkCorrected', 'LessonCorrected', 'AttendanceCorrected', 'FinalMarkSet'] as const;

const correction = (i: number, type: (typeof TYPES)[number], group: string, first: boolean): StoredEvent => ({
  eventId: `e-${i}`,
  type,
  schemaVersion: 1,
  stream: `journal-${group}`,
  streamVersion: i + 1,
  schoolId: 'school-1',
  actor: { accountId: 'deputy', role: 'deputy', generation: 1 },
  recordedAt: new Date(Date.UTC(2026, 8, 1) + i * 1000).toISOString(),
  correlationId: 'c',
  causationId: null,
  data: {
    groupId: group,
    periodId: 'q1',
    markId: type === 'MarkCorrected' ? `m-${i % 3}` : undefined,
    lessonId: `l-${i % 2}`,
    attendanceId: type === 'AttendanceCorrected' ? `a-${i % 3}` : undefined,
    studentId: 's-1',
    field: type === 'LessonCorrected' ? 'topic' : undefined,
    before: type === 'FinalMarkSet' ? (first ? null : { value: '4', deferred: false }) : 3,
    after: 4,
    value: '5',
    deferred: false,
    reason: 'ошибка',
    afterLock: i % 2 === 0,
  },
  position: { major: 1n, minor: BigInt(i) },
  globalPosition: `1.${i}`,
});

describe('corrections-audit projector', () => {
  it('given corrections of two journals, some void, when folded in place (a rebuild), then it equals the pure fold, which never changes the document it is given', () => {
    const step = fc.record({ type: fc.constantFrom(...TYPES), group: fc.constantFrom('g-1', 'g-2'), first: fc.boolean(), void: fc.boolean() });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const events = steps.map((s, i) => correction(i, s.type, s.group, s.first));
        const { inPlace, pure } = bothFolds(correctionsAudit, events, (e) => (steps[Number(e.eventId.slice(2))].void ? 'incident-1' : null));
        expect(inPlace).toEqual(pure);
        // A first final mark is not a correction: only the rest are listed.
        const listed = steps.filter((s) => s.type !== 'FinalMarkSet' || !s.first).length;
        expect([...pure.values()].reduce((n, doc) => n + Object.keys(doc.corrections).length, 0)).toBe(listed);
      }),
      { numRuns: 300 },
    );
  });
});
