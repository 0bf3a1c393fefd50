import { STRUCTURE_EVENT_TYPES, type SchoolState } from '../../school/domain/school.decider';
import { IncidentWindow, VoidingLedger, voidedBy, windowHolds } from './voiding';

/** An event as the review reads it. */
export interface LoggedEvent {
  readonly eventId: string;
  readonly type: string;
  readonly stream: string;
  readonly recordedAt: string;
  readonly actor: { readonly accountId: string; readonly role: string };
  readonly data: unknown;
}

export interface VoidedOperation {
  eventId: string;
  type: string;
  recordedAt: string;
  summary: string;
  reinstated: boolean;
}

export type ReviewKind = 'final-mark-on-void-basis' | 'correction-of-void-entry' | 'notification-sent' | 'structure-by-void-account';

export interface ReviewItem {
  kind: ReviewKind;
  eventId: string;
  summary: string;
}

/**
 * The operations an incident's window holds, of any type (SPEC §4: *every* operation of the
 * account — the reports, reissues and reinstatements it made too): void, or reinstated after review.
 */
export function voidedOperations(window: IncidentWindow, ledger: VoidingLedger, accountEvents: readonly LoggedEvent[], school: SchoolState | null): VoidedOperation[] {
  return accountEvents
    .filter((e) => windowHolds(window, e))
    .map((e) => ({ eventId: e.eventId, type: e.type, recordedAt: e.recordedAt, summary: summarize(e, school), reinstated: ledger.isReinstated(e.eventId) }));
}

/**
 * Structure set up through the compromised account stays (undoing a class would orphan its
 * journals), so each piece is listed for a person to check: years, subjects, classes, students,
 * groups, transfers.
 */
export function structureReview(window: IncidentWindow, ledger: VoidingLedger, accountEvents: readonly LoggedEvent[], school: SchoolState | null): ReviewItem[] {
  return accountEvents
    .filter((e) => STRUCTURE_EVENT_TYPES.includes(e.type) && windowHolds(window, e) && !ledger.isReinstated(e.eventId))
    .map((e) => ({ kind: 'structure-by-void-account', eventId: e.eventId, summary: `${summarize(e, school)}: set up through the compromised account; it stays, check it` }));
}

interface EntryData {
  markId?: string;
  attendanceId?: string;
  lessonId?: string;
  studentId?: string;
}

const entryOf = (e: LoggedEvent): string | undefined => {
  const d = e.data as EntryData;
  return d.markId ?? d.attendanceId ?? (e.type.startsWith('Lesson') ? d.lessonId : undefined);
};

/**
 * What voiding cannot simply undo (SPEC §4), in the journals the void operations touched:
 * a final mark (that still counts) set on a basis that held void marks, and a correction by
 * someone else of an entry a void operation made or changed (notifications sent: notificationReview).
 */
export function reviewOf(incidentId: string, ledger: VoidingLedger, journalEvents: readonly LoggedEvent[], school: SchoolState | null): ReviewItem[] {
  const items: ReviewItem[] = [];
  const byIncident = (e: LoggedEvent) => voidedBy(ledger, { ...e, actor: e.actor }) === incidentId;
  const voidMarksOf = new Map<string, LoggedEvent[]>(); // by journal stream and student
  const voidEntries = new Set<string>();
  for (const e of journalEvents) {
    const d = e.data as EntryData;
    if (byIncident(e)) {
      const entry = entryOf(e);
      if (entry) voidEntries.add(entry);
      if ((e.type === 'MarkRecorded' || e.type === 'MarkCorrected') && d.studentId) {
        const key = `${e.stream} ${d.studentId}`;
        voidMarksOf.set(key, [...(voidMarksOf.get(key) ?? []), e]);
      }
      continue;
    }
    if (voidedBy(ledger, e)) continue;
    if (e.type === 'FinalMarkSet' && d.studentId && voidMarksOf.has(`${e.stream} ${d.studentId}`)) {
      const count = voidMarksOf.get(`${e.stream} ${d.studentId}`)!.length;
      items.push({ kind: 'final-mark-on-void-basis', eventId: e.eventId, summary: `${summarize(e, school)}; its basis held ${count} void mark operation(s)` });
    }
    const entry = entryOf(e);
    if (e.type.endsWith('Corrected') && entry && voidEntries.has(entry)) {
      items.push({ kind: 'correction-of-void-entry', eventId: e.eventId, summary: `${summarize(e, school)}, by another account, of an entry a void operation made or changed` });
    }
  }
  return items;
}

