import type { StoredEvent } from '../src/event-store/envelope';
import { comparePositions, Position } from '../src/event-store/position';
import { isVoidingFact, voidedBy, VoidingLedger } from '../src/security/domain/voiding';
import { DocumentProjector, handlesEvent } from './projector';

/** One document as the runner holds it during a batch. */
export interface DocEntry {
  doc: object | null;
  /** Streams whose events have been folded into it: where a re-fold reads from. Only grows. */
  sources: Set<string>;
  /** Position of the last event (or voiding fact) that changed it; null: untouched this batch. */
  changedAt: Position | null;
  /** `sources` belongs to someone else (the write-back cache): copied before the first new source. */
  sharedSources?: boolean;
}

/** Notes that a document was folded from `stream` (copying shared sources first, only when it is new to them). */
export function addSource(entry: DocEntry, stream: string): void {
  if (entry.sources.has(stream)) return;
  if (entry.sharedSources) {
    entry.sources = new Set(entry.sources);
    entry.sharedSources = false;
  }
  entry.sources.add(stream);
}

/** What a batch needs from outside, read before its transaction (PGlite is one session). */
export interface StepInput {
  /** Per voiding fact of the batch (by event id): the events whose voidness it changes. */
  readonly changed: ReadonlyMap<string, readonly StoredEvent[]>;
  /** Whole streams, read for re-folds. */
  readonly streams: ReadonlyMap<string, readonly StoredEvent[]>;
  /** The ledger once a fact of the batch has joined it (every fact up to and including it, in log order). */
  readonly ledgerAfter: (fact: StoredEvent) => VoidingLedger;
}

/** A re-fold needs streams the runner did not read: it reads them and runs the batch again. */
export class StreamsNeeded extends Error {
  constructor(readonly streams: readonly string[]) {
    super(`re-fold needs streams ${streams.join(', ')}`);
  }
}

/**
 * Applies one batch to one projector's documents (pure; `docs` is changed in place and must hold an
 * entry, loaded or empty, for every key the batch or a re-fold touches).
 *
 * Plain events are folded in log order, void ones skipped. At each voiding fact the ledger moves
 * on, and every document an event of changed voidness touches is folded again from its sources,
 * up to the fact, under the new ledger: so a document always equals the fold of the events that
 * count now, whatever order reports, operations and reinstatements came in. Returns the ledger after
 * the batch.
 *
 * `inPlace`: the caller alone holds the documents and drops them all if this throws (a rebuild's
 * write-back cache): the projector's `evolveInPlace`, when it has one, changes them instead of
 * copying them.
 */
export function projectBatch(
  projector: DocumentProjector,
  docs: Map<string, DocEntry>,
  events: readonly StoredEvent[],
  ledgerAtStart: VoidingLedger,
  input: StepInput,
  inPlace = false,
): VoidingLedger {
  let ledger = ledgerAtStart;
  const evolve = (inPlace && projector.evolveInPlace) || projector.evolve;
  const index = new StreamIndex(projector, input.streams);
  for (const event of events) {
    if (isVoidingFact(event)) {
      ledger = input.ledgerAfter(event);
      const changed = (input.changed.get(event.eventId) ?? []).filter((e) => handlesEvent(projector, e.type));
      const extra = new Map<string, Set<string>>();
      for (const e of changed) for (const key of projector.keys(e)) (extra.get(key) ?? extra.set(key, new Set()).get(key)!).add(e.stream);
      for (const [key, streams] of extra) refold(projector, docs, key, event.position, ledger, streams, index);
    }
    if (!handlesEvent(projector, event.type)) continue;
    const incident = voidedBy(ledger, event);
    if (incident && !projector.seesVoid) continue;
    for (const key of projector.keys(event)) {
      const entry = entryOf(docs, key);
      entry.doc = evolve.call(projector, entry.doc, event, key, incident) as object | null;
      addSource(entry, event.stream);
      entry.changedAt = event.position;
    }
  }
  return ledger;
}

/** The keys of the documents these events touch, for one projector. */
export function keysOfBatch(projector: DocumentProjector, events: readonly StoredEvent[]): Set<string> {
  const keys = new Set<string>();
  for (const event of events) if (handlesEvent(projector, event.type)) for (const key of projector.keys(event)) keys.add(key);
  return keys;
}

function entryOf(docs: Map<string, DocEntry>, key: string): DocEntry {
  let entry = docs.get(key);
  if (!entry) docs.set(key, (entry = { doc: null, sources: new Set(), changedAt: null }));
  return entry;
}

function refold(
  projector: DocumentProjector,
  docs: Map<string, DocEntry>,
  key: string,
  upTo: Position,
  ledger: VoidingLedger,
  extraStreams: ReadonlySet<string>,
  index: StreamIndex,
): void {
  const entry = entryOf(docs, key);
  const streams = new Set([...entry.sources, ...extraStreams]);
  const missing = [...streams].filter((stream) => !index.has(stream));
  if (missing.length > 0) throw new StreamsNeeded(missing);
  const events = [...streams].flatMap((stream) => index.eventsFor(stream, key)).filter((e) => comparePositions(e.position, upTo) <= 0);
  events.sort((a, b) => comparePositions(a.position, b.position));
  let doc: object | null = null;
  for (const event of events) {
    const incident = voidedBy(ledger, event);
    if (incident && !projector.seesVoid) continue;
    doc = projector.evolve(doc, event, key, incident) as object | null;
    addSource(entry, event.stream);
  }
  entry.doc = doc;
  entry.changedAt = upTo;
}

/** The events of each read stream by the document keys they name, for one projector. */
class StreamIndex {
  private readonly byStream = new Map<string, Map<string, StoredEvent[]>>();

  constructor(
    private readonly projector: DocumentProjector,
    private readonly streams: ReadonlyMap<string, readonly StoredEvent[]>,
  ) {}

  has(stream: string): boolean {
    return this.streams.has(stream);
  }

  eventsFor(stream: string, key: string): readonly StoredEvent[] {
    let byKey = this.byStream.get(stream);
    if (!byKey) {
      byKey = new Map();
      for (const event of this.streams.get(stream) ?? []) {
        if (!handlesEvent(this.projector, event.type)) continue;
        for (const k of this.projector.keys(event)) (byKey.get(k) ?? byKey.set(k, []).get(k)!).push(event);
      }
      this.byStream.set(stream, byKey);
    }
    return byKey.get(key) ?? [];
  }
}
