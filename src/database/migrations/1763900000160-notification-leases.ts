import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17, after review: a delivery's lease has an id (a worker that lost its lease to another
 * writes nothing over it); a recheck request has a generation (a request made while one is being
 * handled is not deleted with it); the pending queue is indexed by channel, digest and school, and
 * failures apart, so neither a poll nor a scrape reads every notification ever sent.
 */
export class NotificationLeases1763900000160 implements MigrationInterface {
  name = 'NotificationLeases1763900000160';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE notification_outbox ADD COLUMN lease_id uuid`);
    await runner.query(`ALTER TABLE notification_recheck ADD COLUMN generation bigint NOT NULL DEFAULT 0`);
    await runner.query(`DROP INDEX notification_outbox_due`);
    await runner.query(`CREATE INDEX notification_outbox_due ON notification_outbox (channel, due_at) WHERE state = 'pending'`);
    await runner.query(`CREATE INDEX notification_outbox_digest ON notification_outbox (digest_key) WHERE state = 'pending' AND digest_key IS NOT NULL`);
    await runner.query(`CREATE INDEX notification_outbox_school ON notification_outbox (school_id, created_at)`);
    await runner.query(`CREATE INDEX notification_outbox_failed ON notification_outbox (created_at) WHERE state = 'failed'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX notification_outbox_failed`);
    await runner.query(`DROP INDEX notification_outbox_school`);
    await runner.query(`DROP INDEX notification_outbox_digest`);
    await runner.query(`DROP INDEX notification_outbox_due`);
    await runner.query(`CREATE INDEX notification_outbox_due ON notification_outbox (due_at) WHERE state = 'pending'`);
    await runner.query(`ALTER TABLE notification_recheck DROP COLUMN generation`);
    await runner.query(`ALTER TABLE notification_outbox DROP COLUMN lease_id`);
  }
}
