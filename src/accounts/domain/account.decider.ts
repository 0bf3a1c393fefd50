import { v5 as uuidv5 } from 'uuid';
import { conflict, DomainError, invalid, noSuch, notFound } from '../../common/domain-error';
import { Voidable, windowsHolding } from '../../security/domain/voiding';
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
  | { type: 'RolesGranted'; data: { accountId: string; roles: Role[] } }
  | { type: 'RolesRevoked'; data: { accountId: string; roles: Role[] } }
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
  | { type: 'OperationReinstated'; data: { incidentId: string; accountId: string; eventId: string; reason: string; by: string } };

export type AccountCommand =
  | { type: 'CreateAccount'; accountId: string; schoolId: string | null; login: string; fullName: string; roles: Role[]; credentialId: string }
  | { type: 'ReissueCredentials'; accountId: string; credentialId: string }
  | { type: 'BlockAccount'; accountId: string; reason: string; incidentId: string | null }
  | { type: 'ReportCompromise'; incidentId: string; effectiveFrom: string; suspectedSince: string | null; note: string | null; reportedBy: string; now: string }
  /** `event`: the operation as the log has it (null: no such event). */
  | { type: 'ReinstateOperation'; incidentId: string; event: Voidable | null; reason: string; by: string };

export interface IncidentState {
  incidentId: string;
  effectiveFrom: string;
  suspectedSince: string | null;
  reportedBy: string;
  reportedAt: string;
  note: string | null;
  closedAt: string | null;
  reinstated: Record<string, { reason: string; by: string; at: string }>;
}

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
  incidents: Record<string, IncidentState>;
  openIncidentId: string | null;
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
  incidents: {},
  openIncidentId: null,
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
      return [
        {
          type: 'CredentialsReissued',
          data: { accountId: state.accountId, generation: state.generation + 1, credentialId: command.credentialId, closesIncidentId: state.openIncidentId },
        },
      ];
    case 'ReportCompromise':
      return reportCompromise(command, state);
    case 'ReinstateOperation':
      return reinstateOperation(command, state);
    case 'BlockAccount':
      if (!state.exists) throw notFound('account');
      if (state.status === 'blocked') return [];
      return [{ type: 'AccountBlocked', data: { accountId: state.accountId, reason: command.reason, incidentId: command.incidentId } }];
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
  const window = { incidentId: incident.incidentId, accountId: state.accountId, from: incident.suspectedSince ?? incident.effectiveFrom, closedAt: incident.closedAt };
  const ledger = { byAccount: { [state.accountId]: [window] }, reinstated: {} };
  if (!command.event || windowsHolding(ledger, command.event).length === 0) throw noSuch('eventId', 'operation voided by this incident');
  const eventId = command.event.eventId;
  if (Object.values(state.incidents).some((i) => i.reinstated[eventId])) throw conflict('ALREADY_REINSTATED', 'This operation has already been reinstated.');
  return [{ type: 'OperationReinstated', data: { incidentId: incident.incidentId, accountId: state.accountId, eventId, reason: command.reason, by: command.by } }];
}

/** Events as stored: evolve reads the moment they were recorded from the envelope. */
type Recorded = AccountEvent & { recordedAt?: string };

export function evolveAccount(state: AccountState, event: Recorded): AccountState {
  switch (event.type) {
    case 'AccountCreated':
      return { ...state, ...event.data, exists: true, status: 'active' };
    case 'RolesGranted':
      return { ...state, roles: [...new Set([...state.roles, ...event.data.roles])] };
    case 'RolesRevoked':
      return { ...state, roles: state.roles.filter((role) => !event.data.roles.includes(role)) };
    case 'CredentialsReissued': {
      // A reissue ends any block and the open incident: the leaked credential is dead, the new one is the account's.
      const open = state.openIncidentId ? state.incidents[state.openIncidentId] : undefined;
      const incidents = open ? { ...state.incidents, [open.incidentId]: { ...open, closedAt: event.recordedAt ?? '' } } : state.incidents;
      return { ...state, generation: event.data.generation, credentialId: event.data.credentialId, status: 'active', incidents, openIncidentId: null };
    }
    case 'AccountBlocked':
      return { ...state, status: 'blocked' };
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
      };
      return { ...state, status: 'blocked', openIncidentId: d.incidentId, incidents: { ...state.incidents, [d.incidentId]: incident } };
    }
    case 'OperationReinstated': {
      const incident = state.incidents[event.data.incidentId];
      if (!incident) return state;
      const reinstated = { ...incident.reinstated, [event.data.eventId]: { reason: event.data.reason, by: event.data.by, at: event.recordedAt ?? '' } };
      return { ...state, incidents: { ...state.incidents, [incident.incidentId]: { ...incident, reinstated } } };
    }
    default:
      return state;
  }
}

export const accountDecider = { initialState: initialAccountState, decide: decideAccount, evolve: evolveAccount };

/**
 * Account ids are derived from the login (UUIDv5), so the store's "stream must not exist yet"
 * check makes logins unique per deployment, also under concurrent creation.
 */
const ACCOUNT_NAMESPACE = '9b5a1c8e-3d1f-4b7a-9e2c-6f0d8a4b2c71';
export const accountIdForLogin = (login: string): string => uuidv5(normalizeLogin(login), ACCOUNT_NAMESPACE);
