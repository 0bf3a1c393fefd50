import { randomUUID } from 'node:crypto';
import { inTransaction, SqlClient, SqlPool } from '../database/sql-pool';
import { formatPosition, parsePosition, Position } from '../event-store/position';
import { Channel } from './domain/notification-settings.decider';

export type OutboxKind = 'news' | 'void-notice';
export type OutboxState = 'pending' | 'sent' | 'failed' | 'cancelled';

/** One notification due to one parent on one channel (migration 1763900000140). */
export interface OutboxRow {
  readonly id: string;
  readonly schoolId: string;
  readonly kind: OutboxKind;
  readonly sourceEventId: string;
  readonly sourceStream: string;
  readonly sourceType: string;
  readonly sourceActor: string;
  readonly sourceRecordedAt: string;
  readonly studentId: string;
  readonly parentId: string;
  readonly channel: Channel;
  /** A void notice: the notification it takes back. */
  readonly corrects: string | null;
  readonly digestKey: string | null;
  readonly digestId: string | null;
  readonly state: OutboxState;
  readonly attempts: number;
  readonly dueAt: Date;
  readonly createdAt: Date;
  readonly sentAt: Date | null;
  /** Why it was cancelled or failed, or the last attempt's error while it is retried. */
  readonly outcome: string | null;
  /** The log position of the event that made it due (for the change of its source, its recheck). */
  readonly position: string;
  /** The claim that holds it, and until when: only that claim's worker settles it. */
  readonly leaseId: string | null;
  readonly leaseUntil: Date | null;
}

/** What a notification is, as the log's delivery events and the outbox list show it: ids and the channel, never the address. */
export const deliveryFacts = (row: OutboxRow) => ({
  kind: row.kind,
  channel: row.channel,
  parentId: row.parentId,
  studentId: row.studentId,
  sourceEventId: row.sourceEventId,
  corrects: row.corrects,
});

export type NewOutboxRow = Omit<OutboxRow, 'state' | 'attempts' | 'sentAt' | 'outcome' | 'digestId' | 'leaseId' | 'leaseUntil'>;

/** A request to judge an account's notifications again; its generation grows with each new request. */
export interface RecheckRequest {
  readonly accountId: string;
  readonly generation: number;
}

export interface OutboxStats {
  readonly pending: number;
  /** Age of the oldest notification due and not delivered, seconds (0 when none). */
  readonly oldestDueSeconds: number;
  readonly failed: number;
}

const COLUMNS = `id, school_id, kind, source_event_id, source_stream, source_type, source_actor, source_recorded_at, student_id, parent_id, channel, corrects,
  digest_key, digest_id, state, attempts, due_at, created_at, sent_at, outcome, position, lease_id, lease_until`;

interface Row {
  id: string;
  school_id: string;
  kind: OutboxKind;
  source_event_id: string;
  source_stream: string;
  source_type: string;
  source_actor: string;
  source_recorded_at: string;
  student_id: string;
  parent_id: string;
  channel: Channel;
  corrects: string | null;
  digest_key: string | null;
  digest_id: string | null;
  state: OutboxState;
  attempts: number;
  due_at: Date | string;
  created_at: Date | string;
  sent_at: Date | string | null;
  outcome: string | null;
  position: string;
  lease_id: string | null;
  lease_until: Date | string | null;
}

const toRow = (r: Row): OutboxRow => ({
  id: r.id,
  schoolId: r.school_id,
  kind: r.kind,
  sourceEventId: r.source_event_id,
  sourceStream: r.source_stream,
  sourceType: r.source_type,
  sourceActor: r.source_actor,
  sourceRecordedAt: r.source_recorded_at,
  studentId: r.student_id,
  parentId: r.parent_id,
  channel: r.channel,
  corrects: r.corrects,
  digestKey: r.digest_key,
  digestId: r.digest_id,
  state: r.state,
  attempts: Number(r.attempts),
  dueAt: new Date(r.due_at),
  createdAt: new Date(r.created_at),
  sentAt: r.sent_at === null ? null : new Date(r.sent_at),
  outcome: r.outcome,
  position: r.position,
  leaseId: r.lease_id,
  leaseUntil: r.lease_until === null ? null : new Date(r.lease_until),
});

