import { HASH_BYTES, nodeHash, NodeSource } from './merkle';

/**
 * The tree kept as C2SP tlog-tiles: a tile at level L holds up to 256 consecutive hashes of tree
 * height 8·L (level 0: the leaves' hashes), so any node is found in one tile and hashed up at most
 * 7 levels inside it, and a proof reads O(log n / 8) tiles. A tile is stored as the concatenation
 * of its hashes; the rightmost tile of each level is partial and only ever grows.
 */

export const TILE_HEIGHT = 8;
export const TILE_WIDTH = 256;

export interface Tile {
  readonly level: number;
  readonly index: number;
  /** Its hashes, concatenated (32 bytes each, 1..256 of them). */
  readonly hashes: Buffer;
}

export const tileKey = (level: number, index: number): string => `${level}/${index}`;

/** The tile a node lives in, and where in it the hashes under it start and how many there are. */
export function tileOf(height: number, index: number): { level: number; tile: number; offset: number; count: number } {
  const level = Math.floor(height / TILE_HEIGHT);
  const count = 2 ** (height - level * TILE_HEIGHT);
  const first = index * count;
  return { level, tile: Math.floor(first / TILE_WIDTH), offset: first % TILE_WIDTH, count };
}

/** The tiles a set of nodes needs. */
export function tilesFor(nodes: Iterable<[height: number, index: number]>): Array<[level: number, index: number]> {
  const wanted = new Map<string, [number, number]>();
  for (const [height, index] of nodes) {
    const { level, tile } = tileOf(height, index);
    wanted.set(tileKey(level, tile), [level, tile]);
  }
  return [...wanted.values()];
}

/** The MTH of `count` (a power of two) consecutive hashes of a tile, from `offset`. */
function hashUp(hashes: Buffer, offset: number, count: number): Buffer {
  let level: Buffer[] = [];
  for (let i = 0; i < count; i++) level.push(hashes.subarray((offset + i) * HASH_BYTES, (offset + i + 1) * HASH_BYTES));
  while (level.length > 1) {
    const next: Buffer[] = [];
    for (let i = 0; i < level.length; i += 2) next.push(nodeHash(level[i], level[i + 1]));
    level = next;
  }
  return Buffer.from(level[0]);
}

/** The hash of a full tile: what the level above holds for it. */
export const tileRoot = (hashes: Buffer): Buffer => hashUp(hashes, 0, TILE_WIDTH);

/** Nodes answered from tiles already read; a node whose tile is missing or too short throws. */
export function nodesFromTiles(tiles: ReadonlyMap<string, Buffer>): NodeSource {
  return (height, index) => {
    const { level, tile, offset, count } = tileOf(height, index);
    const hashes = tiles.get(tileKey(level, tile));
    if (!hashes || hashes.length < (offset + count) * HASH_BYTES) throw new Error(`the ledger has no node ${height}/${index} (tile ${level}/${tile})`);
    return hashUp(hashes, offset, count);
  };
}

/** How wide tile `index` of `level` is in the tree of `size` leaves: 256, fewer (partial), or 0 (none yet). */
export function tileWidth(level: number, index: number, size: number): number {
  const span = TILE_WIDTH ** level;
  const below = Math.floor(size / span); // hashes of this level in the tree
  return Math.max(0, Math.min(TILE_WIDTH, below - index * TILE_WIDTH));
}

/** C2SP tlog-tiles path of a tile index: 1234067 → x001/x234/067. */
export function tileIndexPath(index: number): string {
  const groups: string[] = [];
  let rest = index;
  do {
    groups.unshift(String(rest % 1000).padStart(3, '0'));
    rest = Math.floor(rest / 1000);
  } while (rest > 0);
  return groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
}

/** The inverse of tileIndexPath; null for anything that is not exactly such a path. */
export function parseTileIndexPath(path: string): number | null {
  const groups = path.split('/');
  if (groups.length === 0 || groups.length > 6) return null;
  let index = 0;
  for (let i = 0; i < groups.length; i++) {
    const last = i === groups.length - 1;
    const match = (last ? /^(\d{3})$/ : /^x(\d{3})$/).exec(groups[i]);
    // One spelling per index: no leading x000 group (served as immutable, an alias would be a second copy).
    if (!match || (i === 0 && groups.length > 1 && match[1] === '000')) return null;
    index = index * 1000 + Number(match[1]);
  }
  return Number.isSafeInteger(index) ? index : null;
}

/**
 * The right edge of the tree, kept in memory by the one process that appends: the partial tile of
 * each level. Appending a leaf may fill tiles (each full tile's root goes one level up); `drain`
 * hands over every tile changed since the last drain, to be stored in one transaction.
 */
export class TileTree {
  private readonly edge: Buffer[][] = [];
  /** Full tiles as they were filled; null: the level's edge tile, taken as it stands at the drain. */
  private readonly changed = new Map<string, Tile | null>();

  private constructor(private leaves: number) {}

  /** The edge of a tree of `size` leaves, from its stored partial tiles (`tiles`: level → hashes). */
  static resume(size: number, partial: ReadonlyMap<number, Buffer>): TileTree {
    const tree = new TileTree(size);
    for (let level = 0; TILE_WIDTH ** level <= size; level++) {
      const width = Math.floor(size / TILE_WIDTH ** level) % TILE_WIDTH;
      const hashes = partial.get(level) ?? Buffer.alloc(0);
      if (hashes.length < width * HASH_BYTES) throw new Error(`the ledger's partial tile at level ${level} holds ${hashes.length / HASH_BYTES} hashes, the tree of ${size} needs ${width}`);
      tree.edge[level] = [];
      for (let i = 0; i < width; i++) tree.edge[level].push(Buffer.from(hashes.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES)));
    }
    return tree;
  }

  static empty(): TileTree {
    return new TileTree(0);
  }

  get size(): number {
    return this.leaves;
  }

  append(hash: Buffer): void {
    let level = 0;
    let carry = hash;
    let index = this.leaves;
    this.leaves++;
    for (;;) {
      const row = (this.edge[level] ??= []);
      row.push(carry);
      const tileIndex = Math.floor(index / TILE_WIDTH);
      if (row.length < TILE_WIDTH) {
        // Materialised at the drain: copying a growing tile on every leaf cost 8 KB a leaf.
        this.changed.set(tileKey(level, tileIndex), null);
        return;
      }
      const hashes = Buffer.concat(row);
      this.changed.set(tileKey(level, tileIndex), { level, index: tileIndex, hashes });
      this.edge[level] = [];
      carry = tileRoot(hashes);
      index = tileIndex;
      level++;
    }
  }

  /** The tiles changed since the last drain, each as it stands now. */
  drain(): Tile[] {
    const tiles: Tile[] = [];
    for (const [key, tile] of this.changed) {
      if (tile) {
        tiles.push(tile);
        continue;
      }
      const [level, index] = key.split('/').map(Number);
      tiles.push({ level, index, hashes: Buffer.concat(this.edge[level]) });
    }
    this.changed.clear();
    return tiles;
  }
}
