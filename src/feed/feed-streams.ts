import { Inject, Injectable, Logger, OnModuleDestroy } from '@nestjs/common';
import { PassThrough } from 'node:stream';
import type { HttpReply, HttpRequest } from '../common/http';
import { WakeablePause } from '../common/wakeable-pause';
import { FeedCursor, FeedEntry, FeedFilter, parseCursor } from './domain/feed';
import { FeedAccess } from './feed-access';
import { FeedReader } from './feed-reader';

export interface FeedStreamOptions {
  /** How often a stream at the head looks for new entries (and checks its reader's rights again). */
  readonly pollIntervalMs: number;
  /** A comment line this often keeps proxies from closing a quiet stream. */
  readonly keepAliveMs: number;
}

export const FEED_STREAM_OPTIONS = Symbol('FEED_STREAM_OPTIONS');

/** Entries read per look at the log; a stream writes them and looks again at once until the head. */
const STREAM_BATCH = 500;
/** What an EventSource waits before it reconnects (with Last-Event-ID) after the stream ends. */
const RECONNECT_MS = 2000;
/** A stream reading a long backlog checks its reader's rights at least this often. */
const RECHECK_MS = 5000;

/** One entry as a Server-Sent Event: its cursor as the id, so a reconnect resumes after it. */
export const serverSentEvent = (entry: FeedEntry): string => `id: ${entry.cursor}\nevent: ${entry.type}\ndata: ${JSON.stringify(entry)}\n\n`;

/** One open event stream: its body, and how its loop is stopped (the client went, the service stops). */
class FeedSession {
  closed = false;
  private readonly sleeper = new WakeablePause();
  private readonly closing: Promise<void>;
  private closeNow!: () => void;

  constructor(readonly body: PassThrough) {
    this.closing = new Promise((resolve) => (this.closeNow = resolve));
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.closeNow();
    this.sleeper.wake();
  }

  pause(ms: number): Promise<void> {
    return this.closed ? Promise.resolve() : this.sleeper.pause(ms);
  }

  /** Writes, waiting while the client is slower than the feed (or until it goes). */
  async write(text: string): Promise<void> {
    if (this.closed || this.body.write(text)) return;
    await Promise.race([new Promise((resolve) => this.body.once('drain', resolve)), this.closing]);
  }
}

/**
 * The feed as Server-Sent Events (`Accept: text/event-stream`): the backlog after the cursor, then
 * every new entry as the log grows, until the client disconnects, its token or rights end, or the
 * service stops (every stream is ended before the HTTP server and the database close).
 */
@Injectable()
export class FeedStreams implements OnModuleDestroy {
  private readonly logger = new Logger('feed');
  private readonly open = new Map<FeedSession, Promise<void>>();

  constructor(
    private readonly reader: FeedReader,
    private readonly access: FeedAccess,
    @Inject(FEED_STREAM_OPTIONS) private readonly options: FeedStreamOptions,
  ) {}

  /** How many streams are open (tests, the log). */
  get size(): number {
    return this.open.size;
  }

  serve(request: HttpRequest, reply: HttpReply, schoolId: string, after: FeedCursor, types: ReadonlySet<string> | undefined, filter: FeedFilter): void {
    const body = new PassThrough();
    const session = new FeedSession(body);
    void reply
      .header('Content-Type', 'text/event-stream; charset=utf-8')
      .header('Cache-Control', 'no-cache, no-transform')
      // Proxies that buffer answers (nginx) would hold the events back.
      .header('X-Accel-Buffering', 'no')
      .send(body);
    reply.raw.once('close', () => session.close());
    body.once('close', () => session.close());
    const running = this.run(session, request, schoolId, after, types, filter).finally(() => this.open.delete(session));
    this.open.set(session, running);
  }

  async onModuleDestroy(): Promise<void> {
    for (const session of this.open.keys()) session.close();
    await Promise.all(this.open.values());
  }

  private async run(session: FeedSession, request: HttpRequest, schoolId: string, after: FeedCursor, types: ReadonlySet<string> | undefined, filter: FeedFilter): Promise<void> {
    const context = { schoolId, correlationId: request.id };
    const keepAlive = setInterval(() => void session.write(': keep-alive\n\n'), this.options.keepAliveMs);
    keepAlive.unref();
    let cursor = after;
    let current: FeedFilter | null = filter;
    let checkedAt = Date.now();
    try {
      // Sent at once, so the client knows the stream is open before the first entry.
      await session.write(`retry: ${RECONNECT_MS}\n\n`);
      while (!session.closed) {
        const page = await this.reader.page(schoolId, cursor, STREAM_BATCH, current);
        for (const entry of page.entries) {
          if (session.closed) return;
          await session.write(serverSentEvent(entry));
        }
        if (page.cursor) cursor = parseCursor(page.cursor)!;
        if (page.complete) await session.pause(this.options.pollIntervalMs);
        if (session.closed || (!page.complete && Date.now() - checkedAt < RECHECK_MS)) continue;
        current = await this.access.recheck(request, schoolId, types);
        checkedAt = Date.now();
        if (!current) {
          this.logger.log(context, 'change feed: stream ended, its reader may read no more (token, account or rights)');
          return;
        }
      }
    } catch (error) {
      // The status is sent already: the stream ends, and the client resumes from its last id.
      this.logger.error({ ...context, err: error }, 'change feed: stream failed');
    } finally {
      clearInterval(keepAlive);
      session.close();
      session.body.end();
    }
  }
}
