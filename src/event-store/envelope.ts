import canonicalize from 'canonicalize';
import { v7 as uuidv7 } from 'uuid';
import type { OperationIds } from './operation-ids';
import { Position } from './position';
import type { EventSchemas } from './upcasting';

/** Who did it: the account, the role it acted in, and its credential generation at the time. */
export interface Actor {
  readonly accountId: string;
  readonly role: string;
  readonly generation: number;
}

/** The service itself (bootstrap, scheduled work): never an account, so never voided. */
export const SYSTEM_ACTOR: Actor = { accountId: '00000000-0000-0000-0000-000000000000', role: 'system', generation: 0 };

/** What a command handler hands to the store: the fact, plus who and why. */
export interface NewEvent<T = unknown> {
  readonly eventId?: string;
  readonly type: string;
  /** In its type's current shape: the store stamps the current schemaVersion (EventSchemas). */
  readonly data: T;
}

export interface AppendMetadata {
  readonly schoolId: string | null;
  readonly actor: Actor;
  readonly correlationId: string;
  readonly causationId?: string | null;
  /** The write's ids: under an Idempotency-Key its events' ids repeat on a retry (see OperationIds). */
  readonly ids?: OperationIds;
}

/** Each event's id: its own if it brings one, else the write's for that place, else a new one. */
export function eventIdsOf(stream: string, events: readonly NewEvent[], meta: AppendMetadata): string[] {
  return events.map((event, index) => event.eventId ?? meta.ids?.eventId(stream, index) ?? uuidv7());
}

/** Whether an append's ids may be stored already: given by the caller, or repeated by a retry. */
export const idsMayRepeat = (events: readonly NewEvent[], meta: AppendMetadata): boolean => events.some((event) => event.eventId !== undefined) || !!meta.ids?.repeatable;

/** The envelope as hashed and stored: everything but the global position, which the log assigns. */
export interface EventEnvelope<T = unknown> {
  readonly eventId: string;
  readonly type: string;
  readonly schemaVersion: number;
  readonly stream: string;
  readonly streamVersion: number;
  readonly schoolId: string | null;
  readonly actor: Actor;
  /** Server time, RFC 3339 UTC with milliseconds. */
  readonly recordedAt: string;
  readonly correlationId: string;
  readonly causationId: string | null;
  readonly data: T;
}

export interface StoredEvent<T = unknown> extends EventEnvelope<T> {
  readonly position: Position;
  /** Serialised position, the consistency token handed to clients. */
  readonly globalPosition: string;
}

/**
 * RFC 8785 (JSON Canonicalization Scheme) text of the envelope: the exact bytes the store keeps
 * and the ledger hashes. Key order, number format and escaping are fixed by the RFC.
 */
export function canonicalEnvelope(envelope: EventEnvelope): string {
  const text = canonicalize(envelope);
  if (text === undefined) throw new Error(`event ${envelope.eventId} cannot be canonicalised`);
  return text;
}

/** The envelopes of one append: versions follow `version`, one recordedAt for all, each type's current schema. */
export function buildEnvelopes(
  stream: string,
  version: number,
  events: readonly NewEvent[],
  eventIds: readonly string[],
  meta: AppendMetadata,
  recordedAt: string,
  schemas: EventSchemas,
): EventEnvelope[] {
  return events.map((event, index) => ({
    eventId: eventIds[index],
    type: event.type,
    schemaVersion: schemas.currentVersion(event.type),
    stream,
    streamVersion: version + index + 1,
    schoolId: meta.schoolId,
    actor: meta.actor,
    recordedAt,
    correlationId: meta.correlationId,
    causationId: meta.causationId ?? null,
    data: event.data,
  }));
}
