import { accountDecider, accountStream } from '../accounts/domain/account.decider';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { ledgerOfAccounts, voidedBy } from '../security/domain/voiding';
import { consentDecider, ConsentState, consentStream, effectiveConsent } from './domain/consent.decider';

export interface ConsentFacts {
  state: ConsentState;
  /** Registrations that are void: recorded by an account in an incident window, not reinstated. */
  voided: string[];
  status: ReturnType<typeof effectiveConsent>['status'];
  form: ReturnType<typeof effectiveConsent>['form'];
}

/**
 * A parent's consent for a student as decisions need it, never behind a write: the consent stream
 * and the accounts of those who registered it, each a cached fold caught up from its tail
 * (EventSourcedRepository.load), so a consent given through a compromised account does not count.
 */
export async function consentFacts(repository: EventSourcedRepository, parentId: string, studentId: string): Promise<ConsentFacts> {
  const { state } = await repository.load(consentStream(parentId, studentId), consentDecider);
  if (state.history.length === 0) return { state, voided: [], status: 'none', form: null };
  const actors = [...new Set(state.history.map((entry) => entry.by))];
  const accounts = await Promise.all(actors.map(async (accountId) => (await repository.load(accountStream(accountId), accountDecider)).state));
  const ledger = ledgerOfAccounts(accounts.filter((account) => account.exists));
  const voided = state.history
    .filter((entry) => voidedBy(ledger, { eventId: entry.eventId, type: entry.type, recordedAt: entry.at, actor: { accountId: entry.by } }) !== null)
    .map((entry) => entry.eventId);
  return { state, voided, ...effectiveConsent(state, voided) };
}