async function insertRows(tx: SqlClient, rows: readonly NewOutboxRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const column = <K extends keyof NewOutboxRow>(key: K) => rows.map((row) => row[key]);
  // A row already there (the same id: the same event, parent and channel) stays as it is.
  const result = await tx.query(
    `INSERT INTO notification_outbox (id, school_id, kind, source_event_id, source_stream, source_type, source_actor, source_recorded_at, student_id, parent_id,
                                      channel, corrects, digest_key, state, due_at, created_at, position)
     SELECT id, school_id, kind, source_event_id, source_stream, source_type, source_actor, source_recorded_at, student_id, parent_id,
            channel, corrects, digest_key, 'pending', due_at, created_at, position
       FROM unnest($1::uuid[], $2::text[], $3::text[], $4::uuid[], $5::text[], $6::text[], $7::text[], $8::text[], $9::text[], $10::text[],
                   $11::text[], $12::uuid[], $13::text[], $14::timestamptz[], $15::timestamptz[], $16::text[])
            AS r(id, school_id, kind, source_event_id, source_stream, source_type, source_actor, source_recorded_at, student_id, parent_id,
                 channel, corrects, digest_key, due_at, created_at, position)
     ON CONFLICT (id) DO NOTHING`,
    [
      column('id'),
      column('schoolId'),
      column('kind'),
      column('sourceEventId'),
      column('sourceStream'),
      column('sourceType'),
      column('sourceActor'),
      column('sourceRecordedAt'),
      column('studentId'),
      column('parentId'),
      column('channel'),
      column('corrects'),
      column('digestKey'),
      rows.map((row) => row.dueAt.toISOString()),
      rows.map((row) => row.createdAt.toISOString()),
      column('position'),
    ],
  );
  return result.rowCount ?? 0;
}

/** The outbox's tables: the only code that reads or writes them. */
export class OutboxStore {
  constructor(private readonly pool: SqlPool) {}

  /** Where the follower stands in the log; null before its first start. */
  async checkpoint(): Promise<Position | null> {
    const { rows } = await this.pool.query<{ position: string }>(`SELECT position FROM notification_checkpoint WHERE id = 1`);
    return rows.length === 0 ? null : parsePosition(rows[0].position);
  }

  /** The first start: notifications begin at this position (the head then), not with the log's whole past. */
  async begin(at: Position): Promise<void> {
    await this.pool.query(`INSERT INTO notification_checkpoint (id, position) VALUES (1, $1) ON CONFLICT (id) DO NOTHING`, [formatPosition(at)]);
  }

