import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Secrets live beside the log, never in it. Each password hash gets its own credential id, written
 * before the event that names it (AccountCreated, CredentialsReissued) makes it current: an append
 * that fails, or loses a race, leaves an unused row and never touches the password in force.
 */
export class Accounts1763900000002 implements MigrationInterface {
  name = 'Accounts1763900000002';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE account_credential (
        credential_id uuid        PRIMARY KEY,
        account_id    uuid        NOT NULL,
        password_hash text        NOT NULL,
        created_at    timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE service_setting (
        key   text PRIMARY KEY,
        value text NOT NULL
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE service_setting`);
    await runner.query(`DROP TABLE account_credential`);
  }
}
