import { v7 as uuidv7 } from 'uuid';
import { ViewDocument } from '../../projections/entities';
import { Database } from '../../src/database/database';
import { AppendMetadata } from '../../src/event-store/envelope';

export const SCHOOL_ID = '0190a5c0-0000-7000-8000-00000000cccc';
export const TEACHER = { accountId: '0190a5c0-0000-7000-8000-00000000aaaa', role: 'teacher', generation: 1 };

export const meta = (): AppendMetadata => ({ schoolId: SCHOOL_ID, actor: TEACHER, correlationId: uuidv7() });

/** The stored documents of one view, keyed, for comparing with a fold in memory. */
export async function viewDocuments(database: Database, projection: string): Promise<Map<string, unknown>> {
  const rows = await database.dataSource.getRepository(ViewDocument).find({ where: { projection } });
  return new Map(rows.map((row) => [row.key, row.doc]));
}
