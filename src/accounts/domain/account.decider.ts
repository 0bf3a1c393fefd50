import { v5 as uuidv5 } from 'uuid';
import { conflict, DomainError, invalid, noSuch, notFound } from '../../common/domain-error';
import { IncidentWindow, Voidable, windowHolds } from '../../security/domain/voiding';
import { ERASED_TEXT, ErasureBasis } from '../../privacy/domain/personal-fields';
import { Role } from './roles';

/**
 * One stream per account, `account-<accountId>`. The id is derived from the login (see
 * accountIdForLogin), so "is this login taken" is "does this stream exist": a question the event
 * store answers atomically, also for two creations racing each other.
 */
export type AccountEvent =
  | {
      type: 'AccountCreated';
      data: { accountId: string; schoolId: string | null; login: string; fullName: string; roles: Role[]; generation: number; credentialId: string };
    }
  /** `reason` since issue 12 (a system administrator's change of roles). */
  | { type: 'RolesGranted'; data: { accountId: string; roles: Role[]; reason?: string } }
  | { type: 'RolesRevoked'; data: { accountId: string; roles: Role[]; reason?: string } }
  /** New password (its hash is kept apart under credentialId, never in an event), new generation; ends an open incident. */
  | { type: 'CredentialsReissued'; data: { accountId: string; generation: number; credentialId: string; closesIncidentId?: string | null } }
  | { type: 'AccountBlocked'; data: { accountId: string; reason: string; incidentId: string | null } }
  /**
   * The account's credentials leaked (SPEC §4): it is blocked at once, and its operations from
   * `suspectedSince ?? effectiveFrom` until the reissue are void (src/security/domain/voiding.ts).
   * An incident lives in its account's stream: one open incident per account, the block and the
   * reissue that ends it are the account's own invariants, decided together in one append.
   */
  | {
      type: 'CredentialCompromiseReported';
      data: { incidentId: string; accountId: string; effectiveFrom: string; suspectedSince: string | null; reportedBy: string; note: string | null };
    }
  /** A reviewed voided operation counts again (director or security officer, with a reason). */
  | { type: 'OperationReinstated'; data: { incidentId: string; accountId: string; eventId: string; reason: string; by: string } }
  /** The account's data key is destroyed (src/privacy): its login, name and the notes about it read as erased; it stays blocked for good. */
  | { type: 'PersonalDataErased'; data: { person: 'account'; accountId: string; basis: ErasureBasis } };

export type AccountCommand =
  | { type: 'CreateAccount'; accountId: string; schoolId: string | null; login: string; fullName: string; roles: Role[]; credentialId: string }
  | { type: 'ReissueCredentials'; accountId: string; credentialId: string }
  /** The account's roles become exactly `roles`; `schoolId`: the school the request is made in (another school's account is unknown there). */
  | { type: 'ChangeRoles'; accountId: string; schoolId: string; roles: Role[]; reason: string }
  | { type: 'BlockAccount'; accountId: string; reason: string; incidentId: string | null }
  | { type: 'ReportCompromise'; incidentId: string; effectiveFrom: string; suspectedSince: string | null; note: string | null; reportedBy: string; now: string }
  /**
   * `event`: the operation as the log has it (null: no such event); `window`: the incident's window
   * as the ledger resolves it (null: the report is itself void, so it voids nothing).
   */
  | { type: 'ReinstateOperation'; incidentId: string; event: Voidable | null; window: IncidentWindow | null; reason: string; by: string }
  | { type: 'ErasePersonalData'; accountId: string; schoolId: string; basis: ErasureBasis };

export interface IncidentState {
  incidentId: string;
  effectiveFrom: string;
  suspectedSince: string | null;
  reportedBy: string;
  reportedAt: string;
  note: string | null;
  closedAt: string | null;
  reinstated: Record<string, { reason: string; by: string; at: string }>;
  /** Filed through a compromised account: it voids nothing and is not the account's open incident. */
  void: boolean;
}

