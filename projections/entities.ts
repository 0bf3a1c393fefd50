import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How far one generation of a projection has read the log, and with which version of its code. */
@Entity({ name: 'projection_checkpoint' })
export class ProjectionCheckpoint {
  @PrimaryColumn('text')
  name!: string;

  /** Its rows in view_document; a rebuild writes a new generation beside the serving one. */
  @PrimaryColumn('integer')
  generation!: number;

  /** serving (what reads see) | building (a rebuild) | scratch (a rebuild's own voiding facts) | retired. */
  @Column('text')
  state!: string;

  @Column('integer')
  version!: number;

  @Column('text')
  position!: string;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}

/**
 * One read-model document of a document projection (a journal grid, a diary week, …), as reads see
 * it: `served_document` is view_document's serving generation only. Only the runner writes, and it
 * writes view_document itself, generation by generation.
 */
@Entity({ name: 'served_document', synchronize: false })
export class ViewDocument {
  @PrimaryColumn('text')
  projection!: string;

  @PrimaryColumn('text')
  key!: string;

  @Column('jsonb')
  doc!: object;

  /** Streams whose events were folded into it: where it is re-folded from when voids change. */
  @Column('text', { array: true, default: () => "'{}'" })
  sources!: string[];

  /** Position of the last event folded into this document. */
  @Column('text')
  position!: string;
}

export const READ_MODEL_ENTITIES = [ProjectionCheckpoint, ViewDocument];
