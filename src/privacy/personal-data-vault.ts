import { randomBytes } from 'node:crypto';
import { AppError } from '../common/app-error';
import { SqlPool } from '../database/sql-pool';
import { NewEvent, StoredEvent } from '../event-store/envelope';
import { ERASED_TEXT, isSealed, personOf, PersonRef, SealedValue } from './domain/personal-fields';
import { DATA_KEY_BYTES, openValue, sealValue, unwrapKey, wrapKey } from './personal-data-cipher';

/** How long a person's key is trusted from memory: an erasure on another instance is seen within it. */
export const KEY_CACHE_MS = 30_000;
const KEY_CACHE_ENTRIES = 50_000;

interface CachedKey {
  /** null: erased, for good. */
  readonly key: Buffer | null;
  readonly at: number;
}

export const personErased = () =>
  new AppError(409, 'PERSON_ERASED', "This person's personal data has been erased: nothing more can be recorded about them.");

/**
 * The per-person data keys (152-ФЗ), kept outside the log in `personal_data_key`, each wrapped
 * under a key-encryption key derived from the service's master secret. Sealing makes a person's key
 * on first use; erasing overwrites it for good (a row stays, so nothing is ever sealed for that
 * person again). What a destroyed key sealed reads as the field's erased value, for ever.
 */
export class PersonalDataVault {
  private readonly cache = new Map<PersonRef, CachedKey>();
  private readonly erasedListeners: ((person: PersonRef) => void)[] = [];

  constructor(
    private readonly pool: SqlPool,
    private readonly kek: Buffer,
    private readonly now: () => number = Date.now,
    private readonly onUnreadable: (person: PersonRef, error: unknown) => void = () => undefined,
  ) {}

  /**
   * At start: a stored key must unwrap under this key-encryption key. Another master secret than the
   * one the keys were made under would turn every sealed field into "erased": better not to start.
   */
  async checkKeyEncryptionKey(): Promise<void> {
    const { rows } = await this.pool.query<{ person: PersonRef; wrapped_key: Buffer }>(
      `SELECT person, wrapped_key FROM personal_data_key WHERE wrapped_key IS NOT NULL ORDER BY created_at LIMIT 1`,
    );
    if (rows.length === 0) return;
    try {
      unwrapKey(this.kek, rows[0].person, rows[0].wrapped_key);
    } catch {
      throw new Error(
        'The personal data keys were made under another master secret (SERVICE_SECRET): with this one every name in the journal would be unreadable. Start with the secret they were made under.',
      );
    }
  }

  onErased(listener: (person: PersonRef) => void): void {
    this.erasedListeners.push(listener);
  }

  /** The events with their personal fields sealed; refuses (409) a new fact about an erased person. */
  async sealEvents(events: readonly NewEvent[]): Promise<NewEvent[]> {
    const people = events.map((event) => personOf(event.type, event.data));
    const refs = people.flatMap((person, i) => (person && hasOpenFields(events[i].data, person.fields) ? [person.ref] : []));
    if (refs.length === 0) return [...events];
    const keys = await this.keys(refs, true);
    return events.map((event, i) => {
      const person = people[i];
      if (!person || !hasOpenFields(event.data, person.fields)) return event;
      const key = keys.get(person.ref);
      if (!key) throw personErased();
      const data = { ...(event.data as Record<string, unknown>) };
      for (const field of person.fields) {
        const value = data[field.name];
        if (value !== undefined && value !== null && !isSealed(value)) data[field.name] = sealValue(key, person.ref, value);
      }
      return { ...event, data };
    });
  }

  /** The events with their sealed fields opened; an erased person's read as the field's erased value. */
  async openEvents(events: readonly StoredEvent[]): Promise<StoredEvent[]> {
    const refs: PersonRef[] = [];
    for (const event of events) {
      const person = personOf(event.type, event.data);
      if (!person) continue;
      for (const field of person.fields) {
        const value = (event.data as Record<string, unknown>)[field.name];
        if (isSealed(value)) refs.push(value.person);
      }
    }
    if (refs.length === 0) return events as StoredEvent[];
    const keys = await this.keys(refs, false);
    return events.map((event) => {
      const person = personOf(event.type, event.data);
      if (!person || !hasSealedFields(event.data, person.fields)) return event;
      const data = { ...(event.data as Record<string, unknown>) };
      for (const field of person.fields) {
        const value = data[field.name];
        if (isSealed(value)) data[field.name] = this.open(keys.get(value.person) ?? null, value, field.erased);
      }
      return { ...event, data };
    });
  }

  /** Any sealed value anywhere in `value` (a view's row keeps them sealed) opened; erased ones read as ERASED_TEXT. */
  async openDeep<T>(value: T): Promise<T> {
    const found: SealedValue[] = [];
    collectSealed(value, found);
    if (found.length === 0) return value;
    const keys = await this.keys(
      found.map((s) => s.person),
      false,
    );
    return replaceSealed(value, (sealed) => this.open(keys.get(sealed.person) ?? null, sealed, ERASED_TEXT)) as T;
  }

