import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The key made on first start (no secret configured) was the token signing key itself; it is now
 * the master every key is derived from (src/auth/service-keys.ts). An existing deployment keeps
 * its value under the new name, so no signing key is left in clear beside it. Tokens signed with
 * the old key stop verifying (sign in again); idempotency records of before answer a retry 422.
 */
export class ServiceMasterSecret1763900000031 implements MigrationInterface {
  name = 'ServiceMasterSecret1763900000031';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`UPDATE service_setting SET key = 'service-master-secret' WHERE key = 'jwt-signing-key'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`UPDATE service_setting SET key = 'jwt-signing-key' WHERE key = 'service-master-secret'`);
  }
}