/**
 * Notifications already sent about the incident's void operations (SPEC §4: a parent was told of
 * a mark that never counted): the message cannot be unsent, so it is listed, and the outbox sends
 * a notice «запись аннулирована» after it.
 */
export function notificationReview(incidentId: string, ledger: VoidingLedger, accountEvents: readonly LoggedEvent[], sentEvents: readonly LoggedEvent[], school: SchoolState | null): ReviewItem[] {
  const voidHere = new Map(accountEvents.filter((e) => voidedBy(ledger, e) === incidentId).map((e) => [e.eventId, e]));
  const items: ReviewItem[] = [];
  for (const sent of sentEvents) {
    const d = sent.data as { kind?: string; sourceEventId?: string; channel?: string };
    const source = d.kind === 'news' && d.sourceEventId ? voidHere.get(d.sourceEventId) : undefined;
    if (!source) continue;
    const how = d.channel === 'sms' ? 'by SMS' : 'by e-mail';
    items.push({ kind: 'notification-sent', eventId: sent.eventId, summary: `A parent was told ${how} at ${sent.recordedAt} of: ${summarize(source, school)}; it cannot be unsent, a notice «запись аннулирована» follows` });
  }
  return items;
}

const name = (school: SchoolState | null, studentId: unknown) => (typeof studentId === 'string' && school?.students[studentId]?.fullName) || 'a student';
const subjectOf = (school: SchoolState | null, groupId: unknown) => {
  const group = typeof groupId === 'string' ? school?.groups[groupId] : undefined;
  return group ? (school?.subjects[group.subjectId]?.name ?? 'a subject') : 'a subject';
};
const shown = (value: unknown) => (value === null || value === undefined ? 'none' : Array.isArray(value) ? value.join(', ') : String(value));

