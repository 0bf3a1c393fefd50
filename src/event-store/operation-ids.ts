import { v5 as uuidv5, v7 as uuidv7 } from 'uuid';

/** Namespace of the name-based ids below (RFC 9562 §5.5); fixed for good, or retries would stop matching. */
const NAMESPACE = '5f1d9c2a-7b3e-4c8d-9a61-2e4b8f0c7d13';

/**
 * The ids one write makes: the entities it creates and the events it appends. Controllers and
 * handlers take them from here, never from `uuidv7()`.
 *
 * Without an Idempotency-Key every id is a fresh UUIDv7. With one, each id is a UUIDv5 of the
 * account, the request (the interceptor's keyed digest of method, path and body) and the key, plus
 * the id's ordinal: a retry of the same request makes the very same ids. The event store is
 * idempotent by event id on every adapter (EventStoreDB has no transaction with the views
 * database, so the key's row cannot be written atomically with the events), so a retry's append
 * becomes a replay, and `EventSourcedRepository.stored` finds an operation the first attempt
 * stored before anything is decided again.
 */
export class OperationIds {
  private entities = 0;

  private constructor(private readonly seed: string | null) {}

  /** A write without an Idempotency-Key: nothing to repeat, every id new. */
  static fresh(): OperationIds {
    return new OperationIds(null);
  }

  /** `requestHash` is fixed-length hex and `accountId` a UUID, so the key, last, cannot blur them. */
  static keyed(accountId: string, requestHash: string, key: string): OperationIds {
    return new OperationIds(`${accountId}\n${requestHash}\n${key}`);
  }

  /** Whether a retry of this write makes the same ids (so its first attempt may be stored already). */
  get repeatable(): boolean {
    return this.seed !== null;
  }

  /** The next id of an entity this write creates: the first call gives ordinal 0, then 1, … */
  newId(): string {
    const ordinal = this.entities++;
    return this.seed === null ? uuidv7() : uuidv5(`entity\n${ordinal}\n${this.seed}`, NAMESPACE);
  }

  /** The id of the `index`-th event this write appends to `stream` (stream names hold no newline). */
  eventId(stream: string, index: number): string {
    return this.seed === null ? uuidv7() : uuidv5(`event\n${index}\n${stream}\n${this.seed}`, NAMESPACE);
  }
}
