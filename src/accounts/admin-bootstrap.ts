import { Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { CredentialVault } from '../auth/credential-vault';
import { DomainError } from '../common/domain-error';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { SYSTEM_ACTOR } from '../event-store/envelope';
import { ConcurrencyError } from '../event-store/event-store.errors';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { accountDecider, accountIdForLogin, accountStream, decideAccount } from './domain/account.decider';

export const DEPLOYMENT_STREAM = 'deployment';

export type BootstrapOutcome = { kind: 'existing' } | { kind: 'created'; login: string; generatedPassword: string | null };

/**
 * On the first start of a deployment, creates the regional `admin` account from ADMIN_LOGIN /
 * ADMIN_PASSWORD, or with a generated password that is shown once on the console (never logged).
 */
@Injectable()
export class AdminBootstrap implements OnApplicationBootstrap {
  private readonly logger = new Logger('bootstrap');
  /** What the last start did, for main.ts to tell the operator. */
  outcome: BootstrapOutcome = { kind: 'existing' };

  constructor(
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly repository: EventSourcedRepository,
    private readonly vault: CredentialVault,
  ) {}

  async onApplicationBootstrap(): Promise<void> {
    this.outcome = await this.run();
  }

  async run(): Promise<BootstrapOutcome> {
    if ((await this.store.readStream(DEPLOYMENT_STREAM)).length > 0) return { kind: 'existing' };
    const login = this.config.ADMIN_LOGIN;
    const generatedPassword = this.config.ADMIN_PASSWORD ? null : randomBytes(12).toString('base64url');
    const accountId = accountIdForLogin(login);
    const meta = { schoolId: null, actor: SYSTEM_ACTOR, correlationId: uuidv7() };
    const credentialId = await this.vault.store(accountId, this.config.ADMIN_PASSWORD ?? generatedPassword!);
    try {
      await this.repository.handle(
        accountStream(accountId),
        accountDecider,
        (s) => decideAccount({ type: 'CreateAccount', accountId, schoolId: null, login, fullName: 'Regional administrator', roles: ['admin'], credentialId }, s),
        meta,
      );
    } catch (error) {
      if (!(error instanceof DomainError && error.code === 'ALREADY_EXISTS')) throw error;
      this.logger.warn({ login }, 'an account with the admin login exists already; it is kept as it is');
      return { kind: 'existing' };
    }
    try {
      await this.store.append(DEPLOYMENT_STREAM, 'no-stream', [{ type: 'DeploymentInitialized', data: { adminAccountId: accountId } }], meta);
    } catch (error) {
      if (!(error instanceof ConcurrencyError)) throw error;
    }
    this.logger.log({ login, accountId }, 'regional admin account created');
    return { kind: 'created', login, generatedPassword };
  }
}
