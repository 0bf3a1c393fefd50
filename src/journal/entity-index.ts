import { Inject, Injectable } from '@nestjs/common';
import { AppendMetadata } from '../event-store/envelope';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';

export interface JournalAddress {
  schoolId: string;
  groupId: string;
  periodId: string;
}

/**
 * Where a lesson, mark or attendance entry lives: routes name only the entry's id, and the entry
 * lives in its group × period journal. Each id gets a one-event stream `entity-<id>`, written before
 * the journal event that creates the entry — an index entry whose journal append then failed points
 * at a journal that does not have the entry, which reads as "no such entry". Addresses never change,
 * so they are cached for good.
 */
@Injectable()
export class EntityIndex {
  private readonly known = new Map<string, JournalAddress>();

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async register(entityId: string, address: JournalAddress, meta: AppendMetadata): Promise<void> {
    await this.store.append(`entity-${entityId}`, 'no-stream', [{ type: 'EntityIndexed', data: { entityId, ...address } }], meta);
    this.known.set(entityId, address);
  }

  async resolve(entityId: string): Promise<JournalAddress | null> {
    const cached = this.known.get(entityId);
    if (cached) return cached;
    const [event] = await this.store.readStream(`entity-${entityId}`);
    if (!event) return null;
    const { schoolId, groupId, periodId } = event.data as JournalAddress;
    const address = { schoolId, groupId, periodId };
    if (this.known.size > 200_000) this.known.clear();
    this.known.set(entityId, address);
    return address;
  }
}
