import type { StoredEvent } from '../src/event-store/envelope';

/**
 * A view as a set of JSON documents, each a pure fold of the events that name its key
 * (Emmett's and Pongo's document projections). No I/O: the runner loads, folds and saves.
 */
export interface DocumentProjector<Doc = unknown> {
  readonly name: string;
  /** Bump it when `evolve` changes meaning: the runner then rebuilds this view from position 0. */
  readonly version: number;
  /** Event types it reads, or '*' for all. */
  readonly handles: readonly string[] | '*';
  /** Keys of the documents the event changes; none means the event does not concern this view. */
  keys(event: StoredEvent): readonly string[];
  /** The document after the event; null removes it. `key` says which document (an event may touch several). */
  evolve(doc: Doc | null, event: StoredEvent, key: string): Doc | null;
}

export const handlesEvent = (projector: DocumentProjector, type: string): boolean =>
  projector.handles === '*' || projector.handles.includes(type);

/** Folds events into documents in memory: what the runner does, without a database. */
export function foldDocuments<Doc>(projector: DocumentProjector<Doc>, events: readonly StoredEvent[], start = new Map<string, Doc>()): Map<string, Doc> {
  const docs = new Map(start);
  for (const event of events) {
    if (!handlesEvent(projector as DocumentProjector, event.type)) continue;
    for (const key of projector.keys(event)) {
      const next = projector.evolve(docs.get(key) ?? null, event, key);
      if (next === null) docs.delete(key);
      else docs.set(key, next);
    }
  }
  return docs;
}
