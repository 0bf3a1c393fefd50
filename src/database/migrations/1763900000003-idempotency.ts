import { MigrationInterface, QueryRunner } from 'typeorm';

/** Answers to writes sent with an Idempotency-Key, per account (API.md: kept at least 24 h). */
export class Idempotency1763900000003 implements MigrationInterface {
  name = 'Idempotency1763900000003';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE idempotency_record (
        account_id   uuid        NOT NULL,
        key          text        NOT NULL,
        request_hash text        NOT NULL,
        state        text        NOT NULL CHECK (state IN ('running', 'done')),
        response     jsonb,
        created_at   timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT idempotency_record_pkey PRIMARY KEY (account_id, key)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE idempotency_record`);
  }
}
