import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * What voiding and the audit ask of the log: an account's operations from a moment on (a report's
 * voided set), a school's log in order (the raw audit); and each view document's source streams,
 * where the runner re-folds it from when a report or a reinstatement changes what is void.
 */
export class LogIndexes1763900000004 implements MigrationInterface {
  name = 'LogIndexes1763900000004';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE INDEX event_log_actor_recorded_idx ON event_log (actor_account_id, recorded_at)`);
    await runner.query(`CREATE INDEX event_log_school_order_idx ON event_log (school_id, tx_id, seq)`);
    await runner.query(`ALTER TABLE view_document ADD COLUMN sources text[] NOT NULL DEFAULT '{}'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE view_document DROP COLUMN sources`);
    await runner.query(`DROP INDEX event_log_school_order_idx`);
    await runner.query(`DROP INDEX event_log_actor_recorded_idx`);
  }
}
