import type { Position } from '../src/event-store/position';
import type { DocEntry } from './projection-step';

/** One document of a rebuild as held in memory between two flushes. */
export interface CachedDoc {
  doc: object | null;
  sources: Set<string>;
  /** Position of the last event that changed it (what the row's `position` says once written). */
  changedAt: Position | null;
  /** Changed since the last flush: written (or deleted, when `doc` is null) at the next one. */
  dirty: boolean;
  /** Its JSON's length when last written or loaded (an estimate of what it holds). */
  bytes: number;
}

/** What an entry costs beyond its JSON: the key, the sources, the map's own bookkeeping. */
const ENTRY_OVERHEAD = 200;
/** What one folded event adds to a document before the next flush measures it (a mark is ~150 bytes of JSON). */
const BYTES_PER_EVENT = 256;

/**
 * A rebuild's documents, folded in memory across batches and written once per flush with the
 * rebuild's checkpoint (issue 14): a journal part folded 2,000 times during a rebuild is written
 * once or twice, not 2,000 times. Bounded by bytes (estimated from the JSON last written or loaded,
 * plus a fixed cost per event folded since): over the budget, the runner flushes and then drops
 * clean documents, least recently used first, to half of it.
 */
export class WriteBackCache {
  private readonly entries = new Map<string, CachedDoc>();
  private measured = 0;
  private eventsSinceFlush = 0;

  constructor(
    readonly budgetBytes: number,
    readonly flushEveryEvents: number,
  ) {}

  /** The estimate the budget is held to. */
  get bytes(): number {
    return this.measured + this.eventsSinceFlush * BYTES_PER_EVENT;
  }

  get size(): number {
    return this.entries.size;
  }

  /** Something was folded since the last flush. */
  get pending(): boolean {
    return this.eventsSinceFlush > 0 || [...this.entries.values()].some((e) => e.dirty);
  }

  /** Time to write: over the budget, or enough events folded. */
  get full(): boolean {
    return this.bytes > this.budgetBytes || this.eventsSinceFlush >= this.flushEveryEvents;
  }

  has(projection: string, key: string): boolean {
    return this.entries.has(cacheKey(projection, key));
  }

  /** A copy the caller may fold into (a batch that fails half way leaves the cache as it was). */
  working(projection: string, key: string): DocEntry | undefined {
    const entry = this.touch(cacheKey(projection, key));
    return entry && { doc: entry.doc, sources: new Set(entry.sources), changedAt: null };
  }

  sourcesOf(projection: string, key: string): readonly string[] | undefined {
    const entry = this.entries.get(cacheKey(projection, key));
    return entry && [...entry.sources];
  }

  /** A document as stored (or known absent: `doc` null), clean. */
  loaded(projection: string, key: string, doc: object | null, sources: readonly string[], bytes: number): void {
    this.set(cacheKey(projection, key), { doc, sources: new Set(sources), changedAt: null, dirty: false, bytes });
  }

  /** A batch's result for one document. */
  changed(projection: string, key: string, entry: DocEntry): void {
    const id = cacheKey(projection, key);
    const before = this.entries.get(id);
    this.set(id, { doc: entry.doc, sources: entry.sources, changedAt: entry.changedAt ?? before?.changedAt ?? null, dirty: true, bytes: before?.bytes ?? 0 });
  }

  folded(events: number): void {
    this.eventsSinceFlush += events;
  }

  /** The documents to write, by projection. */
  dirty(): Map<string, { key: string; entry: CachedDoc }[]> {
    const byProjection = new Map<string, { key: string; entry: CachedDoc }[]>();
    for (const [id, entry] of this.entries) {
      if (!entry.dirty) continue;
      const [projection, key] = splitKey(id);
      (byProjection.get(projection) ?? byProjection.set(projection, []).get(projection)!).push({ key, entry });
    }
    return byProjection;
  }

  /** After a flush: everything is as stored, measured by what was written; then down to half the budget if over it. */
  flushed(written: ReadonlyMap<string, number>): void {
    for (const [id, entry] of this.entries) {
      if (!entry.dirty) continue;
      entry.dirty = false;
      this.resize(entry, written.get(id) ?? entry.bytes);
    }
    this.eventsSinceFlush = 0;
    if (this.bytes <= this.budgetBytes) return;
    for (const [id, entry] of this.entries) {
      if (this.bytes <= this.budgetBytes / 2) break;
      this.entries.delete(id);
      this.measured -= entry.bytes + ENTRY_OVERHEAD;
    }
  }

  /** Drops one projection's documents (its lane was lost: another generation serves it now). */
  forget(projection: string): void {
    for (const [id, entry] of this.entries) {
      if (splitKey(id)[0] !== projection) continue;
      this.entries.delete(id);
      this.measured -= entry.bytes + ENTRY_OVERHEAD;
    }
  }

  private touch(id: string): CachedDoc | undefined {
    const entry = this.entries.get(id);
    if (entry) {
      this.entries.delete(id);
      this.entries.set(id, entry);
    }
    return entry;
  }

  private set(id: string, entry: CachedDoc): void {
    const before = this.entries.get(id);
    if (before) this.measured -= before.bytes + ENTRY_OVERHEAD;
    this.entries.delete(id);
    this.entries.set(id, entry);
    this.measured += entry.bytes + ENTRY_OVERHEAD;
  }

  private resize(entry: CachedDoc, bytes: number): void {
    this.measured += bytes - entry.bytes;
    entry.bytes = bytes;
  }
}

export const cacheKey = (projection: string, key: string) => `${projection}\u0000${key}`;
const splitKey = (id: string): [string, string] => {
  const at = id.indexOf('\u0000');
  return [id.slice(0, at), id.slice(at + 1)];
};
