import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 15 item 8: one data key per person (152-ФЗ), outside the log (src/privacy). `wrapped_key`
 * is the key under the key-encryption key derived from the master secret; an erased person keeps
 * the row with no key, so nothing is sealed for them again.
 */
export class PersonalDataKeys1763900000130 implements MigrationInterface {
  name = 'PersonalDataKeys1763900000130';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(
      `CREATE TABLE personal_data_key (person text PRIMARY KEY, wrapped_key bytea, created_at timestamptz NOT NULL, erased_at timestamptz,
         CHECK ((wrapped_key IS NULL) = (erased_at IS NOT NULL)))`,
    );
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE personal_data_key`);
  }
}
