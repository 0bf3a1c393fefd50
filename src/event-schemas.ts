import type { AccountEvent } from './accounts/domain/account.decider';
import type { DailyAbsenceEvent } from './journal/domain/daily-absences.decider';
import type { JournalEvent } from './journal/domain/journal.decider';
import type { AcknowledgementEvent } from './parents/domain/acknowledgement.decider';
import type { ConsentEvent } from './parents/domain/consent.decider';
import type { SchoolEvent } from './school/domain/school.decider';
import type { NotificationSettingsEvent } from './notifications/domain/notification-settings.decider';
import { EventSchemas, Upcaster } from './event-store/upcasting';

type Versions<Event extends { type: string }> = Record<Event['type'], number>;

/**
 * The one place each event type the service writes declares its current schema version (STYLE.md
 * §3). Each list must name every type of its domain's union (the compiler checks), and a new shape
 * of an event raises its number here and adds its upcaster to UPCASTERS, with a test over a stored
 * old event. Writes stamp these versions; a type missing here is refused at write.
 */
export const CURRENT_SCHEMA_VERSIONS: Readonly<Record<string, number>> = {
  ...({
    SchoolCreated: 1,
    InspectorGranted: 1,
    SchoolSettingsChanged: 1,
    YearCreated: 1,
    SubjectCreated: 1,
    ClassCreated: 1,
    StudentAdmitted: 1,
    StudentTransferred: 1,
    GroupCreated: 1,
    TeacherAssigned: 1,
    ParentLinked: 1,
    SubstitutionRegistered: 1,
    AssignmentEnded: 1,
    ClassTeacherChanged: 1,
    ParentLinkEnded: 1,
    InspectorGrantEnded: 1,
    PersonalDataErased: 1,
  } satisfies Versions<SchoolEvent>),
  ...({
    AccountCreated: 1,
    RolesGranted: 1,
    RolesRevoked: 1,
    CredentialsReissued: 1,
    AccountBlocked: 1,
    CredentialCompromiseReported: 1,
    OperationReinstated: 1,
    // One type for both kinds of person (`person`: student or account), in the school's or the account's stream.
    PersonalDataErased: 1,
  } satisfies Versions<AccountEvent>),
  ...({
    LessonRecorded: 1,
    LessonCorrected: 1,
    MarkRecorded: 1,
    MarkCorrected: 1,
    AttendanceRecorded: 1,
    AttendanceCorrected: 1,
    FinalMarkSet: 1,
    PeriodLocked: 1,
    PeriodUnlocked: 1,
  } satisfies Versions<JournalEvent>),
  ...({ DailyAbsenceRecorded: 1 } satisfies Versions<DailyAbsenceEvent>),
  ...({ ConsentGranted: 1, ConsentRefused: 1, ConsentWithdrawn: 1 } satisfies Versions<ConsentEvent>),
  ...({ DiaryAcknowledged: 1 } satisfies Versions<AcknowledgementEvent>),
  // The service's own bookkeeping: the entity index, recorded denials, the first start.
  EntityIndexed: 1,
  // The audit ledger's own checkpoints (src/ledger): a leaf like every other event.
  LedgerCheckpointSigned: 1,
  AccessDenied: 1,
  DeploymentInitialized: 1,
  // Notifications (src/notifications): a parent's settings, and what became of each delivery.
  ...({ NotificationSettingsChanged: 1 } satisfies Versions<NotificationSettingsEvent>),
  NotificationSent: 1,
  NotificationFailed: 1,
};

/** Lifts stored older versions to the current ones above: none yet, every type is at version 1. */
export const UPCASTERS: readonly Upcaster[] = [];

/** The service's schemas, checked when built: a broken chain stops the start. */
export const serviceEventSchemas = (): EventSchemas => new EventSchemas({ current: CURRENT_SCHEMA_VERSIONS, upcasters: UPCASTERS });
