import { inTransaction, SqlPool } from '../database/sql-pool';
import { StoredEvent } from './envelope';
import { EventStore, LogQuery, Subscription } from './event-store.port';
import { ForwardingEventStore } from './forwarding-event-store';
import { comparePositions, Position, START } from './position';

export interface IndexedQueryOptions {
  /** Called when following the log for the index fails (it retries after `retryMs`). */
  readonly onError?: (error: unknown) => void;
  readonly retryMs?: number;
  readonly batchSize?: number;
  /** false: read the index others keep, never write it (another process follows). */
  readonly follow?: boolean;
}

const INSERT_ROWS = `
INSERT INTO event_index (major, minor, event_id, stream_id, stream_version, type, school_id, actor_account_id, recorded_at)
SELECT * FROM unnest($1::numeric[], $2::numeric[], $3::uuid[], $4::text[], $5::int[], $6::text[], $7::uuid[], $8::uuid[], $9::timestamptz[])
ON CONFLICT DO NOTHING`;

/**
 * `query` without a scan of the whole log, for an event store that has no index on our envelope
 * (EventStoreDB: issue 14 point 5). A follower copies each event's envelope fields into
 * `event_index` in the views database, with its checkpoint in the same transaction; a query reads
 * the index up to that checkpoint, fetches the events it names from their streams, and scans only
 * the log past the checkpoint (the few events the follower has not copied yet) — so the answer is
 * exactly the inner store's, at the cost of index lookups. Several processes may follow at once:
 * rows are keyed by position and the checkpoint only moves forward.
 */
export class IndexedQueryStore extends ForwardingEventStore {
  private subscription?: Subscription;
  private stopped = false;
  private readonly running: Promise<void>;

  constructor(
    inner: EventStore,
    private readonly pool: SqlPool,
    private readonly options: IndexedQueryOptions = {},
  ) {
    super(inner);
    this.running = options.follow === false ? Promise.resolve() : this.follow();
  }

  /** Where the index is complete: every event at or before it has its row. */
  async indexedTo(): Promise<Position> {
    const { rows } = await this.pool.query<{ major: string; minor: string }>(`SELECT major::text, minor::text FROM event_index_checkpoint WHERE id = 1`);
    return rows[0] ? { major: BigInt(rows[0].major), minor: BigInt(rows[0].minor) } : START;
  }

  override async query(filter: LogQuery): Promise<StoredEvent[]> {
    // Without a field the index has, the inner scan is as good as it gets.
    if (filter.accountId === undefined && filter.schoolId === undefined && filter.eventIds === undefined) return this.inner.query(filter);
    const indexed = await this.indexedTo();
    const found = await this.fromIndex(filter, indexed);
    if (filter.limit !== undefined && found.length >= filter.limit) return found.slice(0, filter.limit);
    const after = filter.after && comparePositions(filter.after, indexed) > 0 ? filter.after : indexed;
    if (filter.upTo !== undefined && comparePositions(filter.upTo, after) <= 0) return found;
    const tail = await this.inner.query({ ...filter, after, limit: filter.limit === undefined ? undefined : filter.limit - found.length });
    return [...found, ...tail];
  }

  /** Stops copying the log into the index (the batch in hand is finished); queries still answer. */
  async stopFollowing(): Promise<void> {
    this.stopped = true;
    await this.subscription?.stop();
    await this.running.catch(() => undefined);
  }

  override async close(): Promise<void> {
    await this.stopFollowing();
    await this.inner.close();
  }

  private async fromIndex(filter: LogQuery, upTo: Position): Promise<StoredEvent[]> {
    const where = ['(major, minor) <= ($1::numeric, $2::numeric)'];
    const values: unknown[] = [upTo.major.toString(), upTo.minor.toString()];
    const bind = (value: unknown) => `$${values.push(value)}`;
    if (filter.schoolId === null) where.push('school_id IS NULL');
    else if (filter.schoolId !== undefined) where.push(`school_id = ${bind(filter.schoolId)}::uuid`);
    if (filter.accountId !== undefined) where.push(`actor_account_id = ${bind(filter.accountId)}::uuid`);
    if (filter.types !== undefined) where.push(`type = ANY(${bind(filter.types)}::text[])`);
    if (filter.eventIds !== undefined) where.push(`event_id = ANY(${bind(filter.eventIds)}::uuid[])`);
    if (filter.recordedFrom !== undefined) where.push(`recorded_at >= ${bind(filter.recordedFrom)}::timestamptz`);
    if (filter.recordedBefore !== undefined) where.push(`recorded_at < ${bind(filter.recordedBefore)}::timestamptz`);
    if (filter.after !== undefined) where.push(`(major, minor) > (${bind(filter.after.major.toString())}::numeric, ${bind(filter.after.minor.toString())}::numeric)`);
    if (filter.upTo !== undefined) where.push(`(major, minor) <= (${bind(filter.upTo.major.toString())}::numeric, ${bind(filter.upTo.minor.toString())}::numeric)`);
    const limit = filter.limit !== undefined ? ` LIMIT ${bind(filter.limit)}` : '';
    const { rows } = await this.pool.query<{ stream_id: string; stream_version: number; event_id: string }>(
      `SELECT stream_id, stream_version, event_id::text FROM event_index WHERE ${where.join(' AND ')} ORDER BY major, minor${limit}`,
      values,
    );
    // One read per stream, from the first version wanted (streams are bounded: a journal, an account…).
    const byStream = new Map<string, { from: number; ids: Set<string> }>();
    for (const row of rows) {
      const entry = byStream.get(row.stream_id) ?? { from: row.stream_version, ids: new Set<string>() };
      entry.from = Math.min(entry.from, row.stream_version);
      entry.ids.add(row.event_id);
      byStream.set(row.stream_id, entry);
    }
    const read = await Promise.all([...byStream].map(async ([stream, { from, ids }]) => (await this.inner.readStream(stream, from)).filter((e) => ids.has(e.eventId))));
    return read.flat().sort((a, b) => comparePositions(a.position, b.position));
  }

  private async follow(): Promise<void> {
    while (!this.stopped) {
      try {
        const from = await this.indexedTo();
        if (this.stopped) return;
        this.subscription = this.inner.subscribe(from, (events, reached) => this.index(events, reached), { batchSize: this.options.batchSize ?? 1000 });
        await this.subscription.done;
        return;
      } catch (error) {
        if (this.stopped) return;
        this.options.onError?.(error);
        await new Promise((resolve) => setTimeout(resolve, this.options.retryMs ?? 1000));
      }
    }
  }

  private async index(events: readonly StoredEvent[], reached: Position): Promise<void> {
    await inTransaction(this.pool, async (tx) => {
      await tx.query(INSERT_ROWS, [
        events.map((e) => e.position.major.toString()),
        events.map((e) => e.position.minor.toString()),
        events.map((e) => e.eventId),
        events.map((e) => e.stream),
        events.map((e) => e.streamVersion),
        events.map((e) => e.type),
        events.map((e) => e.schoolId),
        events.map((e) => e.actor.accountId),
        events.map((e) => e.recordedAt),
      ]);
      await tx.query(
        `INSERT INTO event_index_checkpoint (id, major, minor) VALUES (1, $1, $2)
         ON CONFLICT (id) DO UPDATE SET major = EXCLUDED.major, minor = EXCLUDED.minor
          WHERE (event_index_checkpoint.major, event_index_checkpoint.minor) < (EXCLUDED.major, EXCLUDED.minor)`,
        [reached.major.toString(), reached.minor.toString()],
      );
    });
  }
}
