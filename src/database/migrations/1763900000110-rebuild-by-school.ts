import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14: a rebuild reads the log school by school up to a fixed position, folding each school's
 * documents in memory and writing them once (docs/architecture.md, "Rebuilds by school").
 * `build_upto` is that position and `build_after` the last school written ('' once the events of
 * no school are), so a rebuild that stops resumes with the next school. The voiding facts are read
 * first, all of them up to that position: a partial index keeps that to a few index pages instead
 * of a scan of the whole log.
 */
export class RebuildBySchool1763900000110 implements MigrationInterface {
  name = 'RebuildBySchool1763900000110';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE projection_checkpoint ADD COLUMN build_upto text, ADD COLUMN build_after text`);
    await runner.query(
      `CREATE INDEX event_log_voiding_facts_idx ON event_log (tx_id, seq)
        WHERE type IN ('CredentialCompromiseReported', 'OperationReinstated', 'CredentialsReissued')`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP INDEX event_log_voiding_facts_idx`);
    await runner.query(`ALTER TABLE projection_checkpoint DROP COLUMN build_upto, DROP COLUMN build_after`);
  }
}
