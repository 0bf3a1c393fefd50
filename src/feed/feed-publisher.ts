import { connect, headers, JetStreamClient, NatsConnection } from 'nats';
import { BackgroundLoop, Leadership } from '../common/background-loop';
import { AdvisoryLocks, FEED_PUBLISHER_LOCK } from '../database/advisory-locks';
import { SqlPool } from '../database/sql-pool';
import { formatPosition, parsePosition, Position, START } from '../event-store/position';
import { FeedEntry } from './domain/feed';
import { FeedReader } from './feed-reader';

/** The JetStream stream the feed goes to, and each school's subject in it. */
export const FEED_STREAM = 'ZHURNAL_FEED';
export const FEED_SUBJECTS = 'zhurnal.feed.>';
export const feedSubject = (schoolId: string) => `zhurnal.feed.${schoolId}`;

/** Where a publisher stands (table feed_publication): the position through which every entry is published. */
export class FeedPublications {
  constructor(
    private readonly pool: SqlPool,
    private readonly stream = FEED_STREAM,
  ) {}

  async position(): Promise<Position> {
    const { rows } = await this.pool.query<{ position: string }>(`SELECT position FROM feed_publication WHERE stream = $1`, [this.stream]);
    return rows.length === 0 ? START : parsePosition(rows[0].position)!;
  }

  /** Moves from `from` to `to`, only if it is still at `from` (another publisher that moved it wins). */
  async advance(from: Position, to: Position): Promise<boolean> {
    const { rowCount } = await this.pool.query(
      `INSERT INTO feed_publication (stream, position, updated_at) VALUES ($1, $3, now())
       ON CONFLICT (stream) DO UPDATE SET position = $3, updated_at = now() WHERE feed_publication.position = $2`,
      [this.stream, formatPosition(from), formatPosition(to)],
    );
    // The first INSERT from START; a conflict that did not update (moved by someone else) counts 0.
    return rowCount === 1;
  }
}

export interface FeedPublisherOptions {
  /** NATS servers, comma-separated (NATS_URL). */
  readonly url: string;
  readonly pollIntervalMs: number;
  /** Events of the log read per batch (all schools): one checkpoint per batch. */
  readonly batchSize?: number;
  readonly retryMaxMs?: number;
  readonly locks?: AdvisoryLocks;
  readonly logger?: { info(object: object, message: string): void; error(object: object, message: string): void };
}

export interface FeedPublisherStatus {
  readonly role: 'publisher' | 'follower' | 'stopped';
  readonly position: string | null;
  /** Entries JetStream stored, and those it already had (a batch published again after a crash). */
  readonly published: number;
  readonly duplicates: number;
  readonly failure: string | null;
}

/**
 * Publishes every school's change feed to NATS JetStream when NATS_URL is set: each entry on
 * `zhurnal.feed.<schoolId>` of the stream ZHURNAL_FEED (made if absent), in cursor order, with the
 * entry's id as `Nats-Msg-Id`, so JetStream drops a repeat (within the stream's duplicate window)
 * and a consumer can dedupe beyond it; `Zhurnal-Cursor` carries the HTTP feed's cursor. Follows
 * the log from its own checkpoint (feed_publication), moved after each batch is acknowledged: a
 * crash publishes at most that batch again. One publisher among several instances (advisory lock).
 */
export class FeedPublisher {
  private position?: Position;
  private connection?: NatsConnection;
  private jetStream?: JetStreamClient;
  private published = 0;
  private duplicates = 0;
  private readonly leadership: Leadership;
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly reader: FeedReader,
    private readonly publications: FeedPublications,
    private readonly options: FeedPublisherOptions,
  ) {
    this.leadership = new Leadership(options.locks, FEED_PUBLISHER_LOCK, (leading) => {
      this.position = undefined;
      if (leading) this.options.logger?.info({ stream: FEED_STREAM }, 'change feed: this instance publishes to NATS JetStream');
    });
    this.loop = new BackgroundLoop({
      turn: async () => (await this.leadership.lead()) && (await this.step()),
      idleMs: () => (this.leadership.isLeading ? options.pollIntervalMs : Math.max(1000, options.pollIntervalMs)),
      retryMaxMs: options.retryMaxMs,
      onError: (error, retryInMs) => {
        this.position = undefined;
        this.options.logger?.error({ err: error, retryInMs }, 'change feed: could not publish to NATS; it tries again');
      },
      onRecovered: () => this.options.logger?.info({}, 'change feed: publishing to NATS again'),
    });
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    this.position = undefined;
    await this.leadership.release();
    // Its own session of locks (PostgreSQL): closed, or it would outlive the service.
    await this.options.locks?.close();
    const connection = this.connection;
    this.connection = undefined;
    this.jetStream = undefined;
    // Whatever was published is acknowledged already: drain only lets go of the connection.
    await connection?.drain().catch(() => undefined);
  }

  status(): FeedPublisherStatus {
    return {
      role: !this.loop.active ? 'stopped' : this.leadership.isLeading ? 'publisher' : 'follower',
      position: this.position ? formatPosition(this.position) : null,
      published: this.published,
      duplicates: this.duplicates,
      failure: this.loop.failure,
    };
  }

  /** One batch of the log published; false when there was nothing new. */
  private async step(): Promise<boolean> {
    this.position ??= await this.publications.position();
    const from = this.position;
    const range = await this.reader.range(from, this.options.batchSize ?? 500);
    if (!range) return false;
    const jetStream = await this.open();
    for (const entry of range.entries) await this.publish(jetStream, entry);
    if (!(await this.publications.advance(from, range.through))) {
      this.position = undefined;
      this.options.logger?.info({}, 'change feed: the NATS checkpoint was moved by another publisher; reading it again');
      return true;
    }
    this.position = range.through;
    return true;
  }

  private async publish(jetStream: JetStreamClient, entry: FeedEntry): Promise<void> {
    const extra = headers();
    extra.set('Zhurnal-Cursor', entry.cursor);
    const ack = await jetStream.publish(feedSubject(entry.schoolId!), Buffer.from(JSON.stringify(entry)), { msgID: entry.id, headers: extra, expect: { streamName: FEED_STREAM } });
    if (ack.duplicate) this.duplicates++;
    else this.published++;
  }

  /** The connection, and the stream made if it is not there (an existing one is used as configured). */
  private async open(): Promise<JetStreamClient> {
    if (this.jetStream && this.connection && !this.connection.isClosed()) return this.jetStream;
    const connection = await connect({ servers: this.options.url.split(','), name: 'zhurnal-feed', maxReconnectAttempts: -1 });
    try {
      const manager = await connection.jetstreamManager();
      try {
        await manager.streams.info(FEED_STREAM);
      } catch (error) {
        if (!/not found/i.test(error instanceof Error ? error.message : String(error))) throw error;
        await manager.streams.add({ name: FEED_STREAM, subjects: [FEED_SUBJECTS] });
        this.options.logger?.info({ stream: FEED_STREAM, subjects: FEED_SUBJECTS }, 'change feed: JetStream stream created');
      }
    } catch (error) {
      await connection.close().catch(() => undefined);
      throw error;
    }
    this.connection = connection;
    this.jetStream = connection.jetstream();
    return this.jetStream;
  }
}
