import { CommandHandler, ICommandHandler } from '@nestjs/cqrs';
import { accountDecider, accountStream, AccountCommand, decideAccount } from '../accounts/domain/account.decider';
import { CredentialVault } from '../auth/credential-vault';
import { WriteAnswer, writeAnswer } from '../common/write-answer';
import { Actor } from '../event-store/envelope';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { OperationIds } from '../event-store/operation-ids';
import { decideSchool, SchoolCommand, schoolDecider, schoolStream } from '../school/domain/school.decider';
import { ErasureBasis, PersonKind, personRef } from './domain/personal-fields';
import { PersonalDataVault } from './personal-data-vault';

/** Erase one person's personal data (152-ФЗ): a student of the school, or an account of it. */
export class ErasePersonalData {
  constructor(
    readonly schoolId: string,
    readonly kind: PersonKind,
    readonly personId: string,
    readonly basis: ErasureBasis,
    readonly actor: Actor,
    readonly correlationId: string,
    readonly ids: OperationIds,
  ) {}
}

/**
 * The rules first (the person exists here, is not erased, an account is blocked), then the key is
 * destroyed, then `PersonalDataErased` is recorded. In that order a failure between the two leaves
 * the person erased and a retry records it; the other order could record an erasure whose key lives.
 */
@CommandHandler(ErasePersonalData)
export class ErasePersonalDataHandler implements ICommandHandler<ErasePersonalData, WriteAnswer> {
  constructor(
    private readonly repository: EventSourcedRepository,
    private readonly vault: PersonalDataVault,
    private readonly credentials: CredentialVault,
  ) {}

  async execute(c: ErasePersonalData): Promise<WriteAnswer> {
    const meta = { schoolId: c.schoolId, actor: c.actor, correlationId: c.correlationId, ids: c.ids };
    // A retry under the same Idempotency-Key whose first attempt was stored gets the original answer.
    const stored = await this.repository.stored(c.kind === 'student' ? schoolStream(c.schoolId) : accountStream(c.personId), meta);
    if (stored) return writeAnswer(c.personId, stored);
    let result;
    if (c.kind === 'student') {
      const command: SchoolCommand = { type: 'EraseStudentData', studentId: c.personId, basis: c.basis };
      const stream = schoolStream(c.schoolId);
      decideSchool(command, (await this.repository.load(stream, schoolDecider)).state);
      await this.vault.erase(personRef('student', c.personId));
      result = await this.repository.handle(stream, schoolDecider, (state) => decideSchool(command, state), meta);
    } else {
      const command: AccountCommand = { type: 'ErasePersonalData', accountId: c.personId, schoolId: c.schoolId, basis: c.basis };
      const stream = accountStream(c.personId);
      decideAccount(command, (await this.repository.load(stream, accountDecider)).state);
      await this.vault.erase(personRef('account', c.personId));
      // Its password hash is personal data too, and the account is never to sign in again.
      await this.credentials.forget(c.personId);
      result = await this.repository.handle(stream, accountDecider, (state) => decideAccount(command, state), meta);
    }
    return writeAnswer(c.personId, result!);
  }
}
