import { MigrationInterface, QueryRunner } from 'typeorm';

/** The append-only log. `envelope` is the RFC 8785 text of the event: what the ledger hashes. */
export class EventLog1763900000000 implements MigrationInterface {
  name = 'EventLog1763900000000';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE event_log (
        tx_id            xid8        NOT NULL DEFAULT pg_current_xact_id(),
        seq              bigserial   NOT NULL,
        event_id         uuid        NOT NULL,
        stream_id        text        NOT NULL,
        stream_version   integer     NOT NULL,
        type             text        NOT NULL,
        schema_version   integer     NOT NULL,
        school_id        uuid,
        actor_account_id uuid        NOT NULL,
        recorded_at      timestamptz NOT NULL,
        envelope         text        NOT NULL,
        CONSTRAINT event_log_pkey PRIMARY KEY (tx_id, seq),
        CONSTRAINT event_log_event_id_key UNIQUE (event_id),
        CONSTRAINT event_log_stream_version_key UNIQUE (stream_id, stream_version)
      )`);
    // The log is append-only by rule; the database enforces it.
    await runner.query(`
      CREATE FUNCTION event_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
      BEGIN
        RAISE EXCEPTION 'event_log is append-only: % refused', TG_OP;
      END $$`);
    await runner.query(`
      CREATE TRIGGER event_log_append_only BEFORE UPDATE OR DELETE ON event_log
      FOR EACH ROW EXECUTE FUNCTION event_log_is_append_only()`);
    await runner.query(`
      CREATE TRIGGER event_log_no_truncate BEFORE TRUNCATE ON event_log
      FOR EACH STATEMENT EXECUTE FUNCTION event_log_is_append_only()`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE event_log`);
    await runner.query(`DROP FUNCTION event_log_is_append_only()`);
  }
}
