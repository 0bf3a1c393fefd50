import { EventEmitter } from 'node:events';
import {
  BACKWARDS,
  END,
  EventStoreDBClient,
  FORWARDS,
  jsonEvent,
  NO_STREAM,
  START as ESDB_START,
  StreamNotFoundError,
  WrongExpectedVersionError,
  type CurrentRevision,
  type Direction,
  type RecordedEvent,
} from '@eventstore/db-client';
import { Clock, systemClock, toMoment } from '../../common/clock';
import { AppendMetadata, buildEnvelopes, canonicalEnvelope, EventEnvelope, eventIdsOf, idsMayRepeat, NewEvent, StoredEvent } from '../envelope';
import { ConcurrencyError, IdempotencyConflictError } from '../event-store.errors';
import {
  AppendResult,
  BatchHandler,
  EventStore,
  ExpectedVersion,
  LogEntry,
  LogQuery,
  ReadAllOptions,
  SubscribeOptions,
  Subscription,
} from '../event-store.port';
import { pollingSubscription } from '../polling-subscription';
import { comparePositions, formatPosition, Position, START } from '../position';
import { EventSchemas } from '../upcasting';

export interface EsdbEventStoreOptions {
  readonly connectionString: string;
  readonly clock?: Clock;
  /** Default: EventSchemas.open() (tests, benchmarks); the service passes its declared schemas. */
  readonly schemas?: EventSchemas;
}

/** How many $all records head() looks at per round trip while skipping system events. */
const HEAD_PAGE = 32;

/**
 * EventStoreDB/KurrentDB adapter. Each event is one ESDB JSON event whose id is our eventId and
 * whose data is our whole envelope; our stream versions are ESDB revisions + 1, and our position
 * is ESDB's (commit, prepare). recordedAt is our clock's, never ESDB's `created`.
 */
export class EsdbEventStore implements EventStore {
  readonly kind = 'eventstoredb' as const;
  private readonly client: EventStoreDBClient;
  private readonly clock: Clock;
  private readonly schemas: EventSchemas;
  private readonly appended = new EventEmitter();

  constructor(options: EsdbEventStoreOptions) {
    this.client = EventStoreDBClient.connectionString(options.connectionString);
    this.clock = options.clock ?? systemClock;
    this.schemas = options.schemas ?? EventSchemas.open();
    this.appended.setMaxListeners(0);
  }

