import { MigrationInterface, QueryRunner } from 'typeorm';

/** The purge of idempotency records past their 24 h finds them by time. */
export class IdempotencyPurge1763900000080 implements MigrationInterface {
  name = 'IdempotencyPurge1763900000080';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE INDEX idempotency_record_created_at_idx ON idempotency_record (created_at)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX idempotency_record_created_at_idx`);
  }
}
