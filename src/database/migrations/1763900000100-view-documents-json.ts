import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14: view documents stored as `json` (the text as sent, checked) rather than `jsonb`. No
 * statement looks inside a document: the service reads whole documents and parses them itself, so
 * jsonb's binary form was paid for on every write and turned back into text on every read. A
 * rebuild's flush of 25,000 journal parts (50 MB) took 2.6–3.2 s as jsonb and 1.7 s as json on
 * PostgreSQL 15 (500-row INSERTs, lz4). The table is rewritten once; lz4 is kept where the server has it.
 */
export class ViewDocumentsJson1763900000100 implements MigrationInterface {
  name = 'ViewDocumentsJson1763900000100';

  async up(runner: QueryRunner): Promise<void> {
    await this.around(runner, `ALTER TABLE view_document ALTER COLUMN doc TYPE json USING doc::json`);
    await runner.query(`DO $$
      BEGIN
        ALTER TABLE view_document ALTER COLUMN doc SET COMPRESSION lz4;
      EXCEPTION WHEN feature_not_supported THEN
        RAISE NOTICE 'lz4 is not built into this server: view documents stay compressed with pglz';
      END $$`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await this.around(runner, `ALTER TABLE view_document ALTER COLUMN doc TYPE jsonb USING doc::jsonb`);
  }

  /** The served view names the column: dropped and made again around the change (as migration 70 does). */
  private async around(runner: QueryRunner, change: string): Promise<void> {
    await runner.query(`DROP VIEW served_document`);
    await runner.query(change);
    await runner.query(`
      CREATE VIEW served_document AS
      SELECT d.projection, d.key, d.doc, d.sources, d.position, d.generation
        FROM view_document d
        JOIN projection_checkpoint c ON c.name = d.projection AND c.generation = d.generation AND c.state = 'serving'`);
  }
}
