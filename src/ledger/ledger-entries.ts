import { EventStore } from '../event-store/event-store.port';
import { TILE_WIDTH } from './domain/tiles';
import { LedgerStore } from './ledger-store';

/**
 * An entry bundle (C2SP tlog-tiles): the stored entries of leaves [256·index, +width), each as a
 * big-endian uint16 length and its bytes.
 */
export async function entryBundle(store: LedgerStore, events: EventStore, index: number, width: number): Promise<Buffer> {
  if (!events.entriesOf) throw new Error('This event store does not give its stored entries.');
  const ids = await store.leafEvents(index * TILE_WIDTH, index * TILE_WIDTH + width);
  // A bundle is served as immutable: a short one (leaf rows missing) must not be.
  if (ids.length !== width) throw new Error(`Leaves ${index * TILE_WIDTH}..${index * TILE_WIDTH + width - 1} are not all recorded: the ledger is broken there.`);
  const entries = new Map((await events.entriesOf(ids)).map((entry) => [entry.eventId, Buffer.from(entry.entry, 'utf8')]));
  const parts: Buffer[] = [];
  ids.forEach((id, i) => {
    const entry = entries.get(id);
    if (!entry) throw new Error(`Leaf ${index * TILE_WIDTH + i} names an event the log no longer holds: the ledger is broken there.`);
    if (entry.length > 0xffff) throw new Error(`Leaf ${index * TILE_WIDTH + i} is larger than an entry bundle carries (64 KiB).`);
    const length = Buffer.alloc(2);
    length.writeUInt16BE(entry.length);
    parts.push(length, entry);
  });
  return Buffer.concat(parts);
}
