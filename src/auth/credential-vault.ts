import { hash, verify } from '@node-rs/argon2';
import { Inject, Injectable } from '@nestjs/common';
import { randomBytes } from 'node:crypto';
import { v7 as uuidv7 } from 'uuid';
import { Database, DATABASE } from '../database/database';

/** OWASP's argon2id baseline: 19 MiB, 2 passes. */
// algorithm 2 = Argon2id (the package's const enum cannot be imported under isolatedModules).
const ARGON2 = { algorithm: 2, memoryCost: 19_456, timeCost: 2, parallelism: 1 };

/**
 * Password hashes, outside the event log, each under a fresh credential id that an account event
 * then names. Nothing here returns or logs a password or a hash.
 */
@Injectable()
export class CredentialVault {
  /** Verifying against this costs as much as a real hash, so unknown logins answer as slowly. */
  private decoy?: Promise<string>;

  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** Hashes and keeps the password; returns the id the account event will name. */
  async store(accountId: string, password: string): Promise<string> {
    const credentialId = uuidv7();
    const passwordHash = await hash(password, ARGON2);
    await this.database.pool.query(`INSERT INTO account_credential (credential_id, account_id, password_hash) VALUES ($1, $2, $3)`, [
      credentialId,
      accountId,
      passwordHash,
    ]);
    return credentialId;
  }

  async verify(accountId: string, credentialId: string, password: string): Promise<boolean> {
    const { rows } = await this.database.pool.query<{ password_hash: string }>(
      `SELECT password_hash FROM account_credential WHERE credential_id = $1 AND account_id = $2`,
      [credentialId, accountId],
    );
    if (rows.length === 0) {
      await this.burnTime(password);
      return false;
    }
    return verify(rows[0].password_hash, password);
  }

  /** Every password hash of the account gone (its personal data erased): it never signs in again. */
  async forget(accountId: string): Promise<void> {
    await this.database.pool.query(`DELETE FROM account_credential WHERE account_id = $1`, [accountId]);
  }

  /** Spends the time a verification takes, for answers that must not reveal whether a login exists. */
  async burnTime(password: string): Promise<void> {
    this.decoy ??= hash(randomBytes(16).toString('hex'), ARGON2);
    await verify(await this.decoy, password).catch(() => false);
  }
}
