import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 17 item 4: how far the change feed is published to NATS JetStream (src/feed): per
 * JetStream stream, the log position through which every entry was published.
 */
export class FeedPublication1763900000150 implements MigrationInterface {
  name = 'FeedPublication1763900000150';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE TABLE feed_publication (stream text PRIMARY KEY, position text NOT NULL, updated_at timestamptz NOT NULL)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE feed_publication`);
  }
}
