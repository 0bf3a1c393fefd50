import fc from 'fast-check';
import { createHash } from 'node:crypto';
import { mth, path, subproof } from './testing/rfc6962-reference';
import { consistencyRanges, EMPTY_ROOT, inclusionRanges, leafHash, nodeHash, nodesOf, proofHashes, rootAt } from './merkle';
import { nodesFromTiles, parseTileIndexPath, tileIndexPath, tileKey, TileTree, tileWidth, TILE_WIDTH } from './tiles';

const leavesOf = (n: number) => Array.from({ length: n }, (_, i) => leafHash(Buffer.from(`event ${i}`)));

/** Every tile a TileTree stored, as a store would keep them (a later write of a tile replaces it). */
function build(leaves: readonly Buffer[], drainEvery: number): { tree: TileTree; tiles: Map<string, Buffer> } {
  const tree = TileTree.empty();
  const tiles = new Map<string, Buffer>();
  const drain = () => tree.drain().forEach((tile) => tiles.set(tileKey(tile.level, tile.index), tile.hashes));
  leaves.forEach((leaf, i) => {
    tree.append(leaf);
    if ((i + 1) % drainEvery === 0) drain();
  });
  drain();
  return { tree, tiles };
}

describe('the Merkle tree kept as tiles', () => {
  it('the empty tree has the hash of nothing as its root', () => {
    expect(rootAt(0, () => Buffer.alloc(0)).equals(EMPTY_ROOT)).toBe(true);
    expect(EMPTY_ROOT.toString('hex')).toBe('e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855');
  });

  it('leaf and node hashes follow RFC 6962 (prefix 0x00 and 0x01)', () => {
    expect(leafHash(Buffer.alloc(0)).toString('hex')).toBe('6e340b9cffb37a989ca544e6bb780a2c78901d3fb33738768511a30617afa01d');
    const l = leafHash(Buffer.from('a'));
    const r = leafHash(Buffer.from('b'));
    expect(nodeHash(l, r).equals(createHash('sha256').update(Buffer.concat([Buffer.from([1]), l, r])).digest())).toBe(true);
  });

  it('given leaves appended one by one, when the root is read from the tiles at every size, then it is RFC 6962 MTH', () => {
    const leaves = leavesOf(600);
    const { tiles } = build(leaves, 7);
    const nodes = nodesFromTiles(tiles);
    for (let size = 1; size <= leaves.length; size++) expect(rootAt(size, nodes).equals(mth(leaves.slice(0, size)))).toBe(true);
  });

  it('inclusion and consistency proofs from tiles equal the RFC 9162 recursions, for every index and size', () => {
    const leaves = leavesOf(40);
    const { tiles } = build(leaves, 1);
    const nodes = nodesFromTiles(tiles);
    for (let size = 1; size <= leaves.length; size++) {
      const prefix = leaves.slice(0, size);
      for (let index = 0; index < size; index++) expect(proofHashes(inclusionRanges(index, size), nodes)).toEqual(path(index, prefix));
      for (let from = 1; from <= size; from++) expect(proofHashes(consistencyRanges(from, size), nodes)).toEqual(subproof(from, prefix, true));
    }
  });

  it('property: across tile boundaries (sizes up to 20,000), roots and proofs from tiles match the reference', () => {
    const all = leavesOf(20_000);
    const { tiles } = build(all, 997);
    const nodes = nodesFromTiles(tiles);
    fc.assert(
      fc.property(fc.integer({ min: 1, max: all.length }), fc.nat(), fc.nat(), (size, i, j) => {
        const prefix = all.slice(0, size);
        const index = i % size;
        const from = (j % size) + 1;
        expect(rootAt(size, nodes).equals(mth(prefix))).toBe(true);
        expect(proofHashes(inclusionRanges(index, size), nodes)).toEqual(path(index, prefix));
        expect(proofHashes(consistencyRanges(from, size), nodes)).toEqual(subproof(from, prefix, true));
      }),
      { numRuns: 25 },
    );
  });

  it('a tree resumed from its stored partial tiles goes on exactly as one never stopped', () => {
    const leaves = leavesOf(66_000);
    const whole = build(leaves, 1000);
    const first = build(leaves.slice(0, 65_790), 1000);
    const partial = new Map<number, Buffer>();
    for (let level = 0; level < 3; level++) {
      const index = Math.floor(65_790 / TILE_WIDTH ** (level + 1));
      const hashes = first.tiles.get(tileKey(level, index));
      if (hashes) partial.set(level, hashes);
    }
    const resumed = TileTree.resume(65_790, partial);
    const tiles = new Map(first.tiles);
    for (const leaf of leaves.slice(65_790)) resumed.append(leaf);
    resumed.drain().forEach((tile) => tiles.set(tileKey(tile.level, tile.index), tile.hashes));
    expect(resumed.size).toBe(66_000);
    const byKey = (map: Map<string, Buffer>) => [...map.entries()].map(([key, hashes]) => `${key}:${hashes.toString('hex')}`).sort();
    expect(byKey(tiles)).toEqual(byKey(whole.tiles));
  });

  it('a proof names only the nodes it reads, and a node whose tile is missing is an error, not a wrong hash', () => {
    const { tiles } = build(leavesOf(1000), 100);
    const ranges = inclusionRanges(3, 1000);
    expect(nodesOf(ranges).length).toBeGreaterThanOrEqual(ranges.length);
    tiles.delete(tileKey(1, 0));
    expect(() => rootAt(1000, nodesFromTiles(tiles))).toThrow(/no node/);
  });

  it('tile widths and paths follow C2SP tlog-tiles', () => {
    // A tree of 70,000: 273 full level-0 tiles, a partial of 112; level 1: one full, a partial of 17; level 2: 1.
    expect(tileWidth(0, 272, 70_000)).toBe(256);
    expect(tileWidth(0, 273, 70_000)).toBe(112);
    expect(tileWidth(1, 0, 70_000)).toBe(256);
    expect(tileWidth(1, 1, 70_000)).toBe(17);
    expect(tileWidth(2, 0, 70_000)).toBe(1);
    expect(tileWidth(0, 274, 70_000)).toBe(0);
    expect(tileIndexPath(1_234_067)).toBe('x001/x234/067');
    expect(tileIndexPath(5)).toBe('005');
    expect(parseTileIndexPath('x001/x234/067')).toBe(1_234_067);
    expect(parseTileIndexPath('1/234')).toBeNull();
    expect(parseTileIndexPath('x001/234/067')).toBeNull();
  });

  it('proofs refuse indexes and sizes outside the tree', () => {
    expect(() => inclusionRanges(5, 5)).toThrow(RangeError);
    expect(() => inclusionRanges(-1, 5)).toThrow(RangeError);
    expect(() => consistencyRanges(0, 5)).toThrow(RangeError);
    expect(() => consistencyRanges(6, 5)).toThrow(RangeError);
    expect(consistencyRanges(5, 5)).toEqual([]);
  });
});
