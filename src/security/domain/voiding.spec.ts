import { affectedBy, changedBy, emptyLedger, evolveLedger, foldLedger, isVoid, voidedBy } from './voiding';

const report = (recordedAt: string, effectiveFrom: string, suspectedSince: string | null = null, incidentId = 'i1') => ({
  eventId: `r-${incidentId}`,
  type: 'CredentialCompromiseReported',
  recordedAt,
  data: { incidentId, accountId: 'a1', effectiveFrom, suspectedSince },
});
const reissue = (recordedAt: string) => ({ eventId: 'x1', type: 'CredentialsReissued', recordedAt, data: { accountId: 'a1' } });
const reinstated = (eventId: string) => ({ eventId: 'ri', type: 'OperationReinstated', recordedAt: '2026-09-12T00:00:00.000Z', data: { incidentId: 'i1', accountId: 'a1', eventId } });
const op = (eventId: string, recordedAt: string, accountId = 'a1', type = 'MarkRecorded') => ({ eventId, type, recordedAt, actor: { accountId } });

describe('the voiding rule', () => {
  const ledger = foldLedger([report('2026-09-10T09:00:00.000Z', '2026-09-10T08:00:00.000Z'), reissue('2026-09-11T08:00:00.000Z')]);

  it('voids the account’s operations recorded in [effectiveFrom, reissue)', () => {
    expect(isVoid(ledger, op('e1', '2026-09-10T07:59:59.999Z'))).toBe(false);
    expect(voidedBy(ledger, op('e2', '2026-09-10T08:00:00.000Z'))).toBe('i1');
    expect(isVoid(ledger, op('e3', '2026-09-11T07:59:59.999Z'))).toBe(true);
    expect(isVoid(ledger, op('e4', '2026-09-11T08:00:00.000Z'))).toBe(false);
  });

  it('never voids another account, nor the voiding facts themselves', () => {
    expect(isVoid(ledger, op('e5', '2026-09-10T08:30:00.000Z', 'a2'))).toBe(false);
    expect(isVoid(ledger, op('e6', '2026-09-10T08:30:00.000Z', 'a1', 'CredentialsReissued'))).toBe(false);
  });

  it('starts at suspectedSince when given, and spares what was reinstated', () => {
    const earlier = foldLedger([report('2026-09-10T09:00:00.000Z', '2026-09-10T08:00:00.000Z', '2026-09-09T00:00:00.000Z'), reinstated('e7')]);
    expect(isVoid(earlier, op('e8', '2026-09-09T12:00:00.000Z'))).toBe(true);
    expect(isVoid(earlier, op('e7', '2026-09-09T12:00:00.000Z'))).toBe(false);
  });

  it('names the events a fact may change, and keeps those that did change', () => {
    const first = report('2026-09-10T09:00:00.000Z', '2026-09-10T08:00:00.000Z');
    expect(affectedBy(emptyLedger(), first)).toEqual({ accountId: 'a1', recordedFrom: '2026-09-10T08:00:00.000Z' });
    const after = evolveLedger(emptyLedger(), first);
    const candidates = [op('e1', '2026-09-10T08:30:00.000Z'), op('e2', '2026-09-10T07:00:00.000Z')];
    expect(changedBy(emptyLedger(), after, candidates).map((e) => e.eventId)).toEqual(['e1']);
    expect(affectedBy(emptyLedger(), reissue('2026-09-11T08:00:00.000Z'))).toBeNull();
    expect(affectedBy(after, reissue('2026-09-11T08:00:00.000Z'))).toEqual({ accountId: 'a1', recordedFrom: '2026-09-11T08:00:00.000Z' });
  });
});
