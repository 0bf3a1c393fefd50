import type { Position } from '../../event-store/position';
import { isVoidingEvent, VoidingEvent } from './voiding';

/** A voiding fact as an account's stream keeps it, with its place in the log. */
export interface AccountFact extends VoidingEvent {
  readonly position: Position;
}

export interface AccountFactsState {
  /** The reports on the account, the reissues of its credentials, the reinstatements of its operations, in stream order. */
  readonly facts: readonly AccountFact[];
}

type Stored = VoidingEvent & { position: Position };

/**
 * The voiding facts of one account stream, folded plainly (never voided: the ledger judges them).
 * A decision's ledger is resolved from these facts of the writers' accounts, and of the accounts
 * that filed those facts, and so on (VoidingFilter): everything the writers' voidness depends on.
 */
export const accountFactsDecider = {
  initialState: (): AccountFactsState => ({ facts: [] }),
  evolve: (state: AccountFactsState, event: Stored): AccountFactsState =>
    isVoidingEvent(event.type)
      ? { facts: [...state.facts, { eventId: event.eventId, type: event.type, recordedAt: event.recordedAt, actor: { accountId: event.actor.accountId }, data: event.data, position: event.position }] }
      : state,
};
