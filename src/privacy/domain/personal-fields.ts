/**
 * Which fields of which events are personal data (152-ФЗ), and whose: each such field is stored
 * sealed under that person's own data key (src/privacy/personal-data-vault.ts), so destroying the
 * key erases the person while their events stay in the log and in the audit ledger, every proof
 * intact. Ids stay in clear: they are random UUIDs (pseudonyms) the journal folds by.
 *
 * A person is a student (`student:<studentId>`, the school's record of a child) or an account
 * (`account:<accountId>`: staff, parents, a student's login). Free text a person writes about
 * someone (a correction's reason about a student's mark, a security note about an account) is
 * that someone's personal data too.
 */
export type PersonKind = 'student' | 'account';

/** `student:<uuid>` or `account:<uuid>`: the name of one data key. */
export type PersonRef = `${PersonKind}:${string}`;

export const personRef = (kind: PersonKind, id: string): PersonRef => `${kind}:${id}`;

export interface PersonalField {
  readonly name: string;
  /** What an erased person's field reads as: it keeps its type (a name stays text, a date becomes null). */
  readonly erased: string | null;
}

export interface PersonalFields {
  readonly kind: PersonKind;
  /** The data field naming the person. */
  readonly idField: string;
  readonly fields: readonly PersonalField[];
}

/** What an erased text reads as, everywhere (views, audits, exports opened with the service). */
export const ERASED_TEXT = '[данные удалены]';

const text = (name: string): PersonalField => ({ name, erased: ERASED_TEXT });
const nullable = (name: string): PersonalField => ({ name, erased: null });

/**
 * The event types that carry personal data, and which fields. A new event type with a name, a
 * birth date, a login, a contact or free text about a person belongs here (the spec of this file
 * fails on the field names it knows to be personal).
 */
export const PERSONAL_FIELDS: Readonly<Record<string, PersonalFields>> = {
  StudentAdmitted: { kind: 'student', idField: 'studentId', fields: [text('fullName'), nullable('birthDate')] },
  AccountCreated: { kind: 'account', idField: 'accountId', fields: [text('login'), text('fullName')] },
  MarkCorrected: { kind: 'student', idField: 'studentId', fields: [text('reason')] },
  AttendanceCorrected: { kind: 'student', idField: 'studentId', fields: [text('reason')] },
  FinalMarkSet: { kind: 'student', idField: 'studentId', fields: [nullable('reason')] },
  AccountBlocked: { kind: 'account', idField: 'accountId', fields: [text('reason')] },
  CredentialCompromiseReported: { kind: 'account', idField: 'accountId', fields: [nullable('note')] },
  RolesGranted: { kind: 'account', idField: 'accountId', fields: [nullable('reason')] },
  RolesRevoked: { kind: 'account', idField: 'accountId', fields: [nullable('reason')] },
  // Why a teacher stopped teaching a group (a leave, an illness) is the teacher's.
  AssignmentEnded: { kind: 'account', idField: 'teacherId', fields: [text('reason')] },
  // Why a parent no longer sees a child (a court's decision, say) is the child's record.
  ParentLinkEnded: { kind: 'student', idField: 'studentId', fields: [text('reason')] },
  InspectorGrantEnded: { kind: 'account', idField: 'accountId', fields: [text('reason')] },
  // A parent's e-mail address and mobile number (seed 004 §4).
  NotificationSettingsChanged: { kind: 'account', idField: 'parentId', fields: [nullable('email'), nullable('phone')] },
};

/**
 * Every other event type, with why none of its fields is personal: a new type must be put in one
 * list or the other (the spec checks every type the service stores), so none slips through unsealed.
 */
export const NOT_PERSONAL: Readonly<Record<string, string>> = {
  SchoolCreated: "the school's name and time zone",
  InspectorGranted: 'ids only',
  SchoolSettingsChanged: "the school's settings",
  YearCreated: 'dates and the names of periods',
  SubjectCreated: "a subject's name",
  ClassCreated: "a class's name and ids",
  StudentTransferred: 'ids and a date',
  GroupCreated: "a group's name and ids",
  TeacherAssigned: 'ids only',
  ParentLinked: 'ids only',
  SubstitutionRegistered: 'ids, a date and why the lesson is replaced (about the lesson, named by nobody)',
  ClassTeacherChanged: 'ids and a date',
  PersonalDataErased: 'ids and a basis from a fixed list',
  CredentialsReissued: 'ids and a generation (the password hash is kept apart)',
  OperationReinstated: "why an operation counts again: about the operation, which may concern anyone",
  LessonRecorded: "a lesson's topic and homework, the same for the whole group",
  LessonCorrected: "a change of a lesson's topic or homework and why, the same for the whole group",
  MarkRecorded: 'a mark under a pseudonymous student id (the name is sealed in StudentAdmitted)',
  AttendanceRecorded: 'a code under a pseudonymous student id',
  PeriodLocked: 'ids only',
  PeriodUnlocked: 'why a group’s period reopens, about the journal',
  DailyAbsenceRecorded: 'a code under a pseudonymous student id',
  ConsentGranted: 'ids and a form',
  ConsentRefused: 'ids and a form',
  ConsentWithdrawn: 'ids and a form',
  DiaryAcknowledged: 'ids, dates and a version',
  EntityIndexed: "ids and where an entity's events are",
  LedgerCheckpointSigned: "the ledger's signed tree head",
  AccessDenied: "a route pattern and the service's own reason for the refusal",
  DeploymentInitialized: 'the first start',
  NotificationSent: 'ids, a channel and an attempt count (never the address or the text)',
  NotificationFailed: "ids, a channel and the service's own reason (never the server's text, which may name the address)",
};

/** The person an event's personal fields belong to, or null when it has none (most events). */
export function personOf(type: string, data: unknown): { ref: PersonRef; fields: readonly PersonalField[] } | null {
  const policy = PERSONAL_FIELDS[type];
  if (!policy || typeof data !== 'object' || data === null) return null;
  const id = (data as Record<string, unknown>)[policy.idField];
  return typeof id === 'string' && id ? { ref: personRef(policy.kind, id), fields: policy.fields } : null;
}

/**
 * A field as the log stores it once sealed: AES-256-GCM of the value's JSON under the person's
 * data key, the person's ref bound in as associated data (a sealed value moved to another person
 * does not open). An object, so no string a client sends can pass for one.
 */
export interface SealedValue {
  readonly $sealed: 'aes-256-gcm/v1';
  readonly person: PersonRef;
  /** base64url of the 12-byte nonce. */
  readonly iv: string;
  /** base64url of the ciphertext followed by the 16-byte tag. */
  readonly data: string;
}

export const SEALED_SCHEME = 'aes-256-gcm/v1';

export function isSealed(value: unknown): value is SealedValue {
  return (
    typeof value === 'object' &&
    value !== null &&
    (value as { $sealed?: unknown }).$sealed === SEALED_SCHEME &&
    typeof (value as { person?: unknown }).person === 'string' &&
    typeof (value as { iv?: unknown }).iv === 'string' &&
    typeof (value as { data?: unknown }).data === 'string'
  );
}

/** The grounds an erasure is made on: a fixed list, so nothing typed about the person enters the log with it. */
export const ERASURE_BASES = ['retention-expired', 'consent-withdrawn', 'subject-request', 'court-order'] as const;
export type ErasureBasis = (typeof ERASURE_BASES)[number];