/**
 * Why an account may not act: a compromise report (SPEC §4), an explicit block, or an operation on
 * it made through a compromised account (its creation, a role grant, a reissue of its credentials:
 * whoever holds those credentials may be the intruder). Only a valid reissue ends any of them.
 */
export type BlockCause = 'compromise' | 'blocked' | 'void-operation';

export interface AccountState {
  exists: boolean;
  accountId: string;
  schoolId: string | null;
  login: string;
  fullName: string;
  roles: Role[];
  generation: number;
  credentialId: string;
  status: 'active' | 'blocked';
  blockedBecause: BlockCause | null;
  incidents: Record<string, IncidentState>;
  openIncidentId: string | null;
  /** Its personal data is erased: the account can never be used again. */
  erased: boolean;
}

export const initialAccountState = (): AccountState => ({
  exists: false,
  accountId: '',
  schoolId: null,
  login: '',
  fullName: '',
  roles: [],
  generation: 0,
  credentialId: '',
  status: 'active',
  blockedBecause: null,
  incidents: {},
  openIncidentId: null,
  erased: false,
});

export const accountStream = (accountId: string) => `account-${accountId}`;

/** Logins compare without regard to case or surrounding space: `Ivanova` and `ivanova ` are one. */
export const normalizeLogin = (login: string) => login.trim().toLowerCase();

export function decideAccount(command: AccountCommand, state: AccountState): AccountEvent[] {
  switch (command.type) {
    case 'CreateAccount': {
      if (state.exists) throw conflict('ALREADY_EXISTS', `The login "${command.login}" is already taken.`);
      if (command.roles.length === 0) throw invalid('roles', 'must name at least one role');
      return [
        {
          type: 'AccountCreated',
          data: {
            accountId: command.accountId,
            schoolId: command.schoolId,
            login: normalizeLogin(command.login),
            fullName: command.fullName,
            roles: [...new Set(command.roles)],
            generation: 1,
            credentialId: command.credentialId,
          },
        },
      ];
    }
    case 'ReissueCredentials':
      if (!state.exists) throw notFound('account');
      if (state.erased) throw conflict('PERSON_ERASED', "This account's personal data has been erased: it cannot be used again.");
      return [
        {
          type: 'CredentialsReissued',
          data: { accountId: state.accountId, generation: state.generation + 1, credentialId: command.credentialId, closesIncidentId: state.openIncidentId },
        },
      ];
    case 'ChangeRoles': {
      if (!state.exists || state.schoolId !== command.schoolId) throw notFound('account');
      if (command.roles.length === 0) throw invalid('roles', 'must name at least one role');
      const granted = [...new Set(command.roles)].filter((role) => !state.roles.includes(role));
      const revoked = state.roles.filter((role) => !command.roles.includes(role));
      if (granted.length === 0 && revoked.length === 0) throw invalid('roles', "change nothing: these are the account's roles already");
      const { accountId } = state;
      return [
        ...(granted.length > 0 ? [{ type: 'RolesGranted' as const, data: { accountId, roles: granted, reason: command.reason } }] : []),
        ...(revoked.length > 0 ? [{ type: 'RolesRevoked' as const, data: { accountId, roles: revoked, reason: command.reason } }] : []),
      ];
    }
    case 'ReportCompromise':
      return reportCompromise(command, state);
    case 'ReinstateOperation':
      return reinstateOperation(command, state);
    case 'BlockAccount':
      if (!state.exists) throw notFound('account');
      if (state.status === 'blocked') return [];
      return [{ type: 'AccountBlocked', data: { accountId: state.accountId, reason: command.reason, incidentId: command.incidentId } }];
    case 'ErasePersonalData':
      if (!state.exists || state.schoolId !== command.schoolId) throw notFound('account');
      if (state.erased) throw conflict('ALREADY_ERASED', "This account's personal data has been erased already.");
      // Erasure cannot be undone: only an account nobody uses any more, so block it first.
      if (state.status !== 'blocked') throw conflict('ACCOUNT_ACTIVE', 'The account is active: block it (report it or have it blocked) before erasing its personal data.');
      return [{ type: 'PersonalDataErased', data: { person: 'account', accountId: state.accountId, basis: command.basis } }];
    default: {
      const never: never = command;
      throw new DomainError(400, 'VALIDATION_FAILED', `unknown command ${(never as { type: string }).type}`);
    }
  }
}

