/**
 * The C2SP tlog-tiles layout: which tiles and entry bundles a tree of a given size has, where
 * they live, and how an entry bundle splits into entries.
 */
import { hash } from 'node:crypto';
import { fail } from './errors';
import { HASH_SIZE } from './merkle';

/** Hashes in a full tile, and entries in a full bundle. */
export const TILE_WIDTH = 256;
/** Tree levels a tile spans: the hashes at tile level l are subtrees of height 8·l. */
export const TILE_HEIGHT = 8;

/** Tile index N as path elements: zero-padded to 3 digits, all but the last prefixed with "x" (1234067 → x001/x234/067). */
export function tileIndexPath(index: bigint): string {
  if (index < 0n) fail(`tile index ${index} is negative`);
  const groups: string[] = [];
  let n = index;
  do {
    groups.unshift((n % 1000n).toString().padStart(3, '0'));
    n /= 1000n;
  } while (n > 0n);
  return groups.map((group, i) => (i < groups.length - 1 ? `x${group}` : group)).join('/');
}

/** `tile/<L>/<N>[.p/<W>]`: the path of a Merkle tile of `width` hashes (256 for a full tile). */
export function tilePath(level: number, index: bigint, width: number): string {
  return `tile/${level}/${tileIndexPath(index)}${partialSuffix(width)}`;
}

/** `tile/entries/<N>[.p/<W>]`: the path of an entry bundle of `width` entries. */
export function entryBundlePath(index: bigint, width: number): string {
  return `tile/entries/${tileIndexPath(index)}${partialSuffix(width)}`;
}

/** How many hashes a tree of `size` leaves has at tile level `level`: one per full subtree of 256^level leaves. */
export function hashesAtLevel(size: bigint, level: number): bigint {
  return size / BigInt(TILE_WIDTH) ** BigInt(level);
}

/** How many tiles (full and partial) a tree of `size` leaves has at `level`. */
export function tilesAtLevel(size: bigint, level: number): bigint {
  const hashes = hashesAtLevel(size, level);
  return (hashes + BigInt(TILE_WIDTH) - 1n) / BigInt(TILE_WIDTH);
}

/** The width of tile `index` at `level` in a tree of `size` leaves: 256, or floor(size / 256^level) mod 256 for the last, partial one. */
export function tileWidth(size: bigint, level: number, index: bigint): number {
  const hashes = hashesAtLevel(size, level);
  const start = index * BigInt(TILE_WIDTH);
  if (start >= hashes) fail(`a tree of size ${size} has no tile ${index} at level ${level}`);
  const remaining = hashes - start;
  return remaining >= BigInt(TILE_WIDTH) ? TILE_WIDTH : Number(remaining);
}

/** Checks a tile's length is exactly `width` hashes. */
export function checkTileLength(tile: Uint8Array, level: number, index: bigint, width: number, firstLeaf: bigint): void {
  if (tile.length !== width * HASH_SIZE) fail(`${tilePath(level, index, width)} is ${tile.length} bytes, it should be ${width * HASH_SIZE} (${width} hashes)`, firstLeaf);
}

/**
 * Splits an entry bundle (big-endian uint16 length, then the entry) into exactly `width` entries,
 * naming the first entry that is cut short or missing, and refusing trailing bytes.
 */
export function parseEntryBundle(bundle: Uint8Array, index: bigint, width: number): Buffer[] {
  const bytes = Buffer.from(bundle.buffer, bundle.byteOffset, bundle.byteLength);
  const firstLeaf = index * BigInt(TILE_WIDTH);
  const path = entryBundlePath(index, width);
  const entries: Buffer[] = [];
  let offset = 0;
  for (let i = 0; i < width; i++) {
    if (offset + 2 > bytes.length) fail(`${path} ends before entry ${firstLeaf + BigInt(i)} (it holds ${i} of ${width} entries)`, firstLeaf + BigInt(i));
    const length = bytes.readUInt16BE(offset);
    if (offset + 2 + length > bytes.length) fail(`${path} ends inside entry ${firstLeaf + BigInt(i)} (${length} bytes announced, ${bytes.length - offset - 2} present)`, firstLeaf + BigInt(i));
    entries.push(bytes.subarray(offset + 2, offset + 2 + length));
    offset += 2 + length;
  }
  if (offset !== bytes.length) fail(`${path} has ${bytes.length - offset} unexpected bytes after its ${width} entries`, firstLeaf + BigInt(width));
  return entries;
}

/**
 * The RFC 6962 leaf hashes of a bundle's entries, SHA-256(0x00 ‖ entry). The byte before each entry
 * is the low byte of its length, already read: overwriting it with the 0x00 prefix lets each entry
 * be hashed where it lies, without a copy (this spares a million-entry export a second of copying
 * and garbage collection). The bundle is modified.
 */
export function leafHashesOfBundle(bundle: Uint8Array, index: bigint, width: number): Buffer[] {
  return parseEntryBundle(bundle, index, width).map((entry) => {
    const prefixed = Buffer.from(entry.buffer, entry.byteOffset - 1, entry.length + 1);
    prefixed[0] = 0x00;
    return hash('sha256', prefixed, 'buffer');
  });
}

/** The bytes the first `count` entries of a bundle take (all of it if it holds fewer), to read a partial bundle out of a full one. */
export function entriesLength(bundle: Uint8Array, count: number): number {
  let offset = 0;
  for (let i = 0; i < count && offset + 2 <= bundle.length; i++) offset += 2 + ((bundle[offset] << 8) | bundle[offset + 1]);
  return Math.min(offset, bundle.length);
}

function partialSuffix(width: number): string {
  if (!Number.isInteger(width) || width < 1 || width > TILE_WIDTH) fail(`tile width ${width} is outside 1..256`);
  return width === TILE_WIDTH ? '' : `.p/${width}`;
}
