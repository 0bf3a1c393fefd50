import type { StoredEvent } from '../../src/event-store/envelope';
import { DocumentProjector } from '../projector';

/** What the log holds per stream: operators' and auditors' index of the journal's streams. */
export interface StreamCatalogEntry {
  stream: string;
  schoolId: string | null;
  version: number;
  events: number;
  firstRecordedAt: string;
  lastRecordedAt: string;
  lastType: string;
  types: Record<string, number>;
}

export const streamCatalog: DocumentProjector<StreamCatalogEntry> = {
  name: 'stream-catalog',
  version: 1,
  handles: '*',
  // The catalog describes the log, not the world it tells of: void events are in their streams too.
  seesVoid: true,
  keys: (event: StoredEvent) => [event.stream],
  evolve(entry, event) {
    const types = { ...(entry?.types ?? {}) };
    types[event.type] = (types[event.type] ?? 0) + 1;
    return {
      stream: event.stream,
      schoolId: entry?.schoolId ?? event.schoolId,
      version: Math.max(entry?.version ?? 0, event.streamVersion),
      events: (entry?.events ?? 0) + 1,
      firstRecordedAt: entry?.firstRecordedAt ?? event.recordedAt,
      lastRecordedAt: event.recordedAt,
      lastType: event.type,
      types,
    };
  },
};
