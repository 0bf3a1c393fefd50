import { v5 as uuidv5 } from 'uuid';
import { conflict, DomainError, invalid, notFound } from '../../common/domain-error';
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
  /** New password (its hash is kept apart under credentialId, never in an event), new generation. */
  | { type: 'CredentialsReissued'; data: { accountId: string; generation: number; credentialId: string } }
  | { type: 'AccountBlocked'; data: { accountId: string; reason: string; incidentId: string | null } };

export type AccountCommand =
  | { type: 'CreateAccount'; accountId: string; schoolId: string | null; login: string; fullName: string; roles: Role[]; credentialId: string }
  | { type: 'ReissueCredentials'; accountId: string; credentialId: string }
  | { type: 'BlockAccount'; accountId: string; reason: string; incidentId: string | null };

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
      return [{ type: 'CredentialsReissued', data: { accountId: state.accountId, generation: state.generation + 1, credentialId: command.credentialId } }];
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

export function evolveAccount(state: AccountState, event: AccountEvent): AccountState {
  switch (event.type) {
    case 'AccountCreated':
      return { ...state, ...event.data, exists: true, status: 'active' };
    case 'RolesGranted':
      return { ...state, roles: [...new Set([...state.roles, ...event.data.roles])] };
    case 'RolesRevoked':
      return { ...state, roles: state.roles.filter((role) => !event.data.roles.includes(role)) };
    case 'CredentialsReissued':
      // A reissue ends any block: the leaked credential is dead, the new one is the account's.
      return { ...state, generation: event.data.generation, credentialId: event.data.credentialId, status: 'active' };
    case 'AccountBlocked':
      return { ...state, status: 'blocked' };
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
