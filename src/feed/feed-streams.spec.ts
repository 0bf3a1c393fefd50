import { EventEmitter } from 'node:events';
import { PassThrough } from 'node:stream';
import type { HttpReply, HttpRequest } from '../common/http';
import { FEED_START, FeedCursor, FeedEntry, FeedFilter } from './domain/feed';
import type { FeedAccess } from './feed-access';
import type { FeedPage, FeedReader } from './feed-reader';
import { FeedStreams, serverSentEvent } from './feed-streams';

const entry = (n: number): FeedEntry => ({
  cursor: `${n}.0`,
  id: `e${n}`,
  kind: 'event',
  type: 'MarkRecorded',
  eventId: `e${n}`,
  stream: 'journal-g1-p1',
  schoolId: 's',
  position: `${n}.0`,
  recordedAt: '2026-09-07T08:00:00.000Z',
  actor: { accountId: 'a', role: 'teacher' },
  data: { n },
  void: false,
  voidedBy: null,
});

/** A log of `count` entries, read in pages as FeedReader reads them; `grow` adds one. */
function logOf(count: number) {
  const entries = Array.from({ length: count }, (_, i) => entry(i + 1));
  const reads: FeedCursor[] = [];
  const reader = {
    page: async (_school: string, after: FeedCursor, limit: number): Promise<FeedPage> => {
      reads.push(after);
      const rest = entries.filter((e) => Number(e.position.split('.')[0]) > Number(after.position.major));
      const page = rest.slice(0, limit);
      return { entries: page, cursor: page.at(-1)?.cursor ?? null, complete: page.length === rest.length };
    },
  } as unknown as FeedReader;
  return { reader, reads, grow: () => entries.push(entry(entries.length + 1)) };
}

/** What a stream wrote, and its reply's close. */
function open(streams: FeedStreams, after: FeedCursor = FEED_START) {
  const raw = new EventEmitter();
  let body: PassThrough | undefined;
  const reply = {
    raw,
    header() {
      return reply;
    },
    send(stream: PassThrough) {
      body = stream;
      return reply;
    },
  } as unknown as HttpReply;
  streams.serve({ id: 'c1' } as HttpRequest, reply, 's', after, undefined, {});
  let text = '';
  let ended = false;
  body!.on('data', (chunk: Buffer) => (text += chunk.toString()));
  body!.on('end', () => (ended = true));
  return { raw, text: () => text, ended: () => ended };
}

const until = async (what: () => boolean) => {
  for (let i = 0; i < 200 && !what(); i++) await new Promise((resolve) => setTimeout(resolve, 5));
  expect(what()).toBe(true);
};

describe('the feed as Server-Sent Events', () => {
  const allowed = { recheck: async (): Promise<FeedFilter | null> => ({}) } as unknown as FeedAccess;

  it('writes the backlog as events with the cursors as ids, follows new entries, and keeps a quiet stream alive', async () => {
    const log = logOf(2);
    const streams = new FeedStreams(log.reader, allowed, { pollIntervalMs: 5, keepAliveMs: 20 });
    const stream = open(streams);
    await until(() => stream.text().includes('id: 2.0\n'));
    expect(stream.text().startsWith('retry: 2000\n\n')).toBe(true);
    expect(stream.text()).toContain(serverSentEvent(entry(1)) + serverSentEvent(entry(2)));
    log.grow();
    await until(() => stream.text().includes(serverSentEvent(entry(3))));
    await until(() => stream.text().includes(': keep-alive\n\n'));
    // Each look at the log resumes after the last entry written. (Awaited, not read once: on a busy
    // machine the keep-alive can come before entry 3, and then the look after 3 is still to come.)
    const resumedAfter = () => log.reads.map((read) => `${read.position.major}.${read.position.minor}/${read.index}`);
    await until(() => resumedAfter().at(-1) === '3.0/0');
    expect(new Set(resumedAfter())).toEqual(new Set(['0.0/0', '2.0/0', '3.0/0']));
    await streams.onModuleDestroy();
    expect(streams.size).toBe(0);
    await until(() => stream.ended());
  });

  it('stops when the client goes away', async () => {
    const streams = new FeedStreams(logOf(1).reader, allowed, { pollIntervalMs: 5, keepAliveMs: 1000 });
    const stream = open(streams);
    await until(() => streams.size === 1 && stream.text().includes('id: 1.0'));
    stream.raw.emit('close');
    await until(() => streams.size === 0);
  });

  it('ends the stream once its reader may read no more', async () => {
    let allowedNow = true;
    const access = { recheck: async () => (allowedNow ? {} : null) } as unknown as FeedAccess;
    const streams = new FeedStreams(logOf(1).reader, access, { pollIntervalMs: 5, keepAliveMs: 1000 });
    const stream = open(streams);
    await until(() => stream.text().includes('id: 1.0'));
    allowedNow = false;
    await until(() => stream.ended() && streams.size === 0);
  });
});
