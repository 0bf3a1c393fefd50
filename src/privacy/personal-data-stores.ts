import { AppendMetadata, NewEvent, StoredEvent } from '../event-store/envelope';
import { AppendResult, BatchHandler, EventStore, ExpectedVersion, LogQuery, ReadAllOptions, SubscribeOptions, Subscription } from '../event-store/event-store.port';
import { ForwardingEventStore } from '../event-store/forwarding-event-store';
import { Position } from '../event-store/position';
import { PersonalDataVault } from './personal-data-vault';

/**
 * The store every append passes through: personal fields are sealed before they reach the log
 * (so the log, its index, the audit ledger's leaves and every export hold only ciphertext of them).
 * Reads pass through sealed: the projections keep sealed values as they are in their rows.
 */
export class SealingEventStore extends ForwardingEventStore {
  constructor(
    inner: EventStore,
    private readonly vault: PersonalDataVault,
  ) {
    super(inner);
  }

  override async append(stream: string, expected: ExpectedVersion, events: readonly NewEvent[], meta: AppendMetadata): Promise<AppendResult> {
    return this.inner.append(stream, expected, await this.vault.sealEvents(events), meta);
  }
}

/**
 * The store the deciding side and the views read through: personal fields opened with their
 * person's key, or read as erased. Decisions and answers see names; nothing below this keeps them.
 */
export class OpeningEventStore extends ForwardingEventStore {
  constructor(
    inner: EventStore,
    private readonly vault: PersonalDataVault,
  ) {
    super(inner);
  }

  override async append(stream: string, expected: ExpectedVersion, events: readonly NewEvent[], meta: AppendMetadata): Promise<AppendResult> {
    const result = await this.inner.append(stream, expected, events, meta);
    return { ...result, events: await this.vault.openEvents(result.events) };
  }

  override async readStream(stream: string, fromVersion?: number): Promise<StoredEvent[]> {
    return this.vault.openEvents(await this.inner.readStream(stream, fromVersion));
  }

  override async findEvent(stream: string, eventId: string): Promise<StoredEvent | null> {
    const event = await this.inner.findEvent(stream, eventId);
    return event ? (await this.vault.openEvents([event]))[0] : null;
  }

  override async readAll(after: Position, options?: ReadAllOptions): Promise<StoredEvent[]> {
    return this.vault.openEvents(await this.inner.readAll(after, options));
  }

  override async query(filter: LogQuery): Promise<StoredEvent[]> {
    return this.vault.openEvents(await this.inner.query(filter));
  }

  override subscribe(after: Position, handler: BatchHandler, options?: SubscribeOptions): Subscription {
    return this.inner.subscribe(after, async (events, resumeAfter) => handler(await this.vault.openEvents(events), resumeAfter), options);
  }
}
