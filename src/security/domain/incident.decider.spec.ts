import { accountDecider, AccountEvent } from '../../accounts/domain/account.decider';
import { deciderSpec } from '../../common/testing/given-when-then';

/** SPEC §4 on the account's stream: report, block, reinstate, reissue. */
const spec = deciderSpec(accountDecider);
const created: AccountEvent = {
  type: 'AccountCreated',
  data: { accountId: 'a1', schoolId: 's1', login: 'ivanova', fullName: 'Иванова Анна', roles: ['teacher'], generation: 1, credentialId: 'c1' },
};
const at = (recordedAt: string, event: AccountEvent) => ({ ...event, recordedAt }) as unknown as AccountEvent;
const report = (overrides: Partial<{ effectiveFrom: string; suspectedSince: string | null; now: string }> = {}) => ({
  type: 'ReportCompromise' as const,
  incidentId: 'i1',
  effectiveFrom: '2026-09-10T08:00:00.000Z',
  suspectedSince: null,
  note: 'пароль утёк',
  reportedBy: 'security',
  now: '2026-09-10T09:00:00.000Z',
  ...overrides,
});
const reportedEvent: AccountEvent = {
  type: 'CredentialCompromiseReported',
  data: { incidentId: 'i1', accountId: 'a1', effectiveFrom: '2026-09-10T08:00:00.000Z', suspectedSince: null, reportedBy: 'security', note: 'пароль утёк' },
};
const reported = at('2026-09-10T09:00:00.000Z', reportedEvent);
const reissued = at('2026-09-11T08:00:00.000Z', { type: 'CredentialsReissued', data: { accountId: 'a1', generation: 2, credentialId: 'c2', closesIncidentId: 'i1' } });
const operation = (recordedAt: string, accountId = 'a1') => ({ eventId: 'e1', type: 'MarkRecorded', recordedAt, actor: { accountId } });
const open = { incidentId: 'i1', accountId: 'a1', from: '2026-09-10T08:00:00.000Z', closedAt: null };
const closed = { ...open, closedAt: '2026-09-11T08:00:00.000Z' };
const reinstate = (event: ReturnType<typeof operation> | null, window: typeof open | typeof closed | null = open) => ({
  type: 'ReinstateOperation' as const,
  incidentId: 'i1',
  event,
  window,
  reason: 'проверено',
  by: 'director',
});

describe('incidents on the account stream', () => {
  it('given an account, when a compromise is reported, then the report is recorded and the account blocked', () => {
    spec.given([created]).when(report()).then([reportedEvent]);
    expect(spec.given([created, reported]).state).toMatchObject({ status: 'blocked', openIncidentId: 'i1' });
  });

  it('given an open incident, when another report comes, then INCIDENT_OPEN', () => {
    spec.given([created, reported]).when(report()).thenRefuses('INCIDENT_OPEN');
  });

  it('given no account, when reported, then NOT_FOUND', () => {
    spec.given([]).when(report()).thenRefuses('NOT_FOUND');
  });

  it('refuses an effectiveFrom in the future and a suspectedSince after it', () => {
    spec.given([created]).when(report({ effectiveFrom: '2026-09-10T10:00:00.000Z' })).thenRefuses('VALIDATION_FAILED', 'effectiveFrom');
    spec.given([created]).when(report({ suspectedSince: '2026-09-10T08:00:00.001Z' })).thenRefuses('VALIDATION_FAILED', 'suspectedSince');
  });

  it('given a reissue after the report, then the incident is closed at the reissue and a new report may come', () => {
    const { state } = spec.given([created, reported, reissued]);
    expect(state).toMatchObject({ status: 'active', openIncidentId: null });
    expect(state.incidents.i1.closedAt).toBe('2026-09-11T08:00:00.000Z');
    spec.given([created, reported, reissued]).when({ ...report({ now: '2026-09-12T08:00:00.000Z' }), incidentId: 'i2' }).then([
      { type: 'CredentialCompromiseReported', data: { ...(reported.data as object), incidentId: 'i2' } as never },
    ]);
  });

  it('reinstates an operation the incident voided, once', () => {
    const done: AccountEvent = { type: 'OperationReinstated', data: { incidentId: 'i1', accountId: 'a1', eventId: 'e1', reason: 'проверено', by: 'director' } };
    spec.given([created, reported]).when(reinstate(operation('2026-09-10T08:30:00.000Z'))).then([done]);
    spec.given([created, reported, done]).when(reinstate(operation('2026-09-10T08:30:00.000Z'))).thenRefuses('ALREADY_REINSTATED');
  });

  it('refuses to reinstate what the incident did not void: before the moment, after the reissue, another account, no such event', () => {
    spec.given([created, reported]).when(reinstate(operation('2026-09-10T07:59:59.999Z'))).thenRefuses('NOT_FOUND');
    spec.given([created, reported, reissued]).when(reinstate(operation('2026-09-11T08:00:00.000Z'), closed)).thenRefuses('NOT_FOUND');
    spec.given([created, reported]).when(reinstate(operation('2026-09-10T08:30:00.000Z', 'a2'))).thenRefuses('NOT_FOUND');
    spec.given([created, reported]).when(reinstate(null)).thenRefuses('NOT_FOUND');
    spec.given([created]).when(reinstate(operation('2026-09-10T08:30:00.000Z'))).thenRefuses('NOT_FOUND');
    // A report filed through a compromised account has no window: it voided nothing to reinstate.
    spec.given([created, reported]).when(reinstate(operation('2026-09-10T08:30:00.000Z'), null)).thenRefuses('NOT_FOUND');
  });

  it('given a report filed through a compromised account, then the account stays blocked but has no open incident', () => {
    const state = accountDecider.evolveVoid(spec.given([created]).state, reported);
    expect(state).toMatchObject({ status: 'blocked', blockedBecause: 'compromise', openIncidentId: null });
    expect(state.incidents.i1.void).toBe(true);
    spec.given([created]).when(report()).then([reportedEvent]);
  });

  it('given an account created, granted a role or reissued through a compromised account, then it is blocked until a valid reissue, the grant counting for nothing', () => {
    const blockedByCreation = accountDecider.evolveVoid(accountDecider.initialState(), created);
    expect(blockedByCreation).toMatchObject({ exists: true, status: 'blocked', blockedBecause: 'void-operation', roles: ['teacher'] });
    const granted: AccountEvent = { type: 'RolesGranted', data: { accountId: 'a1', roles: ['sysadmin'] } };
    const afterGrant = accountDecider.evolveVoid(spec.given([created]).state, granted);
    expect(afterGrant).toMatchObject({ status: 'blocked', roles: ['teacher'] });
    const voidReissue = accountDecider.evolveVoid(spec.given([created, reported]).state, reissued);
    expect(voidReissue).toMatchObject({ status: 'blocked', generation: 2, openIncidentId: 'i1' });
    expect(accountDecider.evolve(voidReissue, at('2026-09-12T08:00:00.000Z', { type: 'CredentialsReissued', data: { accountId: 'a1', generation: 3, credentialId: 'c3', closesIncidentId: 'i1' } }))).toMatchObject({
      status: 'active',
      blockedBecause: null,
      openIncidentId: null,
    });
  });
});
