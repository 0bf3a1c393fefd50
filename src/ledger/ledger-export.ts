import { mkdir, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { EventStore } from '../event-store/event-store.port';
import { HASH_BYTES } from './domain/merkle';
import { tileIndexPath, tileKey, tileWidth, TILE_WIDTH } from './domain/tiles';
import { entryBundle } from './ledger-entries';
import { LedgerProofs } from './ledger-proofs';
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

const SLICE_README = (schoolId: string, checkpoint: StoredCheckpoint, vkey: string, count: number) => `Zhurnal audit ledger: the slice of school ${schoolId}

checkpoint                   the signed checkpoint every receipt here is under (tree size ${checkpoint.size}),
                             with the witnesses' co-signatures the service has
entries/<index>              the school's ${count} events as the log stores them (RFC 8785 JSON),
                             named by their leaf index in the whole ledger
receipts/<index>.tlog-proof  for each, a C2SP tlog-proof: its inclusion proof under the checkpoint
vkeys                        the log's verifier key as the service published it: ${vkey}

To check it with no service:

  npm run verify -- <this directory> --key '${vkey}' [--witness <vkey> ... --quorum N]

Every entry is hashed and proven to be in the tree the checkpoint signs: none was changed after it
was logged, and each sits at its place in the log's order. What a slice cannot prove is that it
holds every event of the school: the tree is over all schools' events, which are not in this
directory (they are other people's personal data). Completeness is checked by the one who holds
the whole export (npm run ledger:export) or by the service's own audit.
`;

export interface SliceSummary {
  readonly size: number;
  readonly entries: number;
}

/**
 * The ledger's slice of one school, for an inspector or a court: the school's entries, each with a
 * receipt under the latest served checkpoint (witnessed, if witnesses are set), the key and the
 * instructions; no other school's data. Streams page by page.
 */
export async function exportSchoolSlice(
  store: LedgerStore,
  events: EventStore,
  proofs: LedgerProofs,
  schoolId: string,
  dir: string,
  options: LedgerExportOptions,
): Promise<SliceSummary> {
  const checkpoint = await proofs.latestCheckpoint();
  if (!checkpoint) throw new Error('The ledger has no served checkpoint yet: there is nothing to export.');
  if (!events.entriesOf) throw new Error('This event store does not give its stored entries.');
  const write = async (path: string, data: Buffer | string) => {
    await mkdir(dirname(join(dir, path)), { recursive: true });
    await writeFile(join(dir, path), data);
  };
  let entries = 0;
  let after = undefined as Parameters<EventStore['query']>[0]['after'];
  for (;;) {
    const page = await events.query({ schoolId, after, limit: 1000 });
    if (page.length === 0) break;
    after = page[page.length - 1].position;
    const leaves = (await store.leavesOf(page.map((event) => event.eventId))).filter((leaf) => leaf.index < checkpoint.size);
    const stored = new Map((await events.entriesOf(leaves.map((leaf) => leaf.eventId))).map((entry) => [entry.eventId, entry.entry]));
    for (const leaf of leaves) {
      await write(`entries/${leaf.index}`, stored.get(leaf.eventId)!);
      await write(`receipts/${leaf.index}.tlog-proof`, await proofs.receiptAt(leaf.index, checkpoint));
      entries++;
    }
    options.onProgress?.(entries, entries);
  }
  await write('checkpoint', checkpoint.note);
  await write('vkeys', `${options.vkey}\n`);
  await write('README.txt', SLICE_README(schoolId, checkpoint, options.vkey, entries));
  return { size: checkpoint.size, entries };
}
