import { deciderSpec } from '../../common/testing/given-when-then';
import { ConsentEnvelope, ConsentEvent, consentDecider, RecordConsent } from './consent.decider';

const spec = deciderSpec(consentDecider);
const parent = 'parent-1';
const school = { accountId: 'class-teacher-1', role: 'school' as const };
const record = (over: Partial<RecordConsent> = {}): RecordConsent => ({
  type: 'RecordConsent',
  parentId: parent,
  studentId: 's1',
  granted: true,
  form: 'electronic',
  by: { accountId: parent, role: 'parent' },
  studentKnown: true,
  linkedParents: [parent],
  parentKnown: true,
  ...over,
});
const data = (form: 'electronic' | 'paper') => ({ parentId: parent, studentId: 's1', form });
const granted: ConsentEvent = { type: 'ConsentGranted', data: data('paper') };
const refused: ConsentEvent = { type: 'ConsentRefused', data: data('paper') };
const withdrawn: ConsentEvent = { type: 'ConsentWithdrawn', data: data('electronic') };

describe('consent decider', () => {
  it('given nothing, when the parent grants electronically, then ConsentGranted', () => {
    spec.given([]).when(record()).then([{ type: 'ConsentGranted', data: data('electronic') }]);
  });

  it('given nothing, when the class teacher registers a paper refusal, then ConsentRefused', () => {
    spec.given([]).when(record({ granted: false, form: 'paper', by: school })).then([refused]);
  });

  it('given a refusal, when the school registers a paper consent, then ConsentGranted (history kept as events)', () => {
    spec.given([refused]).when(record({ form: 'paper', by: school })).then([granted]);
  });

  it('given a granted consent, when the parent refuses, then ConsentWithdrawn', () => {
    spec.given([granted]).when(record({ granted: false })).then([withdrawn]);
  });

  it('given a withdrawal, when the parent grants again, then ConsentGranted', () => {
    spec.given([granted, withdrawn]).when(record()).then([{ type: 'ConsentGranted', data: data('electronic') }]);
  });

  it('refuses a parent registering on paper, and the school registering electronically (400 form)', () => {
    spec.given([]).when(record({ form: 'paper' })).thenRefuses('VALIDATION_FAILED', 'form');
    spec.given([]).when(record({ by: school })).thenRefuses('VALIDATION_FAILED', 'form');
  });

  it("refuses a parent registering another parent's consent (403)", () => {
    spec.given([]).when(record({ by: { accountId: 'parent-2', role: 'parent' }, linkedParents: [parent, 'parent-2'] })).thenRefuses('FORBIDDEN');
  });

  it('refuses a parent account not linked to the student (400), an id that names no account or no student (404)', () => {
    spec.given([]).when(record({ linkedParents: ['parent-2'] })).thenRefuses('VALIDATION_FAILED', 'parentId');
    spec.given([]).when(record({ linkedParents: ['parent-2'], parentKnown: false })).thenRefuses('NOT_FOUND', 'parentId');
    spec.given([]).when(record({ studentKnown: false })).thenRefuses('NOT_FOUND', 'studentId');
  });

  it('refuses what changes nothing: granting a granted consent, refusing a refused one (409)', () => {
    spec.given([granted]).when(record()).thenRefuses('ALREADY_EXISTS');
    spec.given([refused]).when(record({ granted: false })).thenRefuses('ALREADY_EXISTS');
    spec.given([granted, withdrawn]).when(record({ granted: false })).thenRefuses('ALREADY_EXISTS');
  });

  it('folds the history into the current status', () => {
    expect(spec.given([refused, granted, withdrawn]).state).toMatchObject({ status: 'withdrawn', form: 'electronic' });
    expect(spec.given([]).state).toEqual({ status: 'none', form: null, history: [] });
  });

  describe('the history', () => {
    const stored = (event: ConsentEvent, eventId: string, by: string): ConsentEnvelope => ({ ...event, eventId, recordedAt: '2026-09-07T08:00:00.000Z', actor: { accountId: by } });

    it('keeps who registered each one and when (the repository folds only registrations that are not void)', () => {
      const state = [stored(refused, 'e1', 'class-teacher-1'), stored({ type: 'ConsentGranted', data: data('electronic') }, 'e2', parent)].reduce(consentDecider.evolve, consentDecider.initialState());
      expect(state.history).toEqual([
        { eventId: 'e1', type: 'ConsentRefused', form: 'paper', at: '2026-09-07T08:00:00.000Z', by: 'class-teacher-1' },
        { eventId: 'e2', type: 'ConsentGranted', form: 'electronic', at: '2026-09-07T08:00:00.000Z', by: parent },
      ]);
      expect(consentDecider.voidable).toBe(true);
    });
  });
});