  async append(stream: string, expected: ExpectedVersion, events: readonly NewEvent[], meta: AppendMetadata): Promise<AppendResult> {
    if (events.length === 0) throw new Error(`append to ${stream} with no events`);
    // Fresh ids cannot be stored yet: only caller-supplied or repeated ones can make this a retry.
    const supplied = idsMayRepeat(events, meta);
    const eventIds = eventIdsOf(stream, events, meta);
    // ESDB checks ids only at the revisions it is asked to write over; appending at the current
    // version would store a reused id a second time, so look for the ids before writing.
    if (supplied) {
      const replay = await this.findReplay(stream, eventIds);
      if (replay) return replay;
    }
    // 'any' still needs the version for the envelopes: read it, then append as if expected.
    for (let attempt = 1; ; attempt++) {
      const version = expected === 'any' ? await this.streamVersion(stream) : expected === 'no-stream' ? 0 : expected;
      try {
        return await this.appendAt(stream, version, events, eventIds, meta, supplied);
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
    supplied: boolean,
  ): Promise<AppendResult> {
    const recordedAt = toMoment(this.clock.now());
    const envelopes = buildEnvelopes(stream, version, events, eventIds, meta, recordedAt, this.schemas);
    let positionReported: boolean;
    try {
      const result = await this.client.appendToStream(
        stream,
        envelopes.map((envelope) => jsonEvent({ id: envelope.eventId, type: envelope.type, data: { ...envelope } })),
        { expectedRevision: version === 0 ? NO_STREAM : BigInt(version - 1) },
      );
      positionReported = result.position !== undefined;
    } catch (error) {
      if (!(error instanceof WrongExpectedVersionError)) throw error;
      // A concurrent append of these very ids may have landed since the check in append().
      const replay = supplied ? await this.findReplay(stream, eventIds) : null;
      if (replay) return replay;
      throw new ConcurrencyError(stream, version, versionOf(error.actualVersion));
    }
    // ESDB answers success both for a write and for a repeat of ids already at these revisions,
    // with the same nextExpectedRevision (older servers send no position for a repeat, newer ones
    // the original's). Reading back tells the two apart and gives each event its $all position.
    const written = await this.readRaw(stream, BigInt(version), events.length);
    if (written.length !== events.length || written.some((event, index) => envelopeOf(event).eventId !== eventIds[index])) {
      throw new Error(`EventStoreDB acknowledged ${stream}@${version} but holds other events there`);
    }
    const stored = written.map((event) => this.toStored(event));
    const last = stored[stored.length - 1];
    const ours = written.every((event, index) => sameEnvelope(envelopeOf(event), envelopes[index]));
    const replayed = supplied && (!positionReported || !ours);
    if (!replayed) this.appended.emit('appended');
    return { nextVersion: version + events.length, events: stored, position: last.position, replayed };
  }

  /**
   * Looks the ids up in the stream: all there → the originals, some → IdempotencyConflictError,
   * none → null. ESDB has no index by event id, so this reads the whole stream: fine for our
   * bounded streams (one per group × subject × period, per account…), and it sees only this
   * stream, where PostgreSQL's unique index catches an id reused in any stream.
   */
  private async findReplay(stream: string, eventIds: string[]): Promise<AppendResult | null> {
    const wanted = new Set(eventIds);
    const found = new Map<string, StoredEvent>();
    for (const event of await this.readRaw(stream, 0n)) {
      const envelope = envelopeOf(event);
      if (wanted.has(envelope.eventId)) found.set(envelope.eventId, this.toStored(event));
    }
    if (found.size === 0) return null;
    if (found.size < eventIds.length) throw new IdempotencyConflictError(stream, [...found.keys()]);
    const stored = eventIds.map((id) => found.get(id)!);
    const last = stored.reduce((a, b) => (a.streamVersion >= b.streamVersion ? a : b));
    return { nextVersion: last.streamVersion, events: stored, position: last.position, replayed: true };
  }

  /** No index by event id in ESDB: the stream is read (as findReplay does). */
  async findEvent(stream: string, eventId: string): Promise<StoredEvent | null> {
    const found = (await this.readRaw(stream, 0n)).find((event) => envelopeOf(event).eventId === eventId);
    return found ? this.toStored(found) : null;
  }

  private async streamVersion(stream: string): Promise<number> {
    const [last] = await this.readRaw(stream, END, 1, BACKWARDS);
    return last ? Number(last.revision) + 1 : 0;
  }

  async readStream(stream: string, fromVersion = 1): Promise<StoredEvent[]> {
    const events = await this.readRaw(stream, BigInt(Math.max(fromVersion, 1) - 1));
    return events.map((event) => this.toStored(event));
  }

  async readAll(after: Position, options: ReadAllOptions = {}): Promise<StoredEvent[]> {
    const limit = options.limit ?? 1000;
    if (limit < 1) return [];
    const result: StoredEvent[] = [];
    // $all also holds ESDB's own records; page on past them so a run of those is not "the end".
    let from: Position | typeof ESDB_START = comparePositions(after, START) === 0 ? ESDB_START : after;
    for (;;) {
      const page = await this.readAllPage(FORWARDS, from, limit + 1);
      for (const event of page.events) {
        if (isSystem(event)) continue;
        result.push(this.toStored(event));
        if (result.length === limit) return result;
      }
      if (page.end || page.events.length === 0) return result;
      from = positionOf(page.events[page.events.length - 1]);
    }
  }

  /**
   * The stored entries after `after`, in $all's order, for the audit ledger: the RFC 8785 text of
   * each envelope as stored (before upcasting). ESDB keeps the envelope as the event's JSON, and
   * RFC 8785 makes its text one and the same from that JSON, so a leaf commits to what is stored.
   * $all only grows at its end (a committed record never moves), so no earlier event can still come.
   */
  async readEntries(after: Position, limit: number): Promise<LogEntry[]> {
    const entries: LogEntry[] = [];
    let from: Position | typeof ESDB_START = comparePositions(after, START) === 0 ? ESDB_START : after;
    for (;;) {
      const page = await this.readAllPage(FORWARDS, from, limit + 1);
      for (const event of page.events) {
        if (isSystem(event)) continue;
        const envelope = envelopeOf(event);
        entries.push({ position: positionOf(event), eventId: envelope.eventId, type: envelope.type, entry: canonicalEnvelope(envelope) });
        if (entries.length === limit) return entries;
      }
      if (page.end || page.events.length === 0) return entries;
      from = positionOf(page.events[page.events.length - 1]);
    }
  }

  /** The entries of these events: ESDB has no index by our event id, so a scan of $all (exports, bundles). */
  async entriesOf(eventIds: readonly string[]): Promise<LogEntry[]> {
    const wanted = new Set(eventIds);
    const found: LogEntry[] = [];
    let after = START;
    while (found.length < wanted.size) {
      const page = await this.readEntries(after, 1000);
      found.push(...page.filter((entry) => wanted.has(entry.eventId)));
      if (page.length < 1000) break;
      after = page[page.length - 1].position;
    }
    return found;
  }

  /** ESDB has no index on our envelope's fields: a scan of $all, filtered here (audits, voiding). */
  async query(filter: LogQuery): Promise<StoredEvent[]> {
    const matches = (e: StoredEvent) =>
      (filter.schoolId === undefined || e.schoolId === filter.schoolId) &&
      (filter.accountId === undefined || e.actor.accountId === filter.accountId) &&
      (filter.types === undefined || filter.types.includes(e.type)) &&
      (filter.eventIds === undefined || filter.eventIds.includes(e.eventId)) &&
      (filter.recordedFrom === undefined || e.recordedAt >= new Date(filter.recordedFrom).toISOString()) &&
      (filter.recordedBefore === undefined || e.recordedAt < new Date(filter.recordedBefore).toISOString());
    const found: StoredEvent[] = [];
    let after = filter.after ?? START;
    for (;;) {
      const page = await this.readAll(after, { limit: 1000 });
      for (const event of page) {
        if (filter.upTo !== undefined && comparePositions(event.position, filter.upTo) > 0) return found;
        if (!matches(event)) continue;
        found.push(event);
        if (filter.limit !== undefined && found.length >= filter.limit) return found;
      }
      if (page.length < 1000) return found;
      after = page[page.length - 1].position;
    }
  }

  subscribe(after: Position, handler: BatchHandler, options?: SubscribeOptions): Subscription {
    return pollingSubscription((from, limit) => this.readAll(from, { limit }), this.appended, after, handler, options);
  }

  async head(): Promise<Position> {
    let from: Position | typeof END = END;
    for (;;) {
      const page = await this.readAllPage(BACKWARDS, from, HEAD_PAGE);
      const newest = page.events.find((event) => !isSystem(event));
      if (newest) return positionOf(newest);
      if (page.end || page.events.length === 0) return START;
      from = positionOf(page.events[page.events.length - 1]);
    }
  }

  async ping(): Promise<void> {
    await collect(this.client.readAll({ direction: BACKWARDS, fromPosition: END, maxCount: 1 }));
  }

  async close(): Promise<void> {
    this.appended.removeAllListeners();
    await this.client.dispose();
  }

  /** One page of $all. ESDB's fromPosition is inclusive: the record at `from` itself is dropped. */
  private async readAllPage(
    direction: Direction,
    from: Position | typeof ESDB_START | typeof END,
    maxCount: number,
  ): Promise<{ events: RecordedEvent[]; end: boolean }> {
    const fromPosition = typeof from === 'string' ? from : { commit: from.major, prepare: from.minor };
    const page = await collect(this.client.readAll({ direction, fromPosition, maxCount, resolveLinkTos: false }));
    const events = page.flatMap(({ event }): RecordedEvent[] =>
      event && (typeof from === 'string' || comparePositions(positionOf(event), from) !== 0) ? [event] : [],
    );
    return { events, end: page.length < maxCount };
  }

  /** The records of one stream; a stream that does not exist is empty. */
  private async readRaw(
    stream: string,
    fromRevision: bigint | typeof END,
    maxCount?: number,
    direction: Direction = FORWARDS,
  ): Promise<RecordedEvent[]> {
    try {
      const resolved = await collect(this.client.readStream(stream, { direction, fromRevision, maxCount, resolveLinkTos: false }));
      return resolved.flatMap(({ event }): RecordedEvent[] => (event ? [event] : []));
    } catch (error) {
      if (error instanceof StreamNotFoundError) return [];
      throw error;
    }
  }

  private toStored(event: RecordedEvent): StoredEvent {
    const envelope = envelopeOf(event);
    const position = positionOf(event);
    const { schemaVersion, data } = this.schemas.upcast(envelope.type, envelope.schemaVersion, envelope.data);
    return { ...envelope, schemaVersion, data, position, globalPosition: formatPosition(position) };
  }
}

async function collect<T>(read: AsyncIterable<T>): Promise<T[]> {
  const items: T[] = [];
  for await (const item of read) items.push(item);
  return items;
}

/** ESDB's own records: its settings, stats, metadata ($$…), links ($>) and projection output. */
const isSystem = (event: RecordedEvent): boolean => event.type.startsWith('$') || event.streamId.startsWith('$');

function envelopeOf(event: RecordedEvent): EventEnvelope {
  if (!event.isJson) throw new Error(`event ${event.id} in ${event.streamId} is not JSON: not written by this service`);
  // The data is the envelope this adapter wrote; JSON gives no type, so it is asserted here.
  return event.data as unknown as EventEnvelope;
}

function positionOf(event: RecordedEvent): Position {
  // Stream reads carry positions from server 22.6 on; older servers cannot back this adapter.
  if (!event.position) throw new Error(`EventStoreDB sent no position for ${event.streamId}@${event.revision} (server older than 22.6?)`);
  return { major: event.position.commit, minor: event.position.prepare };
}

/** Whether the stored envelope is the one just sent (after the JSON round trip it went through). */
const sameEnvelope = (stored: EventEnvelope, sent: EventEnvelope): boolean =>
  canonicalEnvelope(stored) === canonicalEnvelope(JSON.parse(JSON.stringify(sent)) as EventEnvelope);

const versionOf = (revision: CurrentRevision | undefined): number | null =>
  revision === undefined ? null : revision === NO_STREAM ? 0 : Number(revision) + 1;
