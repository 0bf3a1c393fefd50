import { AppendMetadata, NewEvent, StoredEvent } from './envelope';
import { Position } from './position';

export const EVENT_STORE = Symbol('EVENT_STORE');

/**
 * Version of a stream = number of events in it (the first event has streamVersion 1).
 * `no-stream` is version 0; `any` skips the check.
 */
export type ExpectedVersion = number | 'any' | 'no-stream';

export interface AppendResult {
  /** The stream's version after the append. */
  readonly nextVersion: number;
  readonly events: readonly StoredEvent[];
  /** Position of the last event written: the consistency token for `atLeast`. */
  readonly position: Position;
  /** True when every event id was already stored: nothing was written, originals returned. */
  readonly replayed: boolean;
}

export interface ReadAllOptions {
  readonly limit?: number;
}

/** A filter over the whole log (audit, voiding): every field narrows; none given is the whole log. */
export interface LogQuery {
  /** One school's events; null: the events of no school (accounts made by the service, say). */
  readonly schoolId?: string | null;
  readonly accountId?: string;
  readonly types?: readonly string[];
  readonly eventIds?: readonly string[];
  /** recordedAt ≥ this moment (RFC 3339). */
  readonly recordedFrom?: string;
  /** recordedAt < this moment. */
  readonly recordedBefore?: string;
  /** Only events after this position (paging). */
  readonly after?: Position;
  /** Only events up to this position, itself included. */
  readonly upTo?: Position;
  readonly limit?: number;
}

/** One event as the log stores it: the audit ledger hashes these bytes, not a re-serialised parse. */
export interface LogEntry {
  readonly position: Position;
  readonly eventId: string;
  readonly type: string;
  /** The stored RFC 8785 text of the envelope, before any upcasting. */
  readonly entry: string;
}

export interface HeadScope {
  readonly schoolId?: string;
}

export interface Subscription {
  /** Stops after the batch in hand; resolves once the handler has returned. */
  stop(): Promise<void>;
  /** Resolves (or rejects) when the subscription ends. */
  readonly done: Promise<void>;
}

export interface SubscribeOptions {
  readonly batchSize?: number;
  /** How often to look for new events when no append in this process announced any. */
  readonly pollIntervalMs?: number;
}

/** The events of one batch, in global order, and the position to resume after them. */
export type BatchHandler = (events: readonly StoredEvent[], resumeAfter: Position) => Promise<void>;

export interface EventStore {
  readonly kind: 'postgres' | 'pglite' | 'eventstoredb';

  /**
   * Appends atomically, or not at all. Throws ConcurrencyError if the stream is not at `expected`.
   * Idempotent by eventId: an append whose ids are all stored already returns the originals.
   */
  append(stream: string, expected: ExpectedVersion, events: readonly NewEvent[], meta: AppendMetadata): Promise<AppendResult>;

  /** The whole stream in order (upcast to the newest schema); empty if there is none. */
  readStream(stream: string, fromVersion?: number): Promise<StoredEvent[]>;

  /**
   * The event of `stream` with this id, as soon as it is stored (no read horizon), or null. How a
   * retry under an Idempotency-Key finds what its first attempt wrote (see OperationIds).
   */
  findEvent(stream: string, eventId: string): Promise<StoredEvent | null>;

  /**
   * Events strictly after `after`, in global order, that no reader can ever see out of order:
   * the log only grows past the last event returned.
   */
  readAll(after: Position, options?: ReadAllOptions): Promise<StoredEvent[]>;

  /**
   * The events matching the filter, in global order, among those a reader may see now (as readAll).
   * PostgreSQL answers from indexes; EventStoreDB scans $all (fine for audits, slow on a big log).
   */
  query(filter: LogQuery): Promise<StoredEvent[]>;

  /** Catch-up then live: the handler gets every event after `after` exactly once, in order. */
  subscribe(after: Position, handler: BatchHandler, options?: SubscribeOptions): Subscription;

  /**
   * Position of the newest event a reader may see now (START if the log is empty); with a school,
   * of that school's newest event (EventStoreDB, which keeps no such index: the whole log's).
   */
  head(scope?: HeadScope): Promise<Position>;

  /**
   * Every school the log has events of, in order (their ids as text sort): how a rebuild cuts the
   * log, one school's events at a time (`query({ schoolId, after, upTo })`). Only where the log is
   * indexed by school (PostgreSQL); a store without it is rebuilt in the log's order.
   */
  schools?(): Promise<string[]>;

  /**
   * The stored entries strictly after `after`, in global order, under the same horizon as readAll:
   * what the audit ledger makes its leaves of. Only where the log keeps its canonical text (PostgreSQL).
   */
  readEntries?(after: Position, limit: number): Promise<LogEntry[]>;

  /** The stored entries of these events (any order; unknown ids left out). */
  entriesOf?(eventIds: readonly string[]): Promise<LogEntry[]>;

  /** Cheap reachability check for /health. */
  ping(): Promise<void>;

  close(): Promise<void>;
}
