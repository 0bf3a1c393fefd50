import { inTransaction, SqlPool } from '../database/sql-pool';
import { formatPosition, parsePosition, Position, START } from '../event-store/position';
import { HASH_BYTES } from './domain/merkle';
import { Tile, tileKey, TILE_WIDTH } from './domain/tiles';

export interface LedgerState {
  readonly size: number;
  /** The log position of the last event made a leaf. */
  readonly position: Position;
}

export interface StoredCheckpoint {
  readonly size: number;
  readonly root: Buffer;
  /** The signed note, as served. */
  readonly note: string;
  readonly signedAt: string;
}

interface CheckpointRow {
  size: string;
  root: Buffer | Uint8Array;
  note: string;
  signed_at: Date | string;
}

const toCheckpoint = (row: CheckpointRow): StoredCheckpoint => ({
  size: Number(row.size),
  root: Buffer.from(row.root),
  note: row.note,
  signedAt: new Date(row.signed_at).toISOString(),
});

export interface AuditOutcome {
  readonly checkedAt: string;
  readonly checkedSize: number;
  /** The first leaf that no longer matches the log (or that the log lost); null if none. */
  readonly brokenAt: number | null;
  /** Why the ledger is broken, in plain words; null when it is whole. */
  readonly reason: string | null;
}

/** The ledger's tables (migration 1763900000120): the only code that reads or writes them. */
export class LedgerStore {
  constructor(private readonly pool: SqlPool) {}

  async state(): Promise<LedgerState> {
    const { rows } = await this.pool.query<{ size: string; position: string }>(`SELECT size::text AS size, position FROM ledger_state WHERE id = 1`);
    return { size: Number(rows[0].size), position: parsePosition(rows[0].position) ?? START };
  }

  /** The tiles asked for, as stored (the rightmost of a level may be partial); missing ones left out. */
  async tiles(coordinates: ReadonlyArray<[level: number, index: number]>): Promise<Map<string, Buffer>> {
    const tiles = new Map<string, Buffer>();
    if (coordinates.length === 0) return tiles;
    const { rows } = await this.pool.query<{ level: number; idx: string; hashes: Buffer | Uint8Array }>(
      `SELECT t.level, t.idx::text AS idx, t.hashes FROM ledger_tile t JOIN unnest($1::smallint[], $2::bigint[]) AS w(level, idx) ON t.level = w.level AND t.idx = w.idx`,
      [coordinates.map(([level]) => level), coordinates.map(([, index]) => index)],
    );
    for (const row of rows) tiles.set(tileKey(row.level, Number(row.idx)), Buffer.from(row.hashes));
    return tiles;
  }

  /** The partial tile of each level of a tree of `size` leaves: what an appender resumes from. */
  async edge(size: number): Promise<Map<number, Buffer>> {
    const coordinates: Array<[number, number]> = [];
    for (let level = 0; TILE_WIDTH ** level <= size; level++) coordinates.push([level, Math.floor(size / TILE_WIDTH ** (level + 1))]);
    const tiles = await this.tiles(coordinates);
    return new Map(coordinates.filter(([level, index]) => tiles.has(tileKey(level, index))).map(([level, index]) => [level, tiles.get(tileKey(level, index))!]));
  }

