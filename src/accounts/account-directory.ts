import { Injectable } from '@nestjs/common';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { AccountFacts } from '../school/domain/school.decider';
import { accountDecider, AccountState, accountStream } from './domain/account.decider';

/** Accounts as the deciding side needs them: read from their streams, so never behind a write. */
@Injectable()
export class AccountDirectory {
  constructor(private readonly repository: EventSourcedRepository) {}

  async get(accountId: string): Promise<AccountState | null> {
    const { state } = await this.repository.load(accountStream(accountId), accountDecider);
    return state.exists ? state : null;
  }

  async facts(accountId: string | null | undefined): Promise<AccountFacts | null> {
    if (!accountId) return null;
    const account = await this.get(accountId);
    return account ? { schoolId: account.schoolId, roles: account.roles } : null;
  }
}
