import { randomUUID } from 'node:crypto';
import type { AppendMetadata } from '../src/event-store/envelope';

/** One journal fact as the benches write it: the same type and data go to every store. */
export interface BenchEvent {
  readonly type: string;
  readonly data: Record<string, unknown>;
}

export const SCHOOL_ID = '0191d3a0-7c2e-7b4a-9f10-5c1e2d3a4b5c';
const TEACHER_ID = '0191d3a0-7c2e-7b4a-9f10-000000000001';
const SUBJECTS = ['algebra', 'russian', 'physics', 'history', 'english', 'biology'];

/** A fixed set of realistic payloads (a grade, an attendance mark, homework), reused by index. */
const PAYLOADS: readonly BenchEvent[] = Array.from({ length: 256 }, (_, i): BenchEvent => {
  const lessonId = randomUUID();
  const studentId = randomUUID();
  switch (i % 3) {
    case 0:
      return {
        type: 'GradeRecorded',
        data: { lessonId, studentId, subject: SUBJECTS[i % SUBJECTS.length], mark: 2 + (i % 4), weight: 1 + (i % 2), workType: 'classwork', comment: null },
      };
    case 1:
      return { type: 'AttendanceMarked', data: { lessonId, studentId, status: i % 7 === 0 ? 'absent' : 'present', reason: null, late: i % 11 === 0 } };
    default:
      return {
        type: 'HomeworkAssigned',
        data: { lessonId, subject: SUBJECTS[i % SUBJECTS.length], dueDate: '2026-09-15', text: `§ ${1 + (i % 40)}, exercises ${i % 20}–${(i % 20) + 5}` },
      };
  }
});

export const benchEvent = (i: number): BenchEvent => PAYLOADS[i % PAYLOADS.length];

/** The event types the benches write. */
export const BENCH_EVENT_TYPES: readonly string[] = [...new Set(PAYLOADS.map((p) => p.type))];

/** Who issued the command: one per append call, as a command handler would pass it. */
export function benchMetadata(): AppendMetadata {
  return {
    schoolId: SCHOOL_ID,
    actor: { accountId: TEACHER_ID, role: 'teacher', generation: 1 },
    correlationId: randomUUID(),
    causationId: null,
  };
}

/** Splits `total` over `parts` as evenly as possible. */
export function share(total: number, parts: number): number[] {
  return Array.from({ length: parts }, (_, i) => Math.floor(total / parts) + (i < total % parts ? 1 : 0));
}
