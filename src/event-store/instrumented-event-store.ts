import { Metrics } from '../operations/metrics';
import { AppendMetadata, NewEvent, StoredEvent } from './envelope';
import { AppendResult, EventStore, ExpectedVersion } from './event-store.port';
import { ForwardingEventStore } from './forwarding-event-store';

/**
 * Counts and times appends for /metrics, and tells `onAppended` (StreamFreshness) what this
 * process wrote before the writer hears back; everything else passes straight through.
 */
export class InstrumentedEventStore extends ForwardingEventStore {
  constructor(
    inner: EventStore,
    private readonly metrics: Metrics,
    private readonly onAppended?: (events: readonly StoredEvent[]) => void,
  ) {
    super(inner);
  }

  override async append(stream: string, expected: ExpectedVersion, events: readonly NewEvent[], meta: AppendMetadata): Promise<AppendResult> {
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
}
