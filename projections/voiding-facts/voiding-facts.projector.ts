import type { StoredEvent } from '../../src/event-store/envelope';
import { formatPosition, parsePosition, Position, START } from '../../src/event-store/position';
import { isVoidingFact, VOIDING_EVENT_TYPES, VoidingEvent } from '../../src/security/domain/voiding';
import { DocumentProjector } from '../projector';

/** A voiding fact as the runner keeps it: enough to fold the ledger at any position. */
export interface StoredFact extends VoidingEvent {
  readonly position: string;
}

export interface VoidingFactsDoc {
  facts: StoredFact[];
}

export const VOIDING_FACTS = 'voiding-facts';

/**
 * Every report, reissue and reinstatement in log order, in one document: what the runner folds the
 * ledger from when it starts, and at any position of a view it rebuilds. The other views depend on
 * it, so rebuilding it rebuilds them all.
 */
export const voidingFacts: DocumentProjector<VoidingFactsDoc> = {
  name: VOIDING_FACTS,
  // 2: every reissue is kept (any may close a window once an earlier one is found void), with its actor.
  version: 2,
  handles: VOIDING_EVENT_TYPES,
  // A fact may itself be void (filed through a compromised account): it is kept all the same.
  seesVoid: true,
  keys: (event) => (isVoidingFact(event) ? ['all'] : []),
  evolve: (doc, event) => ({ facts: [...(doc?.facts ?? []), factOf(event)] }),
};

export const factOf = (event: StoredEvent): StoredFact => ({
  eventId: event.eventId,
  type: event.type,
  recordedAt: event.recordedAt,
  actor: { accountId: event.actor.accountId },
  data: event.data,
  position: formatPosition(event.position),
});

export const factPosition = (fact: StoredFact): Position => parsePosition(fact.position) ?? START;
