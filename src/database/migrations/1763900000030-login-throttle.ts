import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Wrong passwords of the last minute, per login and per client address (LoginThrottle): in the
 * database, so every instance on it counts against one limit. `failures` holds the moments (ms)
 * of wrong passwords, `pending` those of attempts admitted and still being verified; `last_at`
 * lets stale rows be swept by an index.
 */
export class LoginThrottle1763900000030 implements MigrationInterface {
  name = 'LoginThrottle1763900000030';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE login_failure (
        bucket   text     PRIMARY KEY,
        failures bigint[] NOT NULL,
        pending  bigint[] NOT NULL,
        last_at  bigint   NOT NULL
      )`);
    await runner.query(`CREATE INDEX login_failure_last_at_idx ON login_failure (last_at)`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE login_failure`);
  }
}