function reportCompromise(command: Extract<AccountCommand, { type: 'ReportCompromise' }>, state: AccountState): AccountEvent[] {
  if (!state.exists) throw notFound('account');
  if (state.openIncidentId) throw conflict('INCIDENT_OPEN', 'A compromise of this account is already reported and open; it ends when its credentials are reissued.');
  if (command.effectiveFrom > command.now) throw invalid('effectiveFrom', 'must not be in the future');
  if (command.suspectedSince !== null && command.suspectedSince > command.effectiveFrom) throw invalid('suspectedSince', 'must not be after effectiveFrom');
  const { incidentId, effectiveFrom, suspectedSince, reportedBy, note } = command;
  return [{ type: 'CredentialCompromiseReported', data: { incidentId, accountId: state.accountId, effectiveFrom, suspectedSince, reportedBy, note } }];
}

function reinstateOperation(command: Extract<AccountCommand, { type: 'ReinstateOperation' }>, state: AccountState): AccountEvent[] {
  const incident = state.incidents[command.incidentId];
  if (!state.exists || !incident) throw notFound('incident');
  if (!command.event || !command.window || !windowHolds(command.window, command.event)) throw noSuch('eventId', 'operation voided by this incident');
  const eventId = command.event.eventId;
  // The repository folds without void events, so a reinstatement made through a compromised account does not count here.
  if (Object.values(state.incidents).some((i) => i.reinstated[eventId])) throw conflict('ALREADY_REINSTATED', 'This operation has already been reinstated.');
  return [{ type: 'OperationReinstated', data: { incidentId: incident.incidentId, accountId: state.accountId, eventId, reason: command.reason, by: command.by } }];
}

/** Events as stored: evolve reads the moment they were recorded from the envelope. */
type Recorded = AccountEvent & { recordedAt?: string };

export function evolveAccount(state: AccountState, event: Recorded): AccountState {
  switch (event.type) {
    case 'AccountCreated':
      return { ...state, ...event.data, exists: true, status: 'active', blockedBecause: null };
    case 'RolesGranted':
      return { ...state, roles: [...new Set([...state.roles, ...event.data.roles])] };
    case 'RolesRevoked':
      return { ...state, roles: state.roles.filter((role) => !event.data.roles.includes(role)) };
    case 'CredentialsReissued': {
      // A reissue ends any block and the open incident: the leaked credential is dead, the new one is the account's.
      // It ends the open incident, and the block of any void report (which opened none) still unended.
      const incidents = { ...state.incidents };
      for (const incident of Object.values(state.incidents)) {
        if (incident.closedAt === null && (incident.incidentId === state.openIncidentId || incident.void)) incidents[incident.incidentId] = { ...incident, closedAt: event.recordedAt ?? '' };
      }
      return { ...state, generation: event.data.generation, credentialId: event.data.credentialId, status: 'active', blockedBecause: null, incidents, openIncidentId: null };
    }
    case 'AccountBlocked':
      return { ...state, status: 'blocked', blockedBecause: state.blockedBecause ?? 'blocked' };
    case 'CredentialCompromiseReported': {
      const d = event.data;
      const incident: IncidentState = {
        incidentId: d.incidentId,
        effectiveFrom: d.effectiveFrom,
        suspectedSince: d.suspectedSince,
        reportedBy: d.reportedBy,
        reportedAt: event.recordedAt ?? '',
        note: d.note,
        closedAt: null,
        reinstated: {},
        void: false,
      };
      return { ...state, status: 'blocked', blockedBecause: 'compromise', openIncidentId: d.incidentId, incidents: { ...state.incidents, [d.incidentId]: incident } };
    }
    case 'OperationReinstated': {
      const incident = state.incidents[event.data.incidentId];
      if (!incident) return state;
      const reinstated = { ...incident.reinstated, [event.data.eventId]: { reason: event.data.reason, by: event.data.by, at: event.recordedAt ?? '' } };
      return { ...state, incidents: { ...state.incidents, [incident.incidentId]: { ...incident, reinstated } } };
    }
    case 'PersonalDataErased':
      return eraseAccount(state);
    default:
      return state;
  }
}

