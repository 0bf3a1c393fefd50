import { Injectable, OnModuleInit } from '@nestjs/common';
import { accountDecider, accountStream } from '../accounts/domain/account.decider';
import { EventSourcedRepository, OperationFilter } from '../event-store/event-sourced-repository';
import { isVoid, ledgerOfAccounts, VoidingLedger } from './domain/voiding';

/**
 * Decisions see the journal as the views do: without void operations (a void lock does not keep a
 * period closed, a void lesson does not hold its slot). The facts come from the writers' own account
 * streams, caught up on every decision, so they are never behind an acknowledged report.
 */
@Injectable()
export class VoidingFilter implements OperationFilter, OnModuleInit {
  constructor(private readonly repository: EventSourcedRepository) {}

  onModuleInit(): void {
    this.repository.useFilter(this);
  }

  /** The incidents of these accounts, from their own streams: never behind a report. */
  async ledgerOf(accountIds: readonly string[]): Promise<VoidingLedger> {
    const accounts = await Promise.all(accountIds.map(async (id) => (await this.repository.load(accountStream(id), accountDecider)).state));
    return ledgerOfAccounts(accounts.map((a, i) => ({ ...a, accountId: accountIds[i] })));
  }

  async countsFor(accountIds: readonly string[]) {
    const ledger = await this.ledgerOf(accountIds);
    return { fingerprint: JSON.stringify(ledger), counts: (event: Parameters<typeof isVoid>[1]) => !isVoid(ledger, event) };
  }
}
