import { Column, Entity, PrimaryColumn } from 'typeorm';

/** How far a projection has read the log, and with which version of its code. */
@Entity({ name: 'projection_checkpoint' })
export class ProjectionCheckpoint {
  @PrimaryColumn('text')
  name!: string;

  @Column('integer')
  version!: number;

  @Column('text')
  position!: string;

  @Column('timestamptz', { name: 'updated_at' })
  updatedAt!: Date;
}

/** One read-model document of a document projection (a journal grid, a diary week, …). */
@Entity({ name: 'view_document' })
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
