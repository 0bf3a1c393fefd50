import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17: the notification outbox (src/notifications). A row per notification due to one parent
 * on one channel, written by the outbox follower with its checkpoint in one transaction; the id is
 * stable (the receiver deduplicates by it). Only ids are kept: names and contacts are read (and
 * opened) when sending, so an erasure reaches the messages not yet sent.
 */
export class NotificationOutbox1763900000140 implements MigrationInterface {
  name = 'NotificationOutbox1763900000140';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE notification_outbox (
         id uuid PRIMARY KEY,
         school_id text NOT NULL,
         kind text NOT NULL CHECK (kind IN ('news', 'void-notice')),
         source_event_id uuid NOT NULL,
         source_stream text NOT NULL,
         source_type text NOT NULL,
         source_actor text NOT NULL,
         source_recorded_at text NOT NULL,
         student_id text NOT NULL,
         parent_id text NOT NULL,
         channel text NOT NULL CHECK (channel IN ('email', 'sms')),
         corrects uuid,
         digest_key text,
         digest_id uuid,
         state text NOT NULL CHECK (state IN ('pending', 'sent', 'failed', 'cancelled')),
         attempts integer NOT NULL DEFAULT 0,
         due_at timestamptz NOT NULL,
         lease_until timestamptz,
         created_at timestamptz NOT NULL,
         sent_at timestamptz,
         outcome text,
         position text NOT NULL
       )`,
    );
    await runner.query(`CREATE INDEX notification_outbox_due ON notification_outbox (due_at) WHERE state = 'pending'`);
    await runner.query(`CREATE INDEX notification_outbox_actor ON notification_outbox (source_actor)`);
    await runner.query(`CREATE INDEX notification_outbox_source ON notification_outbox (source_event_id)`);
    await runner.query(`CREATE TABLE notification_checkpoint (id smallint PRIMARY KEY CHECK (id = 1), position text NOT NULL)`);
    // Accounts whose voidness changed (a report, a reissue, a reinstatement): their notifications are judged again.
    await runner.query(`CREATE TABLE notification_recheck (account_id text PRIMARY KEY, since text NOT NULL)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE notification_recheck`);
    await runner.query(`DROP TABLE notification_checkpoint`);
    await runner.query(`DROP TABLE notification_outbox`);
  }
}
