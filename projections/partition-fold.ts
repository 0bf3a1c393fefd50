import type { StoredEvent } from '../src/event-store/envelope';
import { comparePositions, Position } from '../src/event-store/position';
import { voidedBy, VoidingLedger } from '../src/security/domain/voiding';
import { DocumentProjector, handlesEvent } from './projector';

/** One document of a part of the log, as folded in memory. */
export interface FoldedDoc {
  doc: object;
  /** Streams whose events were folded into it: where it is folded again from when what is void changes. */
  sources: Set<string>;
  /** Position of the last event folded into it (the row's `position`). */
  changedAt: Position;
  /** Events folded into it here: what the memory estimate counts. */
  events: number;
}

/** What a document costs beyond its events: the key, the entry, the map's own bookkeeping, an empty document. */
const DOC_OVERHEAD = 512;
/** What one folded event adds to a document (a mark is ~150 bytes of JSON, more as objects). */
const BYTES_PER_EVENT = 256;

/**
 * The documents of one part of the log (one school's events) folded in memory under one ledger:
 * the ledger of every voiding fact up to the position the rebuild reads to. Pure: the runner reads
 * and writes.
 *
 * Why this is the rebuild: a document is the fold, in log order, of the events that name its key
 * with the void ones skipped (`foldDocuments`, the definition the runner is tested against), and
 * a rebuild to a position ends with the ledger of every fact up to it. So when every event naming
 * a key is in one part, folding that part alone in log order gives the document. A key that
 * events of two parts name is found by the runner (it is already written) and folded again from
 * its source streams (`refoldDocument`).
 *
 * The documents are this fold's alone (it made them, or they were read back for it): folded in
 * place where the projector can (`evolveInPlace`). If a fold throws, the part is dropped whole.
 */
export class PartitionFold {
  /** Per projection, its documents by key. */
  readonly docs = new Map<string, Map<string, FoldedDoc>>();
  private readonly byType = new Map<string, readonly DocumentProjector[]>();
  private foldedEvents = 0;
  private documents = 0;

  constructor(
    private readonly projectors: readonly DocumentProjector[],
    private readonly ledger: VoidingLedger,
  ) {
    for (const projector of projectors) this.docs.set(projector.name, new Map());
  }

  /** Estimated bytes held. */
  get weight(): number {
    return this.documents * DOC_OVERHEAD + this.foldedEvents * BYTES_PER_EVENT;
  }

  get size(): number {
    return this.documents;
  }

  /** The projectors that fold events of this type (asked once per type). */
  private projectorsOf(type: string): readonly DocumentProjector[] {
    let list = this.byType.get(type);
    if (!list) this.byType.set(type, (list = this.projectors.filter((p) => handlesEvent(p, type))));
    return list;
  }

  /** The keys these events name, per projection (void events included: cheap, and only used to read documents back). */
  keysOf(events: readonly StoredEvent[]): Map<string, Set<string>> {
    const keys = new Map<string, Set<string>>();
    for (const event of events) {
      for (const projector of this.projectorsOf(event.type)) {
        let set = keys.get(projector.name);
        if (!set) keys.set(projector.name, (set = new Set()));
        for (const key of projector.keys(event)) set.add(key);
      }
    }
    return keys;
  }

  /** Folds events, in log order. */
  apply(events: readonly StoredEvent[]): void {
    for (const event of events) {
      const projectors = this.projectorsOf(event.type);
      if (projectors.length === 0) continue;
      const incident = voidedBy(this.ledger, event);
      for (const projector of projectors) {
        if (incident && !projector.seesVoid) continue;
        const docs = this.docs.get(projector.name)!;
        const evolve = projector.evolveInPlace ?? projector.evolve;
        for (const key of projector.keys(event)) {
          let entry = docs.get(key);
          const doc = evolve.call(projector, entry?.doc ?? null, event, key, incident) as object;
          if (!entry) {
            docs.set(key, (entry = { doc, sources: new Set(), changedAt: event.position, events: 0 }));
            this.documents++;
          } else entry.doc = doc;
          entry.sources.add(event.stream);
          entry.changedAt = event.position;
          entry.events++;
          this.foldedEvents++;
        }
      }
    }
  }

  /** A document read back (written earlier by this rebuild, then dropped to stay within memory). */
  put(projection: string, key: string, entry: FoldedDoc): void {
    const docs = this.docs.get(projection)!;
    if (!docs.has(key)) this.documents++;
    docs.set(key, entry);
  }

  /** Drops a document from memory (written, or to be folded again from its sources). */
  drop(projection: string, key: string): void {
    const docs = this.docs.get(projection)!;
    const entry = docs.get(key);
    if (!entry) return;
    docs.delete(key);
    this.documents--;
    this.foldedEvents -= entry.events;
  }
}

/**
 * One document folded from scratch from `events` (every event of its source streams up to the
 * rebuild's position, in any order) under `ledger`: what a key named by events of two schools
 * becomes. Null when none of them counts (all void).
 */
export function refoldDocument(projector: DocumentProjector, key: string, events: readonly StoredEvent[], ledger: VoidingLedger): FoldedDoc | null {
  const ordered = events.filter((e) => handlesEvent(projector, e.type)).sort((a, b) => comparePositions(a.position, b.position));
  let entry: FoldedDoc | null = null;
  for (const event of ordered) {
    // As often as the event names the key, as `foldDocuments` does.
    for (const named of projector.keys(event)) {
      if (named !== key) continue;
      const incident = voidedBy(ledger, event);
      if (incident && !projector.seesVoid) continue;
      const doc = projector.evolve(entry?.doc ?? null, event, key, incident) as object;
      entry ??= { doc, sources: new Set(), changedAt: event.position, events: 0 };
      entry.doc = doc;
      entry.sources.add(event.stream);
      entry.changedAt = event.position;
      entry.events++;
    }
  }
  return entry;
}
