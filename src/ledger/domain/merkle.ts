import { createHash } from 'node:crypto';

/**
 * The RFC 6962 / RFC 9162 §2.1 Merkle tree over the log, with SHA-256: a leaf is
 * SHA-256(0x00 ‖ entry), an interior node SHA-256(0x01 ‖ left ‖ right), and a tree of n leaves
 * splits at the largest power of two below n. Pure: hashes come from a `NodeSource`, which the
 * ledger answers from its tiles.
 */

export const HASH_BYTES = 32;

export function leafHash(entry: Uint8Array): Buffer {
  return createHash('sha256').update(LEAF_PREFIX).update(entry).digest();
}

export function nodeHash(left: Uint8Array, right: Uint8Array): Buffer {
  return createHash('sha256').update(NODE_PREFIX).update(left).update(right).digest();
}

const LEAF_PREFIX = Buffer.from([0]);
const NODE_PREFIX = Buffer.from([1]);

/** SHA-256 of nothing: the root of the empty tree (RFC 9162 §2.1.1). */
export const EMPTY_ROOT = createHash('sha256').digest();

/**
 * The hash of a complete subtree: `height` levels above the leaves, the `index`-th of its level,
 * so it covers the leaves [index·2^height, (index+1)·2^height).
 */
export type NodeSource = (height: number, index: number) => Buffer;

/** The largest power of two smaller than n (n ≥ 2). */
export function splitPoint(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/**
 * MTH(D[start:end]) where `start` is a multiple of the largest power of two not above end − start
 * (true of every range RFC 9162's recursions name): complete subtrees from the source, the rest
 * split as the RFC splits it.
 */
export function rangeHash(start: number, end: number, node: NodeSource): Buffer {
  return splitRange(start, end, node, nodeHash);
}

/** RFC 6962's split of D[start:end] into complete subtrees, each given to `subtree`, the halves to `join`. */
function splitRange<T>(start: number, end: number, subtree: (height: number, index: number) => T, join: (left: T, right: T) => T): T {
  const width = end - start;
  if (width <= 0) throw new Error(`empty range [${start}, ${end})`);
  const height = Math.log2(width);
  if (Number.isInteger(height)) {
    if (start % width !== 0) throw new Error(`range [${start}, ${end}) is not a subtree`);
    return subtree(height, start / width);
  }
  const k = splitPoint(width);
  return join(splitRange(start, start + k, subtree, join), splitRange(start + k, end, subtree, join));
}

/** The root of the tree of the first `size` leaves. */
export function rootAt(size: number, node: NodeSource): Buffer {
  return size === 0 ? EMPTY_ROOT : rangeHash(0, size, node);
}

/** A proof as the ranges whose MTH it lists, in the RFC's order (the leaf's sibling first). */
export type ProofRanges = Array<[start: number, end: number]>;

/** RFC 9162 §2.1.3.1 PATH(m, D[n]): the audit path of leaf `index` in the tree of `size` leaves. */
export function inclusionRanges(index: number, size: number): ProofRanges {
  if (!(index >= 0 && index < size)) throw new RangeError(`leaf ${index} is not in a tree of ${size}`);
  const ranges: ProofRanges = [];
  let start = 0;
  let end = size;
  let m = index;
  // Walked from the root down; the RFC appends on the way back up, hence the reverse at the end.
  while (end - start > 1) {
    const k = splitPoint(end - start);
    if (m < k) {
      ranges.push([start + k, end]);
      end = start + k;
    } else {
      ranges.push([start, start + k]);
      start += k;
      m -= k;
    }
  }
  return ranges.reverse();
}

/** RFC 9162 §2.1.4.1 PROOF(m, D[n]): the consistency proof from the tree of `from` leaves to `to`. */
export function consistencyRanges(from: number, to: number): ProofRanges {
  if (!(from > 0 && from <= to)) throw new RangeError(`no consistency proof from ${from} to ${to}`);
  const ranges: ProofRanges = [];
  let start = 0;
  let end = to;
  let m = from;
  let complete = true;
  while (m !== end - start) {
    const k = splitPoint(end - start);
    if (m <= k) {
      ranges.push([start + k, end]);
      end = start + k;
    } else {
      ranges.push([start, start + k]);
      start += k;
      m -= k;
      complete = false;
    }
  }
  if (!complete) ranges.push([start, end]);
  return ranges.reverse();
}

/** The hashes of a proof's ranges. */
export function proofHashes(ranges: ProofRanges, node: NodeSource): Buffer[] {
  return ranges.map(([start, end]) => rangeHash(start, end, node));
}

/** Every complete subtree a set of ranges reads: what to fetch before computing them (nothing is hashed). */
export function nodesOf(ranges: ProofRanges): Array<[height: number, index: number]> {
  const nodes: Array<[number, number]> = [];
  const record = (height: number, index: number) => void nodes.push([height, index]);
  for (const [start, end] of ranges) splitRange(start, end, record, () => undefined);
  return nodes;
}

/** Whether [start, end) is one complete subtree (its hash is a node, not a combination of nodes). */
export const isSubtree = (start: number, end: number): boolean => end > start && Number.isInteger(Math.log2(end - start)) && start % (end - start) === 0;
