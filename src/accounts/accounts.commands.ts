import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { CredentialVault } from '../auth/credential-vault';
import { notFound } from '../common/domain-error';
import { WriteAnswer, writeAnswer } from '../common/write-answer';
import { Actor } from '../event-store/envelope';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { OperationIds } from '../event-store/operation-ids';
import { decideSchool, schoolDecider, schoolStream } from '../school/domain/school.decider';
import { AccountDirectory } from './account-directory';
import { accountDecider, accountIdForLogin, accountStream, decideAccount } from './domain/account.decider';
import { SchoolRole } from './domain/roles';

interface Issued {
  actor: Actor;
  schoolId: string | null;
  correlationId: string;
  ids: OperationIds;
}
const meta = (c: Issued) => ({ schoolId: c.schoolId, actor: c.actor, correlationId: c.correlationId, ids: c.ids });

export class CreateSchool {
  constructor(readonly issued: Issued, readonly name: string, readonly timezone: string) {}
}

export class CreateAccount {
  constructor(
    readonly issued: Issued,
    readonly login: string,
    readonly password: string,
    readonly fullName: string,
    readonly roles: SchoolRole[],
  ) {}
}

export class GrantInspector {
  constructor(readonly issued: Issued, readonly accountId: string) {}
}

export class ReissueCredentials {
  constructor(readonly issued: Issued, readonly accountId: string, readonly password: string) {}
}

@CommandHandler(CreateSchool)
export class CreateSchoolHandler implements ICommandHandler<CreateSchool, WriteAnswer> {
  constructor(private readonly repository: EventSourcedRepository) {}
  async execute(c: CreateSchool): Promise<WriteAnswer> {
    const schoolId = c.issued.ids.newId();
    const result = await this.repository.handle(schoolStream(schoolId), schoolDecider, (s) => decideSchool({ type: 'CreateSchool', schoolId, name: c.name, timezone: c.timezone }, s), {
      ...meta(c.issued),
      schoolId,
    });
    return writeAnswer(schoolId, result!);
  }
}

/** The password's hash is stored first under a new credential id; the event then makes it current. */
@CommandHandler(CreateAccount)
export class CreateAccountHandler implements ICommandHandler<CreateAccount, WriteAnswer> {
  constructor(
    private readonly repository: EventSourcedRepository,
    private readonly vault: CredentialVault,
  ) {}
  async execute(c: CreateAccount): Promise<WriteAnswer> {
    const accountId = accountIdForLogin(c.login);
    const command = { type: 'CreateAccount' as const, accountId, schoolId: c.issued.schoolId, login: c.login, fullName: c.fullName, roles: c.roles, credentialId: '' };
    // A retry whose first attempt created the account: the login is "taken" by that very account.
    const stored = await this.repository.stored(accountStream(accountId), meta(c.issued));
    if (stored) return writeAnswer(accountId, stored);
    // Decide once before hashing: a taken login costs no argon2 run and leaves no credential row.
    decideAccount(command, (await this.repository.load(accountStream(accountId), accountDecider)).state);
    const credentialId = await this.vault.store(accountId, c.password);
    const result = await this.repository.handle(accountStream(accountId), accountDecider, (s) => decideAccount({ ...command, credentialId }, s), meta(c.issued));
    return writeAnswer(accountId, result!);
  }
}

@CommandHandler(GrantInspector)
export class GrantInspectorHandler implements ICommandHandler<GrantInspector, WriteAnswer> {
  constructor(
    private readonly repository: EventSourcedRepository,
    private readonly accounts: AccountDirectory,
  ) {}
  async execute(c: GrantInspector): Promise<WriteAnswer> {
    const account = await this.accounts.facts(c.accountId);
    const grantId = c.issued.ids.newId();
    const result = await this.repository.handle(
      schoolStream(c.issued.schoolId!),
      schoolDecider,
      (s) => decideSchool({ type: 'GrantInspector', grantId, accountId: c.accountId, account }, s),
      meta(c.issued),
    );
    return writeAnswer(grantId, result!);
  }
}

export class ChangeRoles {
  constructor(readonly issued: Issued, readonly accountId: string, readonly roles: SchoolRole[], readonly reason: string) {}
}

/** In the account's stream, like a block: every token of the account acts with the new roles on its next request. */
@CommandHandler(ChangeRoles)
export class ChangeRolesHandler implements ICommandHandler<ChangeRoles, WriteAnswer> {
  constructor(private readonly repository: EventSourcedRepository) {}
  async execute(c: ChangeRoles): Promise<WriteAnswer> {
    const command = { type: 'ChangeRoles' as const, accountId: c.accountId, schoolId: c.issued.schoolId!, roles: c.roles, reason: c.reason };
    const result = await this.repository.handle(accountStream(c.accountId), accountDecider, (s) => decideAccount(command, s), meta(c.issued));
    return writeAnswer(c.accountId, result!);
  }
}

@CommandHandler(ReissueCredentials)
export class ReissueCredentialsHandler implements ICommandHandler<ReissueCredentials, WriteAnswer> {
  constructor(
    private readonly repository: EventSourcedRepository,
    private readonly accounts: AccountDirectory,
    private readonly vault: CredentialVault,
  ) {}
  async execute(c: ReissueCredentials): Promise<WriteAnswer> {
    const account = await this.accounts.get(c.accountId);
    if (!account || account.schoolId !== c.issued.schoolId) throw notFound('account');
    // A retry whose first attempt reissued them: no second hash, no second generation.
    const stored = await this.repository.stored(accountStream(c.accountId), meta(c.issued));
    if (stored) return writeAnswer(c.accountId, stored);
    // The rules before the hash: a refused reissue (an erased account) leaves no password behind.
    decideAccount({ type: 'ReissueCredentials', accountId: c.accountId, credentialId: '' }, account);
    const credentialId = await this.vault.store(c.accountId, c.password);
    const result = await this.repository.handle(
      accountStream(c.accountId),
      accountDecider,
      (s) => decideAccount({ type: 'ReissueCredentials', accountId: c.accountId, credentialId }, s),
      meta(c.issued),
    );
    return writeAnswer(c.accountId, result!);
  }
}

export const ACCOUNT_HANDLERS = [CreateSchoolHandler, CreateAccountHandler, GrantInspectorHandler, ReissueCredentialsHandler, ChangeRolesHandler];
