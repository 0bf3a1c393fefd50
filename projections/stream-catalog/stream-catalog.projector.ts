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
  evolve: (entry, event) => applyEvent(entry && { ...entry, types: { ...entry.types } }, event),
  // A rebuild's own documents (every event of the log changes one): counted in place.
  evolveInPlace: (entry, event) => applyEvent(entry, event),
};

/** The event counted into `entry` (changed in place; a new entry when there is none). */
function applyEvent(entry: StreamCatalogEntry | null, event: StoredEvent): StreamCatalogEntry {
  if (!entry) {
    return {
      stream: event.stream,
      schoolId: event.schoolId,
      version: event.streamVersion,
      events: 1,
      firstRecordedAt: event.recordedAt,
      lastRecordedAt: event.recordedAt,
      lastType: event.type,
      types: { [event.type]: 1 },
    };
  }
  entry.types[event.type] = (entry.types[event.type] ?? 0) + 1;
  entry.stream = event.stream;
  entry.schoolId ??= event.schoolId;
  entry.version = Math.max(entry.version, event.streamVersion);
  entry.events += 1;
  entry.lastRecordedAt = event.recordedAt;
  entry.lastType = event.type;
  return entry;
}
