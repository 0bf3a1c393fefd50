import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * Views rebuild into a shadow (docs/architecture.md, "Generations"): each projection's rows and
 * checkpoint belong to a generation; exactly one generation of a projection is `serving` (the one
 * reads see, through `served_document`), a rebuild writes a `building` one beside it, and the
 * switch flips the two in one transaction. `scratch` is a rebuild's own copy of the voiding facts
 * when those are not rebuilt themselves; `retired` rows wait to be deleted. What was there before
 * becomes generation 1, serving.
 */
export class ProjectionGenerations1763900000010 implements MigrationInterface {
  name = 'ProjectionGenerations1763900000010';

  async up(runner: QueryRunner): Promise<void> {
    await runner.query(`CREATE SEQUENCE projection_generation START 2`);
    await runner.query(`
      ALTER TABLE projection_checkpoint
        ADD COLUMN generation integer NOT NULL DEFAULT 1,
        ADD COLUMN state text NOT NULL DEFAULT 'serving' CHECK (state IN ('serving', 'building', 'scratch', 'retired')),
        ADD COLUMN events_applied bigint NOT NULL DEFAULT 0,
        ADD COLUMN events_total bigint`);
    await runner.query(`ALTER TABLE projection_checkpoint DROP CONSTRAINT projection_checkpoint_pkey, ADD PRIMARY KEY (name, generation)`);
    await runner.query(`CREATE UNIQUE INDEX projection_checkpoint_serving_key ON projection_checkpoint (name) WHERE state = 'serving'`);
    await runner.query(`ALTER TABLE view_document ADD COLUMN generation integer NOT NULL DEFAULT 1`);
    await runner.query(`ALTER TABLE view_document DROP CONSTRAINT view_document_pkey, ADD CONSTRAINT view_document_pkey PRIMARY KEY (projection, generation, key)`);
    // What every read sees: the serving generation of each projection, one statement, one snapshot.
    await runner.query(`
      CREATE VIEW served_document AS
      SELECT d.projection, d.key, d.doc, d.sources, d.position, d.generation
        FROM view_document d
        JOIN projection_checkpoint c ON c.name = d.projection AND c.generation = d.generation AND c.state = 'serving'`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await runner.query(`DROP VIEW served_document`);
    await runner.query(`DELETE FROM view_document d USING projection_checkpoint c WHERE c.name = d.projection AND c.generation = d.generation AND c.state <> 'serving'`);
    await runner.query(`DELETE FROM projection_checkpoint WHERE state <> 'serving'`);
    await runner.query(`ALTER TABLE view_document DROP CONSTRAINT view_document_pkey, ADD CONSTRAINT view_document_pkey PRIMARY KEY (projection, key)`);
    await runner.query(`ALTER TABLE view_document DROP COLUMN generation`);
    await runner.query(`DROP INDEX projection_checkpoint_serving_key`);
    await runner.query(`ALTER TABLE projection_checkpoint DROP CONSTRAINT projection_checkpoint_pkey, ADD PRIMARY KEY (name)`);
    await runner.query(`ALTER TABLE projection_checkpoint DROP COLUMN generation, DROP COLUMN state, DROP COLUMN events_applied, DROP COLUMN events_total`);
    await runner.query(`DROP SEQUENCE projection_generation`);
  }
}
