import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EventStore } from '../event-store/event-store.port';
import { HASH_BYTES } from './domain/merkle';
import { tileIndexPath, tileKey, tileWidth, TILE_WIDTH } from './domain/tiles';
import { LedgerStore, StoredCheckpoint } from './ledger-store';

export interface LedgerExportOptions {
  /** The log's verifier key, written to `vkeys` (a verifier should be given it independently too). */
  readonly vkey: string;
  readonly onProgress?: (entries: number, total: number) => void;
}

export interface LedgerExportSummary {
  readonly size: number;
  readonly checkpoints: number;
  readonly tiles: number;
  readonly bundles: number;
}

/** `tile/<L>/<N>[.p/<W>]` or `tile/entries/<N>[.p/<W>]`, C2SP tlog-tiles. */
export const tilePath = (level: number | 'entries', index: number, width: number): string =>
  `tile/${level}/${tileIndexPath(index)}${width < TILE_WIDTH ? `.p/${width}` : ''}`;

const README = (checkpoint: StoredCheckpoint, vkey: string) => `Zhurnal audit ledger export (C2SP tlog-tiles layout)

checkpoint          the latest signed checkpoint (C2SP tlog-checkpoint, signed note, Ed25519): tree size ${checkpoint.size}
checkpoints/<size>  every earlier signed checkpoint
tile/<L>/<N>        Merkle tree tiles (RFC 6962 SHA-256 hashes, 256 per full tile; .p/<W> partial)
tile/entries/<N>    the entries themselves: each a big-endian uint16 length, then the event's stored
                    RFC 8785 JSON envelope; leaf hash = SHA-256(0x00 || entry)
vkeys               the log's verifier key as the service published it:
                    ${vkey}

To check this export with no service (the verifier shares no code with the service that wrote it):

  npm run verify -- <this directory> --key '${vkey}'

Get the key from a source other than this directory (the service's GET /api/v1/ledger/key, a
printed journal, the school's notice): a key taken from the export itself proves only that the
export agrees with itself. The verifier hashes every entry, compares each tile, recomputes the
root of every checkpoint from the entries and checks every signature.
`;

/**
 * An entry bundle (C2SP tlog-tiles): the stored entries of leaves [256·index, +width), each as a
 * big-endian uint16 length and its bytes.
 */
export async function entryBundle(store: LedgerStore, events: EventStore, index: number, width: number): Promise<Buffer> {
  if (!events.entriesOf) throw new Error('This event store does not give its stored entries.');
  const ids = await store.leafEvents(index * TILE_WIDTH, index * TILE_WIDTH + width);
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

/**
 * Writes the ledger up to its latest checkpoint as files (C2SP tlog-tiles layout), with every
 * checkpoint and the key: what an inspector or a court takes away and checks with `npm run verify`.
 * Streams tile by tile: memory holds one entry bundle at a time.
 */
export async function exportLedger(store: LedgerStore, events: EventStore, dir: string, options: LedgerExportOptions): Promise<LedgerExportSummary> {
  const checkpoint = await store.latestCheckpoint();
  if (!checkpoint) throw new Error('The ledger has no signed checkpoint yet: there is nothing to export.');
  const size = checkpoint.size;
  const write = async (path: string, data: Buffer | string) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), data);
  };
  await write('checkpoint', checkpoint.note);
  const checkpoints = await store.allCheckpoints();
  for (const earlier of checkpoints) if (earlier.size <= size) await write(`checkpoints/${earlier.size}`, earlier.note);
  await write('vkeys', `${options.vkey}\n`);
  await write('README.txt', README(checkpoint, options.vkey));

  let tiles = 0;
  for (let level = 0; TILE_WIDTH ** level <= size; level++) {
    const count = Math.ceil(Math.floor(size / TILE_WIDTH ** level) / TILE_WIDTH);
    for (let first = 0; first < count; first += 256) {
      const wanted = Array.from({ length: Math.min(256, count - first) }, (_, i) => [level, first + i] as [number, number]);
      const stored = await store.tiles(wanted);
      for (const [, index] of wanted) {
        const width = tileWidth(level, index, size);
        const hashes = stored.get(tileKey(level, index));
        if (!hashes || hashes.length < width * HASH_BYTES) throw new Error(`The ledger lacks tile ${level}/${index}: it cannot be exported (run the ledger check).`);
        await write(tilePath(level, index, width), hashes.subarray(0, width * HASH_BYTES));
        tiles++;
      }
    }
  }

  const bundles = Math.ceil(size / TILE_WIDTH);
  for (let index = 0; index < bundles; index++) {
    const width = tileWidth(0, index, size);
    await write(tilePath('entries', index, width), await entryBundle(store, events, index, width));
    options.onProgress?.(index * TILE_WIDTH + width, size);
  }
  return { size, checkpoints: checkpoints.length, tiles, bundles };
}
