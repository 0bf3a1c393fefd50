import { Injectable, OnModuleInit } from '@nestjs/common';
import { accountStream } from '../accounts/domain/account.decider';
import { StoredEvent } from '../event-store/envelope';
import { EventSourcedRepository, OperationFilter } from '../event-store/event-sourced-repository';
import { comparePositions } from '../event-store/position';
import { AccountFact, accountFactsDecider } from './domain/account-facts';
import { VoidingFacts, VoidingLedger } from './domain/voiding';

/**
 * Decisions see the journal as the views do: without void operations (a void lock does not keep a
 * period closed, a void lesson does not hold its slot, a void assignment grants nothing). The facts
 * come from account streams, caught up on every decision, so they are never behind an acknowledged
 * report: the writers' own, and — since a report, reissue or reinstatement may itself be void —
 * those of every account that filed one of those facts, until nothing new is reached.
 */
@Injectable()
export class VoidingFilter implements OperationFilter, OnModuleInit {
  constructor(private readonly repository: EventSourcedRepository) {}

  onModuleInit(): void {
    this.repository.useFilter(this);
  }

  /** The ledger of these accounts' operations, from the account streams: never behind a report. `asOf`: the facts recorded by then. */
  async ledgerOf(accountIds: readonly string[], options: { asOf?: Date; fresh?: boolean } = {}): Promise<VoidingLedger> {
    const { facts } = await this.closure(accountIds, options.fresh ?? false);
    const ledger = VoidingFacts.of(facts);
    return options.asOf ? ledger.asOf(options.asOf.toISOString()) : ledger.all();
  }

  async countsFor(accountIds: readonly string[], options: { fresh?: boolean } = {}) {
    const { facts, fingerprint } = await this.closure(accountIds, options.fresh ?? false);
    let ledger: VoidingLedger | undefined;
    return {
      fingerprint,
      counts: (event: StoredEvent) => (ledger ??= VoidingFacts.of(facts).all()).voidedBy(event) === null,
    };
  }

  /**
   * The facts of the accounts and, transitively, of whoever filed them, in log order. The fingerprint
   * names the set: account streams only grow, so the same counts per account mean the same facts.
   */
  private async closure(accountIds: readonly string[], fresh: boolean): Promise<{ facts: AccountFact[]; fingerprint: string }> {
    const seen = new Map<string, readonly AccountFact[]>();
    let frontier = [...new Set(accountIds)];
    while (frontier.length > 0) {
      const states = await Promise.all(
        frontier.map((id) => (fresh ? this.repository.read(accountStream(id), accountFactsDecider) : this.repository.load(accountStream(id), accountFactsDecider))),
      );
      const next = new Set<string>();
      frontier.forEach((id, i) => {
        seen.set(id, states[i].state.facts);
        for (const fact of states[i].state.facts) if (!seen.has(fact.actor.accountId)) next.add(fact.actor.accountId);
      });
      frontier = [...next].filter((id) => !seen.has(id));
    }
    const facts = [...seen.values()].flat().sort((a, b) => comparePositions(a.position, b.position));
    const fingerprint = [...seen].filter(([, f]) => f.length > 0).map(([id, f]) => `${id}:${f.length}`).sort().join(',');
    return { facts, fingerprint };
  }
}