/** One line a security officer can read: what the operation did, to whom, where. */
export function summarize(event: LoggedEvent, school: SchoolState | null): string {
  const d = event.data as Record<string, unknown>;
  const where = `${subjectOf(school, d.groupId)}`;
  switch (event.type) {
    case 'LessonRecorded':
      return `Lesson of ${where} on ${shown(d.date)}, slot ${shown(d.slot)}: «${shown(d.topic)}»`;
    case 'LessonCorrected':
      return `Lesson of ${where} on ${shown(d.date)}: ${shown(d.field)} changed from «${shown(d.before)}» to «${shown(d.after)}» («${shown(d.reason)}»)`;
    case 'MarkRecorded':
      return `Mark ${shown(d.value)} (${shown(d.workKind)}) for ${name(school, d.studentId)} in ${where}, lesson of ${shown(d.lessonDate)}`;
    case 'MarkCorrected':
      return `Mark of ${name(school, d.studentId)} in ${where}, lesson of ${shown(d.lessonDate)}, corrected from ${shown(d.before)} to ${d.after === null ? 'withdrawn' : shown(d.after)} («${shown(d.reason)}»)`;
    case 'AttendanceRecorded':
      return `Attendance ${shown(d.code)} for ${name(school, d.studentId)} in ${where}, lesson of ${shown(d.lessonDate)}`;
    case 'AttendanceCorrected':
      return `Attendance of ${name(school, d.studentId)} in ${where}, lesson of ${shown(d.lessonDate)}, corrected from ${shown(d.before)} to ${shown(d.after)} («${shown(d.reason)}»)`;
    case 'FinalMarkSet':
      return `Final mark ${d.deferred ? 'deferred' : shown(d.value)} for ${name(school, d.studentId)} in ${where}`;
    case 'PeriodLocked':
      return `Period closed for ${where}`;
    case 'PeriodUnlocked':
      return `Period reopened for ${where} («${shown(d.reason)}»)`;
    case 'DailyAbsenceRecorded':
      return `Day absence ${shown(d.code)} for ${name(school, d.studentId)} on ${shown(d.date)}`;
    case 'AccessDenied':
      return `Refused attempt${typeof d.count === 'number' && d.count > 1 ? `s (${d.count})` : ''}: ${shown(d.route)} («${shown(d.reason)}»)`;
    case 'AccountCreated':
      return `Account «${shown(d.login)}» (${shown(d.fullName)}) created with roles ${shown(d.roles)}`;
    case 'RolesGranted':
      return `Roles ${shown(d.roles)} granted to account ${shown(d.accountId)}`;
    case 'RolesRevoked':
      return `Roles ${shown(d.roles)} taken from account ${shown(d.accountId)}`;
    case 'CredentialsReissued':
      return `Credentials of account ${shown(d.accountId)} reissued`;
    case 'CredentialCompromiseReported':
      return `Compromise of account ${shown(d.accountId)} reported, effective from ${shown(d.suspectedSince ?? d.effectiveFrom)}`;
    case 'OperationReinstated':
      return `Operation ${shown(d.eventId)} of account ${shown(d.accountId)} reinstated («${shown(d.reason)}»)`;
    case 'YearCreated':
      return `School year «${shown(d.name)}» set up`;
    case 'SubjectCreated':
      return `Subject «${shown(d.name)}» created`;
    case 'ClassCreated':
      return `Class «${shown(d.name)}» created`;
    case 'StudentAdmitted':
      return `Student «${shown(d.fullName)}» admitted`;
    case 'StudentTransferred':
      return `${name(school, d.studentId)} transferred on ${shown(d.on)}`;
    case 'GroupCreated':
      return `Group «${shown(d.name)}» created`;
    case 'TeacherAssigned':
      return `Teacher ${shown(d.teacherId)} assigned to ${subjectOf(school, d.groupId)}`;
    case 'ParentLinked':
      return `Parent ${shown(d.parentId)} linked to ${name(school, d.studentId)}`;
    case 'SubstitutionRegistered':
      return `Substitution of ${subjectOf(school, d.groupId)} on ${shown(d.date)} by teacher ${shown(d.teacherId)} registered`;
    case 'AssignmentEnded':
      return `Assignment of teacher ${shown(d.teacherId)} to ${subjectOf(school, d.groupId)} ended from ${shown(d.on)} («${shown(d.reason)}»)`;
    case 'ClassTeacherChanged':
      return `Class teacher of ${shown(school?.classes[String(d.classId)]?.name ?? 'a class')} changed to ${shown(d.teacherId)} from ${shown(d.on)}`;
    case 'ParentLinkEnded':
      return `Link of parent ${shown(d.parentId)} to ${name(school, d.studentId)} ended («${shown(d.reason)}»)`;
    case 'InspectorGrantEnded':
      return `Inspector ${shown(d.accountId)}'s access to the school ended («${shown(d.reason)}»)`;
    case 'InspectorGranted':
      return `Inspector ${shown(d.accountId)} granted access to the school`;
    case 'PersonalDataErased':
      return d.person === 'student' ? `Personal data of a student (${shown(d.studentId)}) erased (${shown(d.basis)})` : `Personal data of account ${shown(d.accountId)} erased (${shown(d.basis)})`;
    case 'ConsentGranted':
    case 'ConsentRefused':
    case 'ConsentWithdrawn':
      return `${event.type.replace('Consent', 'Consent ').toLowerCase()} (${shown(d.form)}) for ${name(school, d.studentId)}`;
    default:
      return `${event.type} in ${event.stream}`;
  }
}
