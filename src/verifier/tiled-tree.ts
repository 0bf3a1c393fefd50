/**
 * Walks the tiles (and, when it can read them, the entry bundles) of a tlog-tiles log of a given
 * size in leaf order: every entry must hash to its level-0 tile hash, every hash in a higher tile
 * must be the hash of the full tile below it, and the leaves give the tree's root. One pass, with
 * O(log n) memory for the root; the caller compares the root with a signed checkpoint.
 */
import { fail } from './errors';
import { HASH_SIZE, RootAccumulator, emptyRoot, equalBytes } from './merkle';
import { TILE_HEIGHT, TILE_WIDTH, checkTileLength, entriesLength, entryBundlePath, leafHashesOfBundle, tilePath, tileWidth, tilesAtLevel } from './tiles';

/** Reads the log's resources; a missing one should be reported with a VerificationError naming it. */
export interface TileReader {
  readTile(level: number, index: bigint, width: number): Promise<Uint8Array>;
  /** Absent when the entries cannot be read (then only the tiles are checked against each other). */
  readEntryBundle?(index: bigint, width: number): Promise<Uint8Array>;
}

/** Fetches a resource by its path under the log's prefix; undefined when it does not exist. */
export type ResourceGetter = (relative: string) => Promise<Uint8Array | undefined>;

/**
 * A TileReader over a getter. A log may delete a partial tile or bundle once the full one exists
 * (tlog-tiles), so a missing partial is read from the start of the full one. `where` names the
 * source in the message about a missing resource.
 */
export function tileReader(where: string, getTile: ResourceGetter, getEntryBundle?: ResourceGetter): TileReader {
  const partialOrFull = async (get: ResourceGetter, partial: string, full: string, width: number, firstLeaf: bigint): Promise<{ bytes: Uint8Array; fromFull: boolean }> => {
    const bytes = await get(partial);
    if (bytes !== undefined) return { bytes, fromFull: false };
    const fallback = width < TILE_WIDTH ? await get(full) : undefined;
    if (fallback === undefined) fail(`${where} has no ${partial} (needed for leaf ${firstLeaf} on)`, firstLeaf);
    return { bytes: fallback, fromFull: true };
  };
  const reader: TileReader = {
    async readTile(level, index, width) {
      const firstLeaf = index * BigInt(TILE_WIDTH) ** BigInt(level + 1);
      const tile = await partialOrFull(getTile, tilePath(level, index, width), tilePath(level, index, TILE_WIDTH), width, firstLeaf);
      return tile.fromFull ? tile.bytes.subarray(0, width * HASH_SIZE) : tile.bytes;
    },
  };
  if (getEntryBundle) {
    reader.readEntryBundle = async (index, width) => {
      const bundle = await partialOrFull(getEntryBundle, entryBundlePath(index, width), entryBundlePath(index, TILE_WIDTH), width, index * BigInt(TILE_WIDTH));
      return bundle.fromFull ? bundle.bytes.subarray(0, entriesLength(bundle.bytes, width)) : bundle.bytes;
    };
  }
  return reader;
}

export interface TreeWalkOptions {
  /** Tree sizes (at most the walked size) whose roots to record on the way: earlier checkpoints. */
  rootsAt?: readonly bigint[];
  /** Called after each bundle with the leaves checked so far. */
  onProgress?: (leaves: bigint, total: bigint) => void;
  /** Bundles and level-0 tiles read ahead of the one being hashed, so reading overlaps hashing. */
  readAhead?: number;
}

export interface TreeWalk {
  root: Buffer;
  /** The root of the first `size` leaves, for each size asked for in `rootsAt`. */
  rootsAt: Map<bigint, Buffer>;
  entriesChecked: boolean;
}

/**
 * Checks the tiles of a tree of `size` leaves against each other and against the entries, and
 * returns the root they hash up to. The first disagreement is reported with its leaf index.
 */
