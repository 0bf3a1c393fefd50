import { Client } from 'pg';
import type { EntityManager } from 'typeorm';

/**
 * How view documents go into `view_document`: the statements the runner and a rebuild by school
 * share. Documents go 500 a statement, each one text parameter stored as it is (a `json` column:
 * PostgreSQL checks it, no binary form to build; one jsonb array of 500 rows cost PostgreSQL more
 * to take apart than to store). Sources go as array literals made here: node-postgres escaped
 * every character of every element of an array parameter (it was 5% of a rebuild). In key order:
 * the primary key's pages are then visited left to right, each once per write, not one random
 * page per document.
 */

/** Documents per statement. */
export const WRITE_CHUNK = 500;
/**
 * Documents serialized between two turns given to requests: 500 journal parts of a 60-lesson
 * journal took 15-31 ms of JSON, held every request that long (grid p99 during a rebuild 29 ms).
 */
const SERIALIZE_SLICE = 100;

/** A document to write. */
export interface DocumentRow {
  key: string;
  doc: object;
  sources: string[];
  position: string;
}

/** Documents of a write as statement parameters: per row its key, JSON text, sources (an array literal) and position. */
export interface DocumentChunk {
  readonly rows: number;
  readonly values: readonly string[];
}

/**
 * The rows in key order as chunks of a few documents (made as they are asked for: a caller gives
 * requests a turn between two), with each document's JSON length; `writeChunks` sends them 500 a
 * statement.
 */
export function* serializeRows(upserts: readonly DocumentRow[]): Generator<{ chunk: DocumentChunk; lengths: Map<string, number> }> {
  const sorted = [...upserts].sort((a, b) => (a.key < b.key ? -1 : a.key > b.key ? 1 : 0));
  for (let i = 0; i < sorted.length; i += SERIALIZE_SLICE) {
    const lengths = new Map<string, number>();
    const rows = sorted.slice(i, i + SERIALIZE_SLICE);
    const values: string[] = [];
    for (const row of rows) {
      const doc = JSON.stringify(row.doc);
      lengths.set(row.key, doc.length);
      values.push(row.key, doc, textArrayLiteral(row.sources), row.position);
    }
    yield { chunk: { rows: rows.length, values }, lengths };
  }
}

/**
 * Upserts the chunks and deletes `deletes`, in the caller's transaction. On PostgreSQL each size of
 * upsert is a prepared statement of its connection: parsing and planning a VALUES list of 2,000
 * parameters cost more than the writing (40,000 journal parts of 2.2 KB: 13,500-25,600 rows/s
 * sent as text each time, 48,000-50,000 prepared; an unnest of arrays did no better).
 */
export async function writeChunks(manager: EntityManager, projection: string, generation: number, chunks: readonly DocumentChunk[], deletes: readonly string[]): Promise<void> {
  const connection: unknown = chunks.length > 0 ? await manager.queryRunner?.connect() : undefined;
  for (const statement of statements(chunks)) {
    const text = upsertDocuments(statement.rows);
    const values = [projection, generation, ...statement.values];
    if (connection instanceof Client) await connection.query({ name: `zhurnal_view_upsert_${statement.rows}`, text, values });
    else await manager.query(text, values);
  }
  if (deletes.length > 0) {
    await manager.query(`DELETE FROM view_document WHERE projection = $1 AND generation = $2 AND key = ANY($3::text[])`, [projection, generation, deletes]);
  }
}

/** Consecutive chunks joined up to `WRITE_CHUNK` rows a statement. */
function* statements(chunks: readonly DocumentChunk[]): Generator<DocumentChunk> {
  let rows = 0;
  let values: string[] = [];
  for (const chunk of chunks) {
    if (rows + chunk.rows > WRITE_CHUNK && rows > 0) {
      yield { rows, values };
      rows = 0;
      values = [];
    }
    rows += chunk.rows;
    values.push(...chunk.values);
  }
  if (rows > 0) yield { rows, values };
}

const upsertStatements = new Map<number, string>();
/** The upsert of `rows` documents ($1 projection, $2 generation, then four parameters a row); one text per size, kept. */
function upsertDocuments(rows: number): string {
  let sql = upsertStatements.get(rows);
  if (!sql) {
    const tuples = Array.from({ length: rows }, (_, i) => `($1, $2, $${3 + i * 4}, $${4 + i * 4}::json, $${5 + i * 4}::text[], $${6 + i * 4})`);
    sql = `INSERT INTO view_document (projection, generation, key, doc, sources, position) VALUES ${tuples.join(', ')}
ON CONFLICT (projection, generation, key) DO UPDATE SET doc = EXCLUDED.doc, sources = EXCLUDED.sources, position = EXCLUDED.position`;
    upsertStatements.set(rows, sql);
  }
  return sql;
}

/** A PostgreSQL array literal of texts: each element quoted, `"` and `\` escaped (every other character stands for itself). */
export function textArrayLiteral(items: readonly string[]): string {
  return `{${items.map((item) => `"${item.replace(/["\\]/g, '\\$&')}"`).join(',')}}`;
}
