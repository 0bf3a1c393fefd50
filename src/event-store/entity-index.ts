import { Inject, Injectable } from '@nestjs/common';
import { AppendMetadata, SYSTEM_ACTOR } from './envelope';
import { EVENT_STORE, EventStore } from './event-store.port';

/** Where an entry lives, as far as every kind of entry has it: its school. */
export interface EntityAddress {
  readonly schoolId: string;
}

/** A lesson's, mark's or attendance entry's journal. */
export interface JournalAddress extends EntityAddress {
  groupId: string;
  periodId: string;
}

/** An incident's account (incidents live in their account's stream). */
export interface IncidentAddress extends EntityAddress {
  accountId: string;
}

/**
 * Where an entry lives, for routes that name only the entry's id (lessons, marks and attendance
 * live in their group × period journal; incidents in their account's stream). Each id gets a
 * one-event stream `entity-<id>`, written before the event that creates the entry — an index entry
 * whose append then failed points at a stream without that entry, which reads as "no such entry".
 * The service writes it, not the person: bookkeeping is no operation of theirs, never voided.
 * Addresses never change, so they are cached for good.
 */
@Injectable()
export class EntityIndex {
  private readonly known = new Map<string, EntityAddress>();

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  async register<A extends EntityAddress>(entityId: string, address: A, meta: AppendMetadata): Promise<void> {
    await this.store.append(`entity-${entityId}`, 'no-stream', [{ type: 'EntityIndexed', data: { entityId, ...address } }], {
      ...meta,
      actor: SYSTEM_ACTOR,
      causationId: meta.causationId ?? null,
    });
    this.known.set(entityId, address);
  }

  async resolve<A extends EntityAddress>(entityId: string): Promise<A | null> {
    const cached = this.known.get(entityId);
    if (cached) return cached as A;
    const [event] = await this.store.readStream(`entity-${entityId}`);
    if (!event) return null;
    const { entityId: _id, ...address } = event.data as A & { entityId: string };
    if (this.known.size > 200_000) this.known.clear();
    this.known.set(entityId, address);
    return address as unknown as A;
  }
}
