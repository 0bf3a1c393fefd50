import { MigrationInterface, QueryRunner } from 'typeorm';

/**
 * A view document's key compares bytewise (COLLATE "C"), whatever the database's collation: a read
 * takes every part of one journal grid as the key range `[group:period:, group:period;)`, which
 * only holds exactly those keys when ':' sorts just before ';' (a linguistic collation ignores
 * punctuation). The view over the table is made again around the change.
 */
export class BytewiseViewKeys1763900000070 implements MigrationInterface {
  name = 'BytewiseViewKeys1763900000070';

  async up(runner: QueryRunner): Promise<void> {
    await this.around(runner, `ALTER TABLE view_document ALTER COLUMN key TYPE text COLLATE "C"`);
  }

  async down(runner: QueryRunner): Promise<void> {
    await this.around(runner, `ALTER TABLE view_document ALTER COLUMN key TYPE text COLLATE "default"`);
  }

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