export async function walkTiledTree(reader: TileReader, size: bigint, options: TreeWalkOptions = {}): Promise<TreeWalk> {
  if (size > BigInt(Number.MAX_SAFE_INTEGER)) fail(`tree size ${size} is too large to walk leaf by leaf`);
  const rootsAt = new Map<bigint, Buffer>();
  const wanted = new Set((options.rootsAt ?? []).map((s) => Number(s)));
  for (const s of wanted) if (s > Number(size)) fail(`cannot compute the root of ${s} leaves from a tree of ${size}`);
  if (wanted.has(0)) rootsAt.set(0n, emptyRoot());

  const upper = new UpperTileChecker(reader, size);
  const accumulator = new RootAccumulator((height, index, hash) => {
    if (height % TILE_HEIGHT === 0) upper.expect(height / TILE_HEIGHT, index, hash);
  });
  const bundles = Number(tilesAtLevel(size, 0));
  const readBundle = reader.readEntryBundle?.bind(reader);
  const readAhead = Math.max(1, options.readAhead ?? 4);
  const pending: Promise<[Uint8Array, Uint8Array | undefined]>[] = [];
  const request = (n: number): void => {
    const index = BigInt(n);
    const width = tileWidth(size, 0, index);
    const read = Promise.all([reader.readTile(0, index, width), readBundle ? readBundle(index, width) : Promise.resolve(undefined)]);
    read.catch(() => undefined); // awaited in order below; this only keeps an early failure from being "unhandled"
    pending.push(read);
  };
  let nextProgress = 100_000;

  for (let n = 0; n < bundles; n++) {
    while (pending.length < readAhead && n + pending.length < bundles) request(n + pending.length);
    const [tile, bundle] = await (pending.shift() as Promise<[Uint8Array, Uint8Array | undefined]>);
    const index = BigInt(n);
    const width = tileWidth(size, 0, index);
    const firstLeaf = n * TILE_WIDTH;
    checkTileLength(tile, 0, index, width, BigInt(firstLeaf));
    const entryHashes = bundle ? leafHashesOfBundle(bundle, index, width) : undefined;
    for (let i = 0; i < width; i++) {
      const stored = tile.subarray(i * HASH_SIZE, (i + 1) * HASH_SIZE);
      let leafHash: Buffer;
      if (entryHashes) {
        leafHash = entryHashes[i];
        if (!equalBytes(leafHash, stored)) {
          fail(`entry ${firstLeaf + i} (in ${entryBundlePath(index, width)}) does not hash to its leaf hash in ${tilePath(0, index, width)}`, BigInt(firstLeaf + i));
        }
      } else {
        leafHash = Buffer.from(stored);
      }
      accumulator.push(leafHash);
      if (wanted.has(accumulator.size)) rootsAt.set(BigInt(accumulator.size), accumulator.root());
    }
    await upper.check();
    if (options.onProgress && (accumulator.size >= nextProgress || n === bundles - 1)) {
      options.onProgress(BigInt(accumulator.size), size);
      while (nextProgress <= accumulator.size) nextProgress += 100_000;
    }
  }
  return { root: accumulator.root(), rootsAt, entriesChecked: readBundle !== undefined };
}

/**
 * Compares the subtree hashes the leaves produce with the hashes stored in the tiles above level 0.
 * A completed subtree of height 8·l at index k must be hash k % 256 of tile floor(k / 256) at level l.
 */
class UpperTileChecker {
  private readonly queue: { level: number; index: number; hash: Buffer }[] = [];
  private readonly current = new Map<number, { index: number; tile: Uint8Array }>();

  constructor(
    private readonly reader: TileReader,
    private readonly size: bigint,
  ) {}

  expect(level: number, index: number, hash: Buffer): void {
    this.queue.push({ level, index, hash });
  }

  async check(): Promise<void> {
    for (const { level, index, hash } of this.queue.splice(0)) {
      const tileIndex = Math.floor(index / TILE_WIDTH);
      const position = index % TILE_WIDTH;
      const width = tileWidth(this.size, level, BigInt(tileIndex));
      const firstLeaf = BigInt(index) * BigInt(TILE_WIDTH) ** BigInt(level);
      let loaded = this.current.get(level);
      if (!loaded || loaded.index !== tileIndex) {
        const tile = await this.reader.readTile(level, BigInt(tileIndex), width);
        checkTileLength(tile, level, BigInt(tileIndex), width, BigInt(tileIndex) * BigInt(TILE_WIDTH) ** BigInt(level + 1));
        loaded = { index: tileIndex, tile };
        this.current.set(level, loaded);
      }
      const stored = loaded.tile.subarray(position * HASH_SIZE, (position + 1) * HASH_SIZE);
      if (!equalBytes(stored, hash)) {
        const span = BigInt(TILE_WIDTH) ** BigInt(level);
        fail(`hash ${position} of ${tilePath(level, BigInt(tileIndex), width)} is not the hash of leaves ${firstLeaf}..${firstLeaf + span - 1n}`, firstLeaf);
      }
    }
  }
}
