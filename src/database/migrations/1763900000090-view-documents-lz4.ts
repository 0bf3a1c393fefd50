import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Issue 14: view documents compressed with lz4 rather than pglz. Most journal and diary documents
 * are over TOAST's 2 KB threshold, and a rebuild writes every one of them: pglz took ~40% of
 * PostgreSQL's time per written document (50,000 diary-sized documents: 4.1 s with pglz, 2.6 s
 * with lz4, the same size on disk, by a 500-row INSERT loop on PostgreSQL 15). Rows already stored stay
 * as they are until rewritten. A server built without lz4 (PGlite) keeps pglz.
 */
export class ViewDocumentsLz41763900000090 implements MigrationInterface {
  name = 'ViewDocumentsLz41763900000090';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`DO $$
      BEGIN
        ALTER TABLE view_document ALTER COLUMN doc SET COMPRESSION lz4;
      EXCEPTION WHEN feature_not_supported THEN
        RAISE NOTICE 'lz4 is not built into this server: view documents stay compressed with pglz';
      END $$`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`ALTER TABLE view_document ALTER COLUMN doc SET COMPRESSION pglz`);
  }
}