  /**
   * The notifications a batch of the log made due, the accounts whose voidness it changed, and the
   * follower's new position: in one transaction, and only if the checkpoint is still where this
   * follower read from (another follower may have moved it). False when it was not.
   */
  async record(from: Position, to: Position, rows: readonly NewOutboxRow[], rechecks: readonly string[]): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      const { rows: current } = await tx.query<{ position: string }>(`SELECT position FROM notification_checkpoint WHERE id = 1 FOR UPDATE`);
      if (current.length === 0 || current[0].position !== formatPosition(from)) return false;
      await insertRows(tx, rows);
      if (rechecks.length > 0) await requestRechecks(tx, rechecks, formatPosition(to));
      await tx.query(`UPDATE notification_checkpoint SET position = $1 WHERE id = 1`, [formatPosition(to)]);
      return true;
    });
  }

  /**
   * A void notice: added, or, when one cancelled before (its mark was reinstated, then became void
   * again), due again. True when it is now pending.
   */
  async addVoidNotice(row: NewOutboxRow): Promise<boolean> {
    return inTransaction(this.pool, async (tx) => {
      if ((await insertRows(tx, [row])) > 0) return true;
      const { rowCount } = await tx.query(
        `UPDATE notification_outbox SET state = 'pending', due_at = $2, outcome = NULL, digest_key = $3, digest_id = NULL, lease_id = NULL, lease_until = NULL
          WHERE id = $1 AND state = 'cancelled'`,
        [row.id, row.dueAt.toISOString(), row.digestKey],
      );
      return (rowCount ?? 0) > 0;
    });
  }

  /**
   * Leases up to `limit` notifications due at `now` on the channels that can send (one attempt
   * counted each), with the rest of any digest they belong to. A digest's members get its id in
   * the same statement, so a retry after a crash sends the same digest under the same id.
   */
  async claim(now: Date, limit: number, leaseMs: number, channels: readonly Channel[]): Promise<OutboxRow[]> {
    if (channels.length === 0) return [];
    // Nothing due (the common case between marks): one indexed read, no transaction held open.
    const { rows: due } = await this.pool.query(
      `SELECT 1 FROM notification_outbox WHERE state = 'pending' AND channel = ANY($2::text[]) AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) LIMIT 1`,
      [now.toISOString(), channels],
    );
    if (due.length === 0) return [];
    const leaseId = randomUUID();
    return inTransaction(this.pool, async (tx) => {
      const lease = new Date(now.getTime() + leaseMs).toISOString();
      const { rows } = await tx.query<Row>(
        `UPDATE notification_outbox o SET lease_until = $2, lease_id = $5, attempts = o.attempts + 1
          WHERE o.id IN (SELECT id FROM notification_outbox
                          WHERE state = 'pending' AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1) AND channel = ANY($4::text[])
                          ORDER BY due_at, id LIMIT $3 FOR UPDATE SKIP LOCKED)
          RETURNING ${COLUMNS}`,
        [now.toISOString(), lease, limit, channels, leaseId],
      );
      const keys = [...new Set(rows.filter((r) => r.digest_key !== null).map((r) => r.digest_key!))];
      if (keys.length > 0) {
        const { rows: more } = await tx.query<Row>(
          `UPDATE notification_outbox o SET lease_until = $2, lease_id = $5, attempts = o.attempts + 1
            WHERE o.id IN (SELECT id FROM notification_outbox
                            WHERE state = 'pending' AND digest_key = ANY($3::text[]) AND due_at <= $1 AND (lease_until IS NULL OR lease_until <= $1)
                              AND id <> ALL($4::uuid[]) FOR UPDATE SKIP LOCKED)
            RETURNING ${COLUMNS}`,
          [now.toISOString(), lease, keys, rows.map((r) => r.id), leaseId],
        );
        rows.push(...more);
      }
      return rows.map(toRow);
    });
  }

  /** Gives the members of a new digest its id: only those about to be sent in it, under their claim. */
  async formDigest(ids: readonly string[], digestId: string, leaseId: string): Promise<void> {
    await this.pool.query(`UPDATE notification_outbox SET digest_id = $2 WHERE id = ANY($1::uuid[]) AND digest_id IS NULL AND lease_id = $3`, [ids, digestId, leaseId]);
  }

  /** Delivered: only by the claim that holds them (a worker whose lease ran out writes nothing). */
  async markSent(ids: readonly string[], at: Date, leaseId: string): Promise<void> {
    await this.pool.query(
      `UPDATE notification_outbox SET state = 'sent', sent_at = $2, lease_until = NULL, lease_id = NULL, outcome = NULL WHERE id = ANY($1::uuid[]) AND state = 'pending' AND lease_id = $3`,
      [ids, at.toISOString(), leaseId],
    );
  }

  /**
   * Not sent, and not to be: void, no consent any more, no contact… (`outcome` says why). By the
   * claim that holds them, or, without one, only while no claim does (a delivery in flight is its
   * worker's to settle). They leave any digest they were in.
   */
  async cancel(ids: readonly string[], outcome: string, hold: { leaseId: string } | { now: Date }): Promise<void> {
    const held = 'leaseId' in hold;
    await this.pool.query(
      `UPDATE notification_outbox SET state = 'cancelled', lease_until = NULL, lease_id = NULL, digest_id = NULL, outcome = $2
        WHERE id = ANY($1::uuid[]) AND state = 'pending' AND ${held ? 'lease_id = $3' : '(lease_until IS NULL OR lease_until <= $3)'}`,
      [ids, outcome, held ? hold.leaseId : hold.now.toISOString()],
    );
  }

  /**
   * Due again at `dueAt`, out of any digest: by its claim (a failure, or a wait for quiet hours to
   * end, `countsAsAttempt` false), or a cancelled one brought back (its mark reinstated).
   */
  async reschedule(ids: readonly string[], dueAt: Date, outcome: string | null, countsAsAttempt: boolean, hold: { leaseId: string } | 'cancelled'): Promise<void> {
    const held = hold !== 'cancelled';
    await this.pool.query(
      `UPDATE notification_outbox SET due_at = $2, lease_until = NULL, lease_id = NULL, digest_id = NULL, outcome = $3, attempts = attempts - $4, state = 'pending'
        WHERE id = ANY($1::uuid[]) AND ${held ? "state = 'pending' AND lease_id = $5" : "state = 'cancelled'"}`,
      [ids, dueAt.toISOString(), outcome, countsAsAttempt ? 0 : 1, ...(held ? [hold.leaseId] : [])],
    );
  }

  async fail(ids: readonly string[], outcome: string, leaseId: string): Promise<void> {
    await this.pool.query(
      `UPDATE notification_outbox SET state = 'failed', lease_until = NULL, lease_id = NULL, outcome = $2 WHERE id = ANY($1::uuid[]) AND state = 'pending' AND lease_id = $3`,
      [ids, outcome, leaseId],
    );
  }

  async get(id: string): Promise<OutboxRow | null> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM notification_outbox WHERE id = $1`, [id]);
    return rows.length === 0 ? null : toRow(rows[0]);
  }

  /** The accounts whose notifications are to be judged again, with the generation of their request. */
  async rechecks(limit = 100): Promise<RecheckRequest[]> {
    const { rows } = await this.pool.query<{ account_id: string; generation: string }>(
      `SELECT account_id, generation::text AS generation FROM notification_recheck ORDER BY account_id LIMIT $1`,
      [limit],
    );
    return rows.map((r) => ({ accountId: r.account_id, generation: Number(r.generation) }));
  }

  /** Done with a request: gone, unless a newer one came for the account meanwhile (its generation moved). */
  async recheckDone(request: RecheckRequest): Promise<void> {
    await this.pool.query(`DELETE FROM notification_recheck WHERE account_id = $1 AND generation = $2`, [request.accountId, request.generation]);
  }

  async requestRecheck(accountIds: readonly string[], since: string): Promise<void> {
    if (accountIds.length === 0) return;
    await requestRechecks(this.pool, accountIds, since);
  }

  /** The news of one account's operations (what a change of its voidness concerns), and their void notices. */
  async ofActor(accountId: string): Promise<OutboxRow[]> {
    const { rows } = await this.pool.query<Row>(`SELECT ${COLUMNS} FROM notification_outbox WHERE source_actor = $1 ORDER BY created_at, id`, [accountId]);
    return rows.map(toRow);
  }

  /** Notifications of a school, newest first (the outbox route for operators). */
  async list(filter: { schoolId: string; studentId?: string; state?: OutboxState; limit: number }): Promise<OutboxRow[]> {
    const { rows } = await this.pool.query<Row>(
      `SELECT ${COLUMNS} FROM notification_outbox WHERE school_id = $1 AND ($2::text IS NULL OR student_id = $2) AND ($3::text IS NULL OR state = $3)
        ORDER BY created_at DESC, id LIMIT $4`,
      [filter.schoolId, filter.studentId ?? null, filter.state ?? null, filter.limit],
    );
    return rows.map(toRow);
  }

  /** From the partial indexes of pending and failed rows: a scrape never reads the sent ones. */
  async stats(now: Date): Promise<OutboxStats> {
    const { rows } = await this.pool.query<{ pending: string; oldest: Date | string | null; failed: string }>(
      `SELECT (SELECT count(*) FROM notification_outbox WHERE state = 'pending')::text AS pending,
              (SELECT min(due_at) FROM notification_outbox WHERE state = 'pending' AND due_at <= $1) AS oldest,
              (SELECT count(*) FROM notification_outbox WHERE state = 'failed')::text AS failed`,
      [now.toISOString()],
    );
    const r = rows[0];
    return {
      pending: Number(r.pending),
      oldestDueSeconds: r.oldest === null ? 0 : Math.max(0, Math.round((now.getTime() - new Date(r.oldest).getTime()) / 1000)),
      failed: Number(r.failed),
    };
  }
}

/** A request per account; one already there gets a new generation, so whoever handles the old one leaves it. */
async function requestRechecks(client: SqlClient, accountIds: readonly string[], since: string): Promise<void> {
  await client.query(
    `INSERT INTO notification_recheck (account_id, since) SELECT a, $2 FROM unnest($1::text[]) AS a
       ON CONFLICT (account_id) DO UPDATE SET generation = notification_recheck.generation + 1`,
    [[...new Set(accountIds)], since],
  );
}
