import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * The log's envelope fields, for an event store that cannot answer `query` from an index of its
 * own (EventStoreDB): who, when, which school, where — keyed by the event's global position.
 * Written by `IndexedQueryStore`'s follower with its checkpoint; unused on PostgreSQL and PGlite,
 * whose `event_log` carries these indexes itself.
 */
export class EventIndex1763900000050 implements MigrationInterface {
  name = 'EventIndex1763900000050';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE event_index (
        major            numeric(20) NOT NULL,
        minor            numeric(20) NOT NULL,
        event_id         uuid        NOT NULL,
        stream_id        text        NOT NULL,
        stream_version   integer     NOT NULL,
        type             text        NOT NULL,
        school_id        uuid,
        actor_account_id uuid        NOT NULL,
        recorded_at      timestamptz NOT NULL,
        CONSTRAINT event_index_pkey PRIMARY KEY (major, minor)
      )`);
    await runner.query(`CREATE INDEX event_index_actor_recorded_idx ON event_index (actor_account_id, recorded_at)`);
    await runner.query(`CREATE INDEX event_index_school_order_idx ON event_index (school_id, major, minor)`);
    await runner.query(`CREATE INDEX event_index_event_id_idx ON event_index (event_id)`);
    await runner.query(`CREATE TABLE event_index_checkpoint (id integer PRIMARY KEY CHECK (id = 1), major numeric(20) NOT NULL, minor numeric(20) NOT NULL)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE event_index_checkpoint`);
    await runner.query(`DROP TABLE event_index`);
  }
}