  /** Destroys the person's key. True if this call erased it, false if it was erased already. */
  async erase(person: PersonRef): Promise<boolean> {
    const before = await this.isErased(person);
    await this.pool.query(
      `INSERT INTO personal_data_key (person, wrapped_key, created_at, erased_at) VALUES ($1, NULL, now(), now())
       ON CONFLICT (person) DO UPDATE SET wrapped_key = NULL, erased_at = COALESCE(personal_data_key.erased_at, now())`,
      [person],
    );
    this.cache.set(person, { key: null, at: this.now() });
    for (const listener of this.erasedListeners) listener(person);
    // The overwritten row lingers in the table's pages until a vacuum: ask for one now (best effort).
    await this.pool.query(`VACUUM personal_data_key`).catch(() => undefined);
    return !before;
  }

  async isErased(person: PersonRef): Promise<boolean> {
    const { rows } = await this.pool.query<{ erased: boolean }>(`SELECT erased_at IS NOT NULL AS erased FROM personal_data_key WHERE person = $1`, [person]);
    return rows[0]?.erased ?? false;
  }

  private open(key: Buffer | null, sealed: SealedValue, erased: unknown): unknown {
    if (!key) return erased;
    try {
      return openValue(key, sealed);
    } catch (error) {
      // A changed byte in the log (the ledger's check names it) must not break every read of the stream.
      this.onUnreadable(sealed.person, error);
      return erased;
    }
  }

  /** The persons' keys (null: erased or never made), from memory when fresh; `create` makes missing ones. */
  private async keys(refs: readonly PersonRef[], create: boolean): Promise<Map<PersonRef, Buffer | null>> {
    const result = new Map<PersonRef, Buffer | null>();
    const now = this.now();
    const missing = new Set<PersonRef>();
    for (const ref of refs) {
      const cached = this.cache.get(ref);
      if (cached && (cached.key === null || now - cached.at < KEY_CACHE_MS)) result.set(ref, cached.key);
      else missing.add(ref);
    }
    if (missing.size === 0) return result;
    const load = async (wanted: PersonRef[]) => {
      const { rows } = await this.pool.query<{ person: PersonRef; wrapped_key: Buffer | null }>(
        `SELECT person, wrapped_key FROM personal_data_key WHERE person = ANY($1::text[])`,
        [wanted],
      );
      for (const row of rows) {
        const key = row.wrapped_key ? unwrapKey(this.kek, row.person, Buffer.from(row.wrapped_key)) : null;
        this.remember(row.person, key);
        result.set(row.person, key);
        missing.delete(row.person);
      }
    };
    await load([...missing]);
    if (create && missing.size > 0) {
      const made = [...missing];
      const wrapped = made.map((ref) => wrapKey(this.kek, ref, randomBytes(DATA_KEY_BYTES)));
      // Two writers making the same person's key at once: one row wins, both read it back.
      await this.pool.query(
        `INSERT INTO personal_data_key (person, wrapped_key, created_at) SELECT p, k, now() FROM unnest($1::text[], $2::bytea[]) AS t(p, k) ON CONFLICT (person) DO NOTHING`,
        [made, wrapped],
      );
      await load(made);
    }
    for (const ref of missing) result.set(ref, null);
    return result;
  }

  private remember(person: PersonRef, key: Buffer | null): void {
    if (this.cache.size >= KEY_CACHE_ENTRIES) {
      // Oldest first (a Map keeps insertion order): a tenth goes.
      let drop = Math.ceil(KEY_CACHE_ENTRIES / 10);
      for (const ref of this.cache.keys()) {
        if (drop-- <= 0) break;
        this.cache.delete(ref);
      }
    }
    this.cache.delete(person);
    this.cache.set(person, { key, at: this.now() });
  }
}

const hasOpenFields = (data: unknown, fields: readonly { name: string }[]) =>
  fields.some((f) => {
    const value = (data as Record<string, unknown>)[f.name];
    return value !== undefined && value !== null && !isSealed(value);
  });

const hasSealedFields = (data: unknown, fields: readonly { name: string }[]) => fields.some((f) => isSealed((data as Record<string, unknown>)[f.name]));

function collectSealed(value: unknown, found: SealedValue[]): void {
  if (isSealed(value)) found.push(value);
  else if (Array.isArray(value)) for (const item of value) collectSealed(item, found);
  else if (typeof value === 'object' && value !== null) for (const item of Object.values(value)) collectSealed(item, found);
}

function replaceSealed(value: unknown, open: (sealed: SealedValue) => unknown): unknown {
  if (isSealed(value)) return open(value);
  if (Array.isArray(value)) return value.map((item) => replaceSealed(item, open));
  if (typeof value === 'object' && value !== null) return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, replaceSealed(v, open)]));
  return value;
}
