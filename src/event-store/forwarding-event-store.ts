import { AppendMetadata, NewEvent, StoredEvent } from './envelope';
import { AppendResult, BatchHandler, EventStore, ExpectedVersion, HeadScope, LogEntry, LogQuery, ReadAllOptions, SubscribeOptions, Subscription } from './event-store.port';
import { Position } from './position';

/** An EventStore that hands every call to `inner`: a decorator overrides only the calls it watches. */
export abstract class ForwardingEventStore<Inner extends EventStore = EventStore> implements EventStore {
  /** The inner store's, where it has it (an optional capability stays optional through a decorator). */
  readonly schools?: () => Promise<string[]>;
  readonly readEntries?: (after: Position, limit: number) => Promise<LogEntry[]>;
  readonly entriesOf?: (eventIds: readonly string[]) => Promise<LogEntry[]>;

  constructor(readonly inner: Inner) {
    if (inner.schools) this.schools = () => inner.schools!();
    if (inner.readEntries) this.readEntries = (after, limit) => inner.readEntries!(after, limit);
    if (inner.entriesOf) this.entriesOf = (eventIds) => inner.entriesOf!(eventIds);
  }

  get kind(): EventStore['kind'] {
    return this.inner.kind;
  }

  append(stream: string, expected: ExpectedVersion, events: readonly NewEvent[], meta: AppendMetadata): Promise<AppendResult> {
    return this.inner.append(stream, expected, events, meta);
  }

  readStream(stream: string, fromVersion?: number): Promise<StoredEvent[]> {
    return this.inner.readStream(stream, fromVersion);
  }

  findEvent(stream: string, eventId: string): Promise<StoredEvent | null> {
    return this.inner.findEvent(stream, eventId);
  }

  readAll(after: Position, options?: ReadAllOptions): Promise<StoredEvent[]> {
    return this.inner.readAll(after, options);
  }

  query(filter: LogQuery): Promise<StoredEvent[]> {
    return this.inner.query(filter);
  }

  subscribe(after: Position, handler: BatchHandler, options?: SubscribeOptions): Subscription {
    return this.inner.subscribe(after, handler, options);
  }

  head(scope?: HeadScope): Promise<Position> {
    return this.inner.head(scope);
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
