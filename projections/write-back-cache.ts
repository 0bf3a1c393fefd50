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
  /** The flush epoch it was last used in: eviction drops what the latest epochs did not touch first. */
  usedIn: number;
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
 * clean documents, those not used since the flush before first, to half of it.
 *
 * The hot path of a rebuild (a few lookups per document per event): one map per projection keyed
 * by the document's own key, entries updated in place, recency kept as a flush epoch rather than
 * by re-inserting into the map on every use.
 */
export class WriteBackCache {
  private readonly byProjection = new Map<string, Map<string, CachedDoc>>();
  private measured = 0;
  private eventsSinceFlush = 0;
  private dirtyCount = 0;
  private epoch = 0;
  /** A batch failed half way into it (folds change its documents in place): never to be written. */
  spoiled = false;

  constructor(
    readonly budgetBytes: number,
    readonly flushEveryEvents: number,
  ) {}

  /** The estimate the budget is held to. */
  get bytes(): number {
    return this.measured + this.eventsSinceFlush * BYTES_PER_EVENT;
  }

  get size(): number {
    let size = 0;
    for (const entries of this.byProjection.values()) size += entries.size;
    return size;
  }

  /** Something was folded since the last flush. */
  get pending(): boolean {
    return this.eventsSinceFlush > 0 || this.dirtyCount > 0;
  }

  /** Time to write: over the budget, or enough events folded. */
  get full(): boolean {
    return this.bytes > this.budgetBytes || this.eventsSinceFlush >= this.flushEveryEvents;
  }

  has(projection: string, key: string): boolean {
    return this.entriesOf(projection).has(key);
  }

  /**
   * What the caller may fold into: the document and its sources shared, marked so that the first
   * new source copies them (`addSource`). Folded with `evolve` (pure), a batch that fails half way
   * leaves the cache as it was; folded in place (`evolveInPlace`), it must `spoil` the cache.
   */
  working(projection: string, key: string): DocEntry | undefined {
    const entry = this.entriesOf(projection).get(key);
    if (!entry) return undefined;
    entry.usedIn = this.epoch;
    return { doc: entry.doc, sources: entry.sources, changedAt: null, sharedSources: true };
  }

  sourcesOf(projection: string, key: string): readonly string[] | undefined {
    const entry = this.entriesOf(projection).get(key);
    return entry && [...entry.sources];
  }

  /** A document as stored (or known absent: `doc` null), clean. */
  loaded(projection: string, key: string, doc: object | null, sources: readonly string[], bytes: number): void {
    const entries = this.entriesOf(projection);
    const before = entries.get(key);
    if (before) this.drop(entries, key, before);
    entries.set(key, { doc, sources: new Set(sources), changedAt: null, dirty: false, bytes, usedIn: this.epoch });
    this.measured += bytes + ENTRY_OVERHEAD;
  }

  /** A batch's result for one document. */
  changed(projection: string, key: string, result: DocEntry): void {
    const entries = this.entriesOf(projection);
    const entry = entries.get(key);
    if (!entry) {
      entries.set(key, { doc: result.doc, sources: result.sources, changedAt: result.changedAt, dirty: true, bytes: 0, usedIn: this.epoch });
      this.measured += ENTRY_OVERHEAD;
      this.dirtyCount++;
      return;
    }
    entry.doc = result.doc;
    entry.sources = result.sources;
    entry.changedAt = result.changedAt ?? entry.changedAt;
    entry.usedIn = this.epoch;
    if (!entry.dirty) this.dirtyCount++;
    entry.dirty = true;
  }

  folded(events: number): void {
    this.eventsSinceFlush += events;
  }

  /** The documents to write, by projection. */
  dirty(): Map<string, { key: string; entry: CachedDoc }[]> {
    const out = new Map<string, { key: string; entry: CachedDoc }[]>();
    for (const [projection, entries] of this.byProjection) {
      const list: { key: string; entry: CachedDoc }[] = [];
      for (const [key, entry] of entries) if (entry.dirty) list.push({ key, entry });
      if (list.length > 0) out.set(projection, list);
    }
    return out;
  }

  /**
   * After a flush: everything is as stored, measured by what was written (JSON lengths by
   * projection, then key); then down to half the budget if over it.
   */
  flushed(written: ReadonlyMap<string, ReadonlyMap<string, number>>): void {
    for (const [projection, entries] of this.byProjection) {
      const lengths = written.get(projection);
      for (const [key, entry] of entries) {
        if (!entry.dirty) continue;
        entry.dirty = false;
        const bytes = lengths?.get(key) ?? entry.bytes;
        this.measured += bytes - entry.bytes;
        entry.bytes = bytes;
      }
    }
    this.dirtyCount = 0;
    this.eventsSinceFlush = 0;
    const usedLast = this.epoch++;
    if (this.bytes <= this.budgetBytes) return;
    // First what the epoch now ended did not use, then anything (all clean now), in insertion order.
    for (const spareRecent of [true, false]) {
      for (const entries of this.byProjection.values()) {
        for (const [key, entry] of entries) {
          if (this.bytes <= this.budgetBytes / 2) return;
          if (spareRecent && entry.usedIn >= usedLast) continue;
          this.drop(entries, key, entry);
        }
      }
    }
  }

  /** Marks it never to be written (`spoiled`), its documents dropped. */
  spoil(): void {
    this.spoiled = true;
    for (const projection of [...this.byProjection.keys()]) this.forget(projection);
  }

  /** Drops one projection's documents (its lane was lost: another generation serves it now). */
  forget(projection: string): void {
    const entries = this.byProjection.get(projection);
    if (!entries) return;
    for (const [key, entry] of entries) this.drop(entries, key, entry);
    this.byProjection.delete(projection);
  }

  private entriesOf(projection: string): Map<string, CachedDoc> {
    let entries = this.byProjection.get(projection);
    if (!entries) this.byProjection.set(projection, (entries = new Map()));
    return entries;
  }

  private drop(entries: Map<string, CachedDoc>, key: string, entry: CachedDoc): void {
    entries.delete(key);
    this.measured -= entry.bytes + ENTRY_OVERHEAD;
    if (entry.dirty) this.dirtyCount--;
  }
}