/**
 * What an operation made through a compromised account leaves on the account it concerns (SPEC §4,
 * issue 12): a creation, a role grant or a reissue of credentials leaves the account blocked until
 * a valid reissue (the grant itself counts for nothing); a report still blocks — a voided report
 * unblocks nothing by itself — but is no open incident and voids nothing; a revocation or a
 * reinstatement counts for nothing.
 */
export function evolveVoidAccount(state: AccountState, event: Recorded): AccountState {
  const blocked = (next: AccountState): AccountState => ({ ...next, status: 'blocked', blockedBecause: next.blockedBecause ?? 'void-operation' });
  switch (event.type) {
    case 'AccountCreated':
      return { ...state, ...event.data, exists: true, status: 'blocked', blockedBecause: 'void-operation' };
    case 'RolesGranted':
      return blocked(state);
    case 'CredentialsReissued':
      // Tokens issued before it die as with any reissue; the incident it would end stays open.
      return blocked({ ...state, generation: event.data.generation, credentialId: event.data.credentialId });
    case 'AccountBlocked':
      return evolveAccount(state, event);
    case 'CredentialCompromiseReported': {
      const d = event.data;
      const incident: IncidentState = {
        incidentId: d.incidentId,
        effectiveFrom: d.effectiveFrom,
        suspectedSince: d.suspectedSince,
        reportedBy: d.reportedBy,
        reportedAt: event.recordedAt ?? '',
        note: d.note,
        closedAt: null,
        reinstated: {},
        void: true,
      };
      return { ...state, status: 'blocked', blockedBecause: state.blockedBecause ?? 'compromise', incidents: { ...state.incidents, [d.incidentId]: incident } };
    }
    // The key is gone whoever asked: a void erasure erases all the same (the incident's review lists it).
    case 'PersonalDataErased':
      return eraseAccount(state);
    default:
      return state;
  }
}

/** What a fold from the log gives once the key is gone (the fields' erased values, personal-fields.ts), blocked for good. */
function eraseAccount(state: AccountState): AccountState {
  const incidents = Object.fromEntries(Object.entries(state.incidents).map(([id, incident]) => [id, { ...incident, note: null }]));
  return { ...state, login: ERASED_TEXT, fullName: ERASED_TEXT, incidents, erased: true, status: 'blocked', blockedBecause: state.blockedBecause ?? 'blocked' };
}

/**
 * Voidable: decisions, sign-in and every token check fold the account without the operations of
 * compromised accounts (see evolveVoidAccount for what those leave behind).
 */
export const accountDecider = { initialState: initialAccountState, decide: decideAccount, evolve: evolveAccount, evolveVoid: evolveVoidAccount, voidable: true };

/**
 * Account ids are derived from the login (UUIDv5), so the store's "stream must not exist yet"
 * check makes logins unique per deployment, also under concurrent creation.
 */
const ACCOUNT_NAMESPACE = '9b5a1c8e-3d1f-4b7a-9e2c-6f0d8a4b2c71';
export const accountIdForLogin = (login: string): string => uuidv5(normalizeLogin(login), ACCOUNT_NAMESPACE);