  /**
   * Stores a batch of leaves in one transaction, only if the ledger still stands at `from` (another
   * builder that moved it meanwhile wins, and this one reloads): false when it did not.
   */
  async append(from: number, leaves: readonly string[], position: Position, tiles: readonly Tile[]): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      // What a batch stores is derived from the log and made again from it after a crash (the
      // state moves with it, in this transaction): it need not wait for the disk, and the writers'
      // commits, which must, do not queue behind it.
      await tx.query(`SET LOCAL synchronous_commit = off`);
      const moved = await tx.query(`UPDATE ledger_state SET size = $1, position = $2 WHERE id = 1 AND size = $3`, [from + leaves.length, formatPosition(position), from]);
      if (moved.rowCount !== 1) return false;
      await tx.query(`INSERT INTO ledger_leaf (idx, event_id) SELECT * FROM unnest($1::bigint[], $2::uuid[])`, [leaves.map((_, i) => from + i), leaves]);
      // Hex text, not bytea[]: the embedded driver and node-postgres agree on text arrays.
      await tx.query(
        `INSERT INTO ledger_tile (level, idx, hashes) SELECT level, idx, decode(hex, 'hex') FROM unnest($1::smallint[], $2::bigint[], $3::text[]) AS t(level, idx, hex)
         ON CONFLICT (level, idx) DO UPDATE SET hashes = EXCLUDED.hashes`,
        [tiles.map((t) => t.level), tiles.map((t) => t.index), tiles.map((t) => t.hashes.toString('hex'))],
      );
      return true;
    });
  }

  /** An event's leaf and the newest checkpoint with `cosigners` co-signatures, in one round trip (the proofs' hot path). */
  async leafAndCheckpoint(eventId: string, cosigners: number): Promise<{ index: number | null; checkpoint: StoredCheckpoint | null }> {
    const { rows } = await this.pool.query<CheckpointRow & { idx: string | null }>(
      `SELECT (SELECT idx::text FROM ledger_leaf WHERE event_id = $1::uuid) AS idx, c.size::text AS size, c.root, c.note, c.signed_at
         FROM (SELECT 1) AS one
         LEFT JOIN LATERAL (SELECT * FROM ledger_checkpoint WHERE cosigners >= $2 ORDER BY ledger_checkpoint.size DESC LIMIT 1) c ON true`,
      [eventId, cosigners],
    );
    const row = rows[0];
    return { index: row.idx === null ? null : Number(row.idx), checkpoint: row.size === null ? null : toCheckpoint(row) };
  }

  /** The leaves of these events, in leaf order; events not (yet) in the ledger left out. */
  async leavesOf(eventIds: readonly string[]): Promise<Array<{ index: number; eventId: string }>> {
    if (eventIds.length === 0) return [];
    const { rows } = await this.pool.query<{ idx: string; event_id: string }>(
      `SELECT idx::text AS idx, event_id::text AS event_id FROM ledger_leaf WHERE event_id = ANY($1::uuid[]) ORDER BY idx`,
      [eventIds],
    );
    return rows.map((row) => ({ index: Number(row.idx), eventId: row.event_id }));
  }

  /** How many leaves have their event recorded (it must be the size: the rows are 0..size-1). */
  async recordedLeaves(): Promise<number> {
    const { rows } = await this.pool.query<{ n: string; top: string | null }>(`SELECT count(*)::text AS n, max(idx)::text AS top FROM ledger_leaf`);
    const count = Number(rows[0].n);
    // Rows past the count mean holes below: as wrong as missing ones.
    return rows[0].top !== null && Number(rows[0].top) !== count - 1 ? -1 : count;
  }

  async leafIndexOf(eventId: string): Promise<number | null> {
    const { rows } = await this.pool.query<{ idx: string }>(`SELECT idx::text AS idx FROM ledger_leaf WHERE event_id = $1::uuid`, [eventId]);
    return rows.length === 0 ? null : Number(rows[0].idx);
  }

  /** The events of leaves [from, to), in leaf order. */
  async leafEvents(from: number, to: number): Promise<string[]> {
    const { rows } = await this.pool.query<{ event_id: string }>(`SELECT event_id::text AS event_id FROM ledger_leaf WHERE idx >= $1 AND idx < $2 ORDER BY idx`, [from, to]);
    return rows.map((row) => row.event_id);
  }

  /** The newest checkpoint with at least `cosigners` witnesses' co-signatures. */
  async latestCheckpoint(cosigners = 0): Promise<StoredCheckpoint | null> {
    const { rows } = await this.pool.query<CheckpointRow>(
      `SELECT size::text AS size, root, note, signed_at FROM ledger_checkpoint WHERE cosigners >= $1 ORDER BY ledger_checkpoint.size DESC LIMIT 1`,
      [cosigners],
    );
    return rows.length === 0 ? null : toCheckpoint(rows[0]);
  }

  async checkpoints(fromSize: number, limit: number): Promise<StoredCheckpoint[]> {
    const { rows } = await this.pool.query<CheckpointRow>(
      `SELECT size::text AS size, root, note, signed_at FROM ledger_checkpoint WHERE ledger_checkpoint.size >= $1 ORDER BY ledger_checkpoint.size LIMIT $2`,
      [fromSize, limit],
    );
    return rows.map(toCheckpoint);
  }

  async checkpointAt(size: number): Promise<StoredCheckpoint | null> {
    const { rows } = await this.pool.query<CheckpointRow>(`SELECT size::text AS size, root, note, signed_at FROM ledger_checkpoint WHERE ledger_checkpoint.size = $1`, [size]);
    return rows.length === 0 ? null : toCheckpoint(rows[0]);
  }

  /** Records a signed checkpoint; one already stored at that size is kept (a second signer lost a race). */
  async saveCheckpoint(checkpoint: StoredCheckpoint): Promise<void> {
    if (checkpoint.root.length !== HASH_BYTES) throw new Error('a root hash is 32 bytes');
    await this.pool.query(`INSERT INTO ledger_checkpoint (size, root, note, signed_at) VALUES ($1, decode($2, 'hex'), $3, $4) ON CONFLICT (size) DO NOTHING`, [
      checkpoint.size,
      checkpoint.root.toString('hex'),
      checkpoint.note,
      checkpoint.signedAt,
    ]);
  }

  async saveAudit(outcome: AuditOutcome): Promise<void> {
    await this.pool.query(
      `INSERT INTO ledger_audit (id, checked_at, checked_size, broken_at, reason) VALUES (1, $1, $2, $3, $4)
       ON CONFLICT (id) DO UPDATE SET checked_at = EXCLUDED.checked_at, checked_size = EXCLUDED.checked_size, broken_at = EXCLUDED.broken_at, reason = EXCLUDED.reason`,
      [outcome.checkedAt, outcome.checkedSize, outcome.brokenAt, outcome.reason],
    );
  }

  async lastAudit(): Promise<AuditOutcome | null> {
    const { rows } = await this.pool.query<{ checked_at: Date | string; checked_size: string; broken_at: string | null; reason: string | null }>(
      `SELECT checked_at, checked_size::text AS checked_size, broken_at::text AS broken_at, reason FROM ledger_audit WHERE id = 1`,
    );
    if (rows.length === 0) return null;
    const row = rows[0];
    return { checkedAt: new Date(row.checked_at).toISOString(), checkedSize: Number(row.checked_size), brokenAt: row.broken_at === null ? null : Number(row.broken_at), reason: row.reason };
  }

  /** Every checkpoint, oldest first (the audit checks each). */
  async allCheckpoints(): Promise<StoredCheckpoint[]> {
    const { rows } = await this.pool.query<CheckpointRow>(`SELECT size::text AS size, root, note, signed_at FROM ledger_checkpoint ORDER BY ledger_checkpoint.size`);
    return rows.map(toCheckpoint);
  }

  /** Appends witnesses' co-signature lines to a checkpoint's note. */
  async addCosignatures(size: number, lines: readonly string[]): Promise<void> {
    if (lines.length === 0) return;
    await this.pool.query(`UPDATE ledger_checkpoint SET note = note || $2, cosigners = cosigners + $3 WHERE size = $1`, [size, lines.join(''), lines.length]);
  }

  async witnessSize(name: string): Promise<number> {
    const { rows } = await this.pool.query<{ size: string }>(`SELECT size::text AS size FROM ledger_witness WHERE name = $1`, [name]);
    return rows.length === 0 ? 0 : Number(rows[0].size);
  }

  async saveWitnessSize(name: string, size: number): Promise<void> {
    await this.pool.query(`INSERT INTO ledger_witness (name, size) VALUES ($1, $2) ON CONFLICT (name) DO UPDATE SET size = EXCLUDED.size`, [name, size]);
  }
}
