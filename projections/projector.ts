import type { StoredEvent } from '../src/event-store/envelope';
import { emptyLedger, voidedBy, VoidingLedger } from '../src/security/domain/voiding';

/**
 * A view as a set of JSON documents, each a pure fold of the events that name its key
 * (Emmett's and Pongo's document projections). No I/O: the runner loads, folds and saves.
 *
 * Voiding (SPEC §4) is not the projector's business: the runner never hands it a void event, and
 * when a report or a reinstatement changes what is void it folds the documents concerned again
 * from their source streams. A projector that must show void events marked (an audit) says
 * `seesVoid` and is handed every event with the incident that voids it.
 */
export interface DocumentProjector<Doc = unknown> {
  readonly name: string;
  /** Bump it when `evolve` changes meaning: the runner then rebuilds this view from position 0. */
  readonly version: number;
  /** Event types it reads, or '*' for all. */
  readonly handles: readonly string[] | '*';
  /** Sees void events too, each with the incident that voids it (audit views). */
  readonly seesVoid?: boolean;
  /** Keys of the documents the event changes; none means the event does not concern this view. */
  keys(event: StoredEvent): readonly string[];
  /**
   * The document after the event. `key` says which document (an event may touch several);
   * `voidedBy` is the voiding incident, only ever non-null for a `seesVoid` projector.
   *
   * Never deletes: a document is gone only when none of its events counts (all void). A document
   * an event deleted would lose the streams it was folded from (its row's `sources`), and a later
   * void or reinstatement of one of its earlier events could not fold it again from them; nor could
   * a rebuild by school tell it from a new one. A view that needs "gone" keeps a mark in it.
   */
  evolve(doc: Doc | null, event: StoredEvent, key: string, voidedBy: string | null): Doc;
  /**
   * Optional, the same fold allowed to change `doc` (and anything it holds) in place, for a caller
   * that alone holds it: a rebuild's write-back cache, where copying a document per event was most
   * of the cost. Never changes the event. Must equal `evolve` (the projector's spec proves it).
   */
  evolveInPlace?(doc: Doc | null, event: StoredEvent, key: string, voidedBy: string | null): Doc;
}

/** The types each projector handles, as a set: asked per event and projector on every batch. */
const handledTypes = new WeakMap<readonly string[], ReadonlySet<string>>();

export function handlesEvent(projector: DocumentProjector, type: string): boolean {
  const { handles } = projector;
  if (handles === '*') return true;
  let types = handledTypes.get(handles);
  if (!types) handledTypes.set(handles, (types = new Set(handles)));
  return types.has(type);
}

/**
 * Folds events into documents in memory with the voids of one ledger applied: what the runner's
 * views hold once it has read these events and these voiding facts (the definition the runner is
 * tested against, and how `asOf` views are built).
 */
export function foldDocuments<Doc>(
  projector: DocumentProjector<Doc>,
  events: readonly StoredEvent[],
  start = new Map<string, Doc>(),
  ledger: VoidingLedger = emptyLedger(),
): Map<string, Doc> {
  const docs = new Map(start);
  for (const event of events) {
    if (!handlesEvent(projector as DocumentProjector, event.type)) continue;
    const incident = voidedBy(ledger, event);
    if (incident && !projector.seesVoid) continue;
    for (const key of projector.keys(event)) docs.set(key, projector.evolve(docs.get(key) ?? null, event, key, incident));
  }
  return docs;
}
