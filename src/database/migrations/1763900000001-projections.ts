import { MigrationInterface, QueryRunner } from 'typeorm';

/** Where each projection stands, and the JSON documents the document projections keep. */
export class Projections1763900000001 implements MigrationInterface {
  name = 'Projections1763900000001';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`
      CREATE TABLE projection_checkpoint (
        name       text        PRIMARY KEY,
        version    integer     NOT NULL,
        position   text        NOT NULL,
        updated_at timestamptz NOT NULL DEFAULT now()
      )`);
    await runner.query(`
      CREATE TABLE view_document (
        projection text   NOT NULL,
        key        text   NOT NULL,
        doc        jsonb  NOT NULL,
        position   text   NOT NULL,
        CONSTRAINT view_document_pkey PRIMARY KEY (projection, key)
      )`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP TABLE view_document`);
    await runner.query(`DROP TABLE projection_checkpoint`);
  }
}
