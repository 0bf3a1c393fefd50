import { Metrics } from '../operations/metrics';
import { AppendMetadata, NewEvent, StoredEvent } from './envelope';
import { AppendResult, BatchHandler, EventStore, ExpectedVersion, LogQuery, ReadAllOptions, SubscribeOptions, Subscription } from './event-store.port';
import { Position } from './position';

/**
 * Counts and times appends for /metrics, and tells `onAppended` (StreamFreshness) what this
 * process wrote before the writer hears back; everything else passes straight through.
 */
export class InstrumentedEventStore implements EventStore {
  constructor(
    readonly inner: EventStore,
    private readonly metrics: Metrics,
    private readonly onAppended?: (events: readonly StoredEvent[]) => void,
  ) {}

  get kind(): EventStore['kind'] {
    return this.inner.kind;
  }

  async append(stream: string, expected: ExpectedVersion, events: readonly NewEvent[], meta: AppendMetadata): Promise<AppendResult> {
    const stop = this.metrics.appendDuration.startTimer({ store: this.kind });
    try {
      const result = await this.inner.append(stream, expected, events, meta);
      stop({ outcome: result.replayed ? 'replayed' : 'written' });
      this.onAppended?.(result.events);
      if (!result.replayed) this.metrics.eventsAppended.inc({ store: this.kind }, result.events.length);
      return result;
    } catch (error) {
      stop({ outcome: 'refused' });
      throw error;
    }
  }

  readStream(stream: string, fromVersion?: number): Promise<StoredEvent[]> {
    return this.inner.readStream(stream, fromVersion);
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

  head(): Promise<Position> {
    return this.inner.head();
  }

  ping(): Promise<void> {
    return this.inner.ping();
  }

  close(): Promise<void> {
    return this.inner.close();
  }
}
