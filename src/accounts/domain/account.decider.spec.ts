import { deciderSpec } from '../../common/testing/given-when-then';
import { ERASED_TEXT } from '../../privacy/domain/personal-fields';
import { accountDecider, AccountEvent, accountIdForLogin } from './account.decider';

const spec = deciderSpec(accountDecider);
const created: AccountEvent = {
  type: 'AccountCreated',
  data: { accountId: 'a1', schoolId: 's1', login: 'ivanova', fullName: 'Иванова Анна', roles: ['teacher'], generation: 1, credentialId: 'c1' },
};

describe('account decider', () => {
  it('given no account, when created, then the login is kept normalised and the generation is 1', () => {
    spec
      .given([])
      .when({ type: 'CreateAccount', accountId: 'a1', schoolId: 's1', login: ' Ivanova', fullName: 'Иванова Анна', roles: ['teacher', 'teacher'], credentialId: 'c1' })
      .then([created]);
  });

  it('given an account, when the same login is created again, then ALREADY_EXISTS', () => {
    spec.given([created]).when({ type: 'CreateAccount', accountId: 'a1', schoolId: 's1', login: 'ivanova', fullName: 'x', roles: ['parent'], credentialId: 'c2' }).thenRefuses('ALREADY_EXISTS');
  });

  it('given a blocked account, when credentials are reissued, then the generation moves on and the block ends', () => {
    const blocked: AccountEvent = { type: 'AccountBlocked', data: { accountId: 'a1', reason: 'leak', incidentId: 'i1' } };
    spec.given([created, blocked]).when({ type: 'ReissueCredentials', accountId: 'a1', credentialId: 'c2' }).then([{ type: 'CredentialsReissued', data: { accountId: 'a1', generation: 2, credentialId: 'c2', closesIncidentId: null } }]);
    const { state } = spec.given([created, blocked, { type: 'CredentialsReissued', data: { accountId: 'a1', generation: 2, credentialId: 'c2' } }]);
    expect(state).toMatchObject({ status: 'active', generation: 2, credentialId: 'c2' });
  });

  it('given an account, when its roles change, then RolesGranted and RolesRevoked make them exactly the new ones (issue 12)', () => {
    const change = { type: 'ChangeRoles' as const, accountId: 'a1', schoolId: 's1', roles: ['deputy' as const, 'teacher' as const], reason: 'назначение' };
    spec.given([created]).when(change).then([{ type: 'RolesGranted', data: { accountId: 'a1', roles: ['deputy'], reason: 'назначение' } }]);
    spec.given([created]).when({ ...change, roles: ['deputy'] }).then([
      { type: 'RolesGranted', data: { accountId: 'a1', roles: ['deputy'], reason: 'назначение' } },
      { type: 'RolesRevoked', data: { accountId: 'a1', roles: ['teacher'], reason: 'назначение' } },
    ]);
    const { state } = spec.given([created, { type: 'RolesGranted', data: { accountId: 'a1', roles: ['deputy'] } }, { type: 'RolesRevoked', data: { accountId: 'a1', roles: ['teacher'] } }]);
    expect(state.roles).toEqual(['deputy']);
    spec.given([created]).when({ ...change, roles: ['teacher'] }).thenRefuses('VALIDATION_FAILED', 'roles');
    spec.given([created]).when({ ...change, roles: [] }).thenRefuses('VALIDATION_FAILED', 'roles');
    spec.given([]).when(change).thenRefuses('NOT_FOUND');
    spec.given([created]).when({ ...change, schoolId: 'another-school' }).thenRefuses('NOT_FOUND');
  });

  it('derives one account id per login, whatever its case and spaces', () => {
    expect(accountIdForLogin('Ivanova ')).toBe(accountIdForLogin('ivanova'));
    expect(accountIdForLogin('ivanova')).not.toBe(accountIdForLogin('ivanov'));
  });

  it('given an account, when its personal data is erased, then only once blocked; it reads as erased and can never be reissued', () => {
    const erase = { type: 'ErasePersonalData' as const, accountId: 'a1', schoolId: 's1', basis: 'subject-request' as const };
    const blocked: AccountEvent = { type: 'AccountBlocked', data: { accountId: 'a1', reason: 'уволена', incidentId: null } };
    const erased: AccountEvent = { type: 'PersonalDataErased', data: { person: 'account', accountId: 'a1', basis: 'subject-request' } };
    spec.given([created]).when(erase).thenRefuses('ACCOUNT_ACTIVE');
    spec.given([created, blocked]).when({ ...erase, schoolId: 's2' }).thenRefuses('NOT_FOUND');
    spec.given([created, blocked]).when(erase).then([erased]);
    const { state } = spec.given([created, blocked, erased]);
    expect(state).toMatchObject({ login: ERASED_TEXT, fullName: ERASED_TEXT, erased: true, status: 'blocked' });
    spec.given([created, blocked, erased]).when(erase).thenRefuses('ALREADY_ERASED');
    spec.given([created, blocked, erased]).when({ type: 'ReissueCredentials', accountId: 'a1', credentialId: 'c2' }).thenRefuses('PERSON_ERASED');
  });
});
