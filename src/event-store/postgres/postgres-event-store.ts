import { EventEmitter } from 'node:events';
import { Clock, systemClock, toMoment } from '../../common/clock';
import { constraintOf, SqlPool, sqlState } from '../../database/sql-pool';
import { AppendMetadata, buildEnvelopes, canonicalEnvelope, eventIdsOf, NewEvent, StoredEvent } from '../envelope';
import { ConcurrencyError, IdempotencyConflictError } from '../event-store.errors';
import {
  AppendResult,
  BatchHandler,
  EventStore,
  ExpectedVersion,
  HeadScope,
  LogEntry,
  LogQuery,
  ReadAllOptions,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { pollingSubscription } from '../polling-subscription';
import { Position, START } from '../position';
import { EventSchemas } from '../upcasting';

interface EventRow {
  tx_text: string;
  seq_text: string;
  envelope: string;
}

/** Output names differ from the columns on purpose: see READ_ALL on ORDER BY. */
const COLUMNS = `event_log.tx_id::text AS tx_text, event_log.seq::text AS seq_text, event_log.envelope`;

/**
 * One append is one INSERT: the rows go in only if the stream is still at the expected version
 * (the subquery), and the unique (stream_id, stream_version) index turns a concurrent writer that
 * read the same version into a unique violation, reported as ConcurrencyError.
 */
const INSERT_EVENTS = `
INSERT INTO event_log (event_id, stream_id, stream_version, type, schema_version, school_id, actor_account_id, recorded_at, envelope)
SELECT e.event_id, $1, e.stream_version, e.type, e.schema_version, e.school_id, e.actor_account_id, e.recorded_at, e.envelope
  FROM unnest($2::uuid[], $3::int[], $4::text[], $5::int[], $6::uuid[], $7::uuid[], $8::timestamptz[], $9::text[])
    AS e(event_id, stream_version, type, schema_version, school_id, actor_account_id, recorded_at, envelope)
 WHERE (SELECT coalesce(max(stream_version), 0) FROM event_log WHERE stream_id = $1) = $10
RETURNING event_id::text AS event_id, ${COLUMNS}`;

/**
 * Global order is (transaction id, sequence), and a reader sees only transactions older than the
 * oldest one still running (`pg_snapshot_xmin`). A transaction that took a sequence number early
 * but commits late therefore holds readers back instead of being skipped (Marten #3321,
 * Emmett PR #336); and because readers resume from the whole (tx_id, seq) key, never from seq
 * alone, nothing read once is read again.
 *
 * ORDER BY names the table's columns: a bare `tx_id` would sort the text alias of the select
 * list instead ('1000' < '979'), which the 16-writer test caught where xids gain a digit.
 */
const READ_ALL = `
SELECT ${COLUMNS} FROM event_log
 WHERE (event_log.tx_id, event_log.seq) > ($1::text::xid8, $2::bigint)
   AND event_log.tx_id < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY event_log.tx_id, event_log.seq
 LIMIT $3`;

const HEAD = `
SELECT ${COLUMNS} FROM event_log
 WHERE event_log.tx_id < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY event_log.tx_id DESC, event_log.seq DESC
 LIMIT 1`;

/** A school's newest readable event: index event_log_school_order_idx, read backwards. */
const SCHOOL_HEAD = `
SELECT event_log.tx_id::text AS tx_text, event_log.seq::text AS seq_text FROM event_log
 WHERE event_log.school_id = $1::uuid AND event_log.tx_id < pg_snapshot_xmin(pg_current_snapshot())
 ORDER BY event_log.tx_id DESC, event_log.seq DESC
 LIMIT 1`;

/** Every school of the log, each found by one probe of the index for the next one (ids as text sort, as uuids do). */
const SCHOOLS = `
WITH RECURSIVE school AS (
  (SELECT event_log.school_id FROM event_log WHERE event_log.school_id IS NOT NULL ORDER BY event_log.school_id LIMIT 1)
  UNION ALL
  SELECT (SELECT e.school_id FROM event_log e WHERE e.school_id > school.school_id ORDER BY e.school_id LIMIT 1) FROM school WHERE school.school_id IS NOT NULL
)
SELECT school_id::text AS school_id FROM school WHERE school_id IS NOT NULL`;

interface EntryRow extends EventRow {
  event_id: string;
  type: string;
}

const ENTRY_COLUMNS = `${COLUMNS}, event_log.event_id::text AS event_id, event_log.type`;

/** READ_ALL's order and horizon, the stored text as it is. */
const READ_ENTRIES = READ_ALL.replace(`SELECT ${COLUMNS}`, `SELECT ${ENTRY_COLUMNS}`);

const toEntry = (row: EntryRow): LogEntry => ({
  position: { major: BigInt(row.tx_text), minor: BigInt(row.seq_text) },
  eventId: row.event_id,
  type: row.type,
  entry: row.envelope,
});

export interface PostgresEventStoreOptions {
  readonly kind: 'postgres' | 'pglite';
  readonly clock?: Clock;
  /** Default: EventSchemas.open() (tests, benchmarks); the service passes its declared schemas. */
  readonly schemas?: EventSchemas;
}

/** The PostgreSQL adapter; on PGlite it runs the very same SQL over the single session. */
export class PostgresEventStore implements EventStore {
  readonly kind: 'postgres' | 'pglite';
  private readonly clock: Clock;
  private readonly schemas: EventSchemas;
  private readonly appended = new EventEmitter();

  constructor(
    private readonly pool: SqlPool,
    options: PostgresEventStoreOptions,
  ) {
    this.kind = options.kind;
    this.clock = options.clock ?? systemClock;
    this.schemas = options.schemas ?? EventSchemas.open();
    this.appended.setMaxListeners(0);
  }

  async append(stream: string, expected: ExpectedVersion, events: readonly NewEvent[], meta: AppendMetadata): Promise<AppendResult> {
    if (events.length === 0) throw new Error(`append to ${stream} with no events`);
    const eventIds = eventIdsOf(stream, events, meta);
    // 'any' has no version to check against: read it, then append as if it had been expected.
    for (let attempt = 1; ; attempt++) {
      const version = expected === 'any' ? await this.streamVersion(stream) : expected === 'no-stream' ? 0 : expected;
      try {
        return await this.appendAt(stream, version, events, eventIds, meta);
      } catch (error) {
        if (expected === 'any' && error instanceof ConcurrencyError && attempt < 10) continue;
        throw error;
      }
    }
  }

  private async appendAt(
    stream: string,
    version: number,
    events: readonly NewEvent[],
    eventIds: string[],
    meta: AppendMetadata,
  ): Promise<AppendResult> {
    const recordedAt = toMoment(this.clock.now());
    const envelopes = buildEnvelopes(stream, version, events, eventIds, meta, recordedAt, this.schemas);
    let rows: (EventRow & { event_id: string })[];
    try {
      const result = await this.pool.query<EventRow & { event_id: string }>(INSERT_EVENTS, [
        stream,
        eventIds,
        envelopes.map((e) => e.streamVersion),
        envelopes.map((e) => e.type),
        envelopes.map((e) => e.schemaVersion),
        envelopes.map((e) => e.schoolId),
        envelopes.map((e) => e.actor.accountId),
        envelopes.map(() => recordedAt),
        envelopes.map(canonicalEnvelope),
        version,
      ]);
      rows = result.rows;
    } catch (error) {
      if (sqlState(error) !== '23505') throw error;
      const constraint = constraintOf(error);
      if (constraint !== 'event_log_event_id_key' && constraint !== 'event_log_stream_version_key') throw error;
      rows = [];
    }
    if (rows.length === 0) return this.replayOrConflict(stream, version, eventIds);
    const byId = new Map(rows.map((row) => [row.event_id, row]));
    const stored = eventIds.map((id) => this.toStored(byId.get(id)!));
    this.appended.emit('appended');
    return { nextVersion: version + events.length, events: stored, position: stored[stored.length - 1].position, replayed: false };
  }

  /** Nothing was written: either every id is already stored (a retry) or the stream moved on. */
  private async replayOrConflict(stream: string, expected: number, eventIds: string[]): Promise<AppendResult> {
    const { rows } = await this.pool.query<EventRow & { event_id: string }>(
      `SELECT event_id::text AS event_id, ${COLUMNS} FROM event_log WHERE event_id = ANY($1::uuid[])`,
      [eventIds],
    );
    if (rows.length === eventIds.length) {
      const byId = new Map(rows.map((row) => [row.event_id, row]));
      const stored = eventIds.map((id) => this.toStored(byId.get(id)!));
      const last = stored.reduce((a, b) => (a.streamVersion >= b.streamVersion ? a : b));
      return { nextVersion: last.streamVersion, events: stored, position: last.position, replayed: true };
    }
    if (rows.length > 0) throw new IdempotencyConflictError(stream, rows.map((row) => row.event_id));
    throw new ConcurrencyError(stream, expected, await this.streamVersion(stream));
  }

  private async streamVersion(stream: string): Promise<number> {
    const { rows } = await this.pool.query<{ version: number }>(
      `SELECT coalesce(max(stream_version), 0)::int AS version FROM event_log WHERE stream_id = $1`,
      [stream],
    );
    return rows[0].version;
  }

  async readStream(stream: string, fromVersion = 1): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>(
      `SELECT ${COLUMNS} FROM event_log WHERE stream_id = $1 AND stream_version >= $2 ORDER BY stream_version`,
      [stream, fromVersion],
    );
    return rows.map((row) => this.toStored(row));
  }

  async findEvent(stream: string, eventId: string): Promise<StoredEvent | null> {
    const { rows } = await this.pool.query<EventRow>(`SELECT ${COLUMNS} FROM event_log WHERE event_id = $1 AND stream_id = $2`, [eventId, stream]);
    return rows.length === 0 ? null : this.toStored(rows[0]);
  }

  async readAll(after: Position, options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const { rows } = await this.pool.query<EventRow>(READ_ALL, [after.major.toString(), after.minor.toString(), options.limit ?? 1000]);
    return rows.map((row) => this.toStored(row));
  }

  async query(filter: LogQuery): Promise<StoredEvent[]> {
    const where = ['event_log.tx_id < pg_snapshot_xmin(pg_current_snapshot())'];
    const values: unknown[] = [];
    const bind = (value: unknown) => `$${values.push(value)}`;
    if (filter.schoolId === null) where.push('event_log.school_id IS NULL');
    else if (filter.schoolId !== undefined) where.push(`event_log.school_id = ${bind(filter.schoolId)}::uuid`);
    if (filter.accountId !== undefined) where.push(`event_log.actor_account_id = ${bind(filter.accountId)}::uuid`);
    if (filter.types !== undefined) where.push(`event_log.type = ANY(${bind(filter.types)}::text[])`);
    if (filter.eventIds !== undefined) where.push(`event_log.event_id = ANY(${bind(filter.eventIds)}::uuid[])`);
    if (filter.recordedFrom !== undefined) where.push(`event_log.recorded_at >= ${bind(filter.recordedFrom)}::timestamptz`);
    if (filter.recordedBefore !== undefined) where.push(`event_log.recorded_at < ${bind(filter.recordedBefore)}::timestamptz`);
    if (filter.after !== undefined) where.push(`(event_log.tx_id, event_log.seq) > (${bind(filter.after.major.toString())}::text::xid8, ${bind(filter.after.minor.toString())}::bigint)`);
    if (filter.upTo !== undefined) where.push(`(event_log.tx_id, event_log.seq) <= (${bind(filter.upTo.major.toString())}::text::xid8, ${bind(filter.upTo.minor.toString())}::bigint)`);
    const limit = filter.limit !== undefined ? ` LIMIT ${bind(filter.limit)}` : '';
    const { rows } = await this.pool.query<EventRow>(`SELECT ${COLUMNS} FROM event_log WHERE ${where.join(' AND ')} ORDER BY event_log.tx_id, event_log.seq${limit}`, values);
    return rows.map((row) => this.toStored(row));
  }

  subscribe(after: Position, handler: BatchHandler, options?: SubscribeOptions): Subscription {
    return pollingSubscription((from, limit) => this.readAll(from, { limit }), this.appended, after, handler, options);
  }

  async head(scope: HeadScope = {}): Promise<Position> {
    const { rows } = scope.schoolId === undefined ? await this.pool.query<EventRow>(HEAD) : await this.pool.query<EventRow>(SCHOOL_HEAD, [scope.schoolId]);
    return rows.length === 0 ? START : { major: BigInt(rows[0].tx_text), minor: BigInt(rows[0].seq_text) };
  }

  /**
   * A loose index scan of event_log_school_order_idx: one probe per school, not a pass over the log.
   * First, the planner's statistics of the log are brought up to date if they are stale (a tenth
   * of the rows changed since the last ANALYZE, or never analyzed): a rebuild then reads each
   * school through an index in order. On a log written faster than autovacuum looked at it, the
   * planner thought a school was 118 rows and sorted all of it for every page: 290 ms a page of
   * 2,000 at 113,000 events (1 ms once analyzed), a rebuild 2.6× as long.
   */
  async schools(): Promise<string[]> {
    const [stats] = (
      await this.pool.query<{ tuples: number; changed: number }>(
        `SELECT c.reltuples::float8 AS tuples, coalesce(s.n_mod_since_analyze, 0)::float8 AS changed
           FROM pg_class c LEFT JOIN pg_stat_user_tables s ON s.relid = c.oid
          WHERE c.oid = 'event_log'::regclass`,
      )
    ).rows;
    if (!stats || stats.tuples < 0 || stats.changed > Math.max(1000, stats.tuples / 10)) await this.pool.query('ANALYZE event_log');
    const { rows } = await this.pool.query<{ school_id: string }>(SCHOOLS);
    return rows.map((row) => row.school_id);
  }

  async readEntries(after: Position, limit: number): Promise<LogEntry[]> {
    const { rows } = await this.pool.query<EntryRow>(READ_ENTRIES, [after.major.toString(), after.minor.toString(), limit]);
    return rows.map(toEntry);
  }

  async entriesOf(eventIds: readonly string[]): Promise<LogEntry[]> {
    if (eventIds.length === 0) return [];
    const { rows } = await this.pool.query<EntryRow>(`SELECT ${ENTRY_COLUMNS} FROM event_log WHERE event_log.event_id = ANY($1::uuid[])`, [eventIds]);
    return rows.map(toEntry);
  }

  async ping(): Promise<void> {
    await this.pool.query('SELECT 1');
  }

  async close(): Promise<void> {
    // The pool belongs to the database module, which closes it after the store is done.
    this.appended.removeAllListeners();
  }

  /**
   * The hot path of every read (rebuilds parse ~50k of these a second): the parsed envelope is
   * completed in place rather than copied, and the position token is the database's own text.
   */
  private toStored(row: EventRow): StoredEvent {
    const event = JSON.parse(row.envelope) as { -readonly [K in keyof StoredEvent]: StoredEvent[K] };
    event.position = { major: BigInt(row.tx_text), minor: BigInt(row.seq_text) };
    event.globalPosition = `${row.tx_text}.${row.seq_text}`;
    if (this.schemas.knows(event.type)) {
      const { schemaVersion, data } = this.schemas.upcast(event.type, event.schemaVersion, event.data);
      event.schemaVersion = schemaVersion;
      event.data = data;
    }
    return event;
  }
}
