import type { StoredEvent } from '../../src/event-store/envelope';
import { DocumentProjector } from '../projector';
import { gridKey } from '../journal-grid/journal-grid.projector';

export interface CorrectionRow {
  eventId: string;
  entity: 'mark' | 'lesson' | 'attendance' | 'finalMark';
  entityId: string;
  field?: string;
  before: unknown;
  after: unknown;
  reason: string | null;
  by: { accountId: string; role: string };
  at: string;
  afterLock: boolean;
  /** The incident that voids it, if any: the audit keeps void corrections, marked. */
  voidedBy: string | null;
  studentId: string | null;
}

/** Every correction made in one group × period journal, void ones included and marked. */
export interface CorrectionsDoc {
  groupId: string;
  periodId: string;
  corrections: Record<string, CorrectionRow>;
}

interface Corrected {
  groupId: string;
  periodId: string;
  markId?: string;
  lessonId?: string;
  attendanceId?: string;
  studentId?: string;
  field?: string;
  before: unknown;
  after: unknown;
  reason: string | null;
  afterLock: boolean;
}

const ENTITY: Record<string, CorrectionRow['entity']> = { MarkCorrected: 'mark', LessonCorrected: 'lesson', AttendanceCorrected: 'attendance', FinalMarkSet: 'finalMark' };

/** A final mark set over an existing one is a correction too (with its reason); a first one is not. */
const isCorrection = (event: StoredEvent) => event.type !== 'FinalMarkSet' || (event.data as Corrected).before !== null;

export const correctionsAudit: DocumentProjector<CorrectionsDoc> = {
  name: 'corrections-audit',
  version: 1,
  seesVoid: true,
  handles: Object.keys(ENTITY),
  keys: (event) => {
    const d = event.data as Corrected;
    return isCorrection(event) && d.groupId && d.periodId ? [gridKey(d.groupId, d.periodId)] : [];
  },
  evolve: (doc, event, _key, voidedBy) => applyCorrection(doc && { ...doc, corrections: { ...doc.corrections } }, event, voidedBy),
  // A rebuild's own documents: the row added in place (copying the map per correction made a journal's fold quadratic).
  evolveInPlace: (doc, event, _key, voidedBy) => applyCorrection(doc, event, voidedBy),
};

/** The correction's row added to `doc` (changed in place; a new document when there is none). */
function applyCorrection(doc: CorrectionsDoc | null, event: StoredEvent, voidedBy: string | null): CorrectionsDoc {
  const d = event.data as Corrected;
  const entity = ENTITY[event.type];
  const entityId = entity === 'finalMark' ? `${d.studentId}:${d.periodId}` : (d.markId ?? d.attendanceId ?? d.lessonId ?? '');
  const row: CorrectionRow = {
    eventId: event.eventId,
    entity,
    entityId,
    ...(entity === 'lesson' ? { field: d.field } : {}),
    before: entity === 'finalMark' ? finalValue(d.before) : d.before,
    after: entity === 'finalMark' ? finalValue(d.after ?? d) : d.after,
    reason: d.reason ?? null,
    by: { accountId: event.actor.accountId, role: event.actor.role },
    at: event.recordedAt,
    afterLock: d.afterLock,
    voidedBy,
    studentId: d.studentId ?? null,
  };
  const next = doc ?? { groupId: d.groupId, periodId: d.periodId, corrections: {} };
  next.groupId = d.groupId;
  next.periodId = d.periodId;
  next.corrections[event.eventId] = row;
  return next;
}

/** A final mark as the audit shows it: its value, or "deferred". */
function finalValue(state: unknown): unknown {
  const s = state as { value?: unknown; deferred?: boolean } | null;
  if (!s) return null;
  return s.deferred ? 'deferred' : (s.value ?? null);
}
