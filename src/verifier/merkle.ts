/**
 * RFC 9162 §2.1 Merkle trees over SHA-256: leaf and node hashes, inclusion and consistency proof
 * verification (§2.1.3.2, §2.1.4.2) and the root of a stream of leaves. Sizes and indexes are
 * BigInt: proofs are about uint64 trees, and a Number would round an index such as 2^64 − 1.
 */
import { createHash, hash } from 'node:crypto';
import { fail } from './errors';

export const HASH_SIZE = 32;
const LEAF_PREFIX = Buffer.of(0x00);
const NODE_PREFIX = Buffer.of(0x01);
const MAX_UINT64 = 2n ** 64n - 1n;

/** The leaf hash of one entry; the 0x00 prefix keeps a leaf from passing for an interior node. */
export function hashLeaf(entry: Uint8Array): Buffer {
  // One-shot crypto.hash: a million entries spend more time creating Hash objects than hashing otherwise.
  return hash('sha256', Buffer.concat([LEAF_PREFIX, entry]), 'buffer');
}

/** The hash of an interior node from its two children. */
export function hashChildren(left: Uint8Array, right: Uint8Array): Buffer {
  return hash('sha256', Buffer.concat([NODE_PREFIX, left, right]), 'buffer');
}

/** MTH({}), the root of the empty tree: SHA-256 of no bytes. */
export function emptyRoot(): Buffer {
  return createHash('sha256').digest();
}

/** Checks that the leaf hash at `index` is in the tree of `size` leaves with this root (RFC 9162 §2.1.3.2). */
export function verifyInclusion(index: bigint, size: bigint, leafHash: Uint8Array, proof: readonly Uint8Array[], root: Uint8Array): void {
  checkSize(size, 'tree size');
  checkSize(index, 'leaf index');
  if (index >= size) fail(`inclusion proof: leaf index ${index} is not below the tree size ${size}`);
  checkHash(leafHash, 'inclusion proof: leaf hash');
  checkHash(root, 'inclusion proof: root hash');
  proof.forEach((hash, i) => checkHash(hash, `inclusion proof: proof hash ${i}`));

  let fn = index;
  let sn = size - 1n;
  let r: Uint8Array = leafHash;
  for (const p of proof) {
    if (sn === 0n) fail(`inclusion proof for leaf ${index} in a tree of size ${size} has too many hashes (${proof.length})`);
    if ((fn & 1n) === 1n || fn === sn) {
      r = hashChildren(p, r);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      r = hashChildren(r, p);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail(`inclusion proof for leaf ${index} in a tree of size ${size} has too few hashes (${proof.length})`);
  if (!equalBytes(r, root)) fail(`inclusion proof for leaf ${index} does not lead to the root of the tree of size ${size}`);
}

/**
 * Checks that the tree of `size2` leaves with `root2` extends the tree of `size1` with `root1`
 * (RFC 9162 §2.1.4.2). Every proof hash takes part in both computed roots, so a proof that is
 * only partly checked (GHSA-672p-m5jq-mrh8) cannot pass. A consistency proof from the empty tree
 * proves nothing and is refused.
 */
export function verifyConsistency(size1: bigint, size2: bigint, root1: Uint8Array, root2: Uint8Array, proof: readonly Uint8Array[]): void {
  checkSize(size1, 'consistency proof: size1');
  checkSize(size2, 'consistency proof: size2');
  if (size2 < size1) fail(`consistency proof: the second tree (size ${size2}) is smaller than the first (size ${size1})`);
  if (size1 === 0n) fail('consistency proof: the first tree is empty, and consistency with an empty tree proves nothing');
  if (size1 === size2) {
    // Nothing is hashed here: the two roots must simply be the same bytes, and the proof empty.
    if (proof.length !== 0) fail(`consistency proof between two trees of size ${size1} must be empty, it has ${proof.length} hashes`);
    if (!equalBytes(root1, root2)) fail(`consistency proof: two trees of size ${size1} have different roots`);
    return;
  }
  checkHash(root1, 'consistency proof: root1');
  checkHash(root2, 'consistency proof: root2');
  if (proof.length === 0) fail(`consistency proof from size ${size1} to ${size2} is empty`);
  proof.forEach((hash, i) => checkHash(hash, `consistency proof: proof hash ${i}`));

  const path = (size1 & (size1 - 1n)) === 0n ? [root1, ...proof] : [...proof];
  let fn = size1 - 1n;
  let sn = size2 - 1n;
  while ((fn & 1n) === 1n) {
    fn >>= 1n;
    sn >>= 1n;
  }
  let fr: Uint8Array = path[0];
  let sr: Uint8Array = path[0];
  for (const c of path.slice(1)) {
    if (sn === 0n) fail(`consistency proof from size ${size1} to ${size2} has too many hashes (${proof.length})`);
    if ((fn & 1n) === 1n || fn === sn) {
      fr = hashChildren(c, fr);
      sr = hashChildren(c, sr);
      while ((fn & 1n) === 0n && fn !== 0n) {
        fn >>= 1n;
        sn >>= 1n;
      }
    } else {
      sr = hashChildren(sr, c);
    }
    fn >>= 1n;
    sn >>= 1n;
  }
  if (sn !== 0n) fail(`consistency proof from size ${size1} to ${size2} has too few hashes (${proof.length})`);
  if (!equalBytes(fr, root1)) fail(`consistency proof from size ${size1} to ${size2} does not lead to the first root`);
  if (!equalBytes(sr, root2)) fail(`consistency proof from size ${size1} to ${size2} does not lead to the second root`);
}

/** Called with each perfect subtree as it is completed: its height, its index among the subtrees of that height, its hash. */
export type SubtreeListener = (height: number, index: number, hash: Buffer) => void;

/**
 * The RFC 6962 root of a stream of leaf hashes, kept as a stack of the perfect subtrees' roots
 * (one per set bit of the leaf count, so O(log n) memory), to verify a million-entry log without
 * holding its tree. The listener sees every completed subtree, which is how tiles are checked.
 */
export class RootAccumulator {
  private readonly hashes: Buffer[] = [];
  private readonly heights: number[] = [];
  private count = 0;

  constructor(private readonly onSubtree?: SubtreeListener) {}

  get size(): number {
    return this.count;
  }

  push(leafHash: Buffer): void {
    let hash = leafHash;
    let height = 0;
    this.count += 1;
    while (this.heights.length > 0 && this.heights[this.heights.length - 1] === height) {
      this.heights.pop();
      hash = hashChildren(this.hashes.pop() as Buffer, hash);
      height += 1;
      this.onSubtree?.(height, this.count / 2 ** height - 1, hash);
    }
    this.hashes.push(hash);
    this.heights.push(height);
  }

  /** The root of the leaves pushed so far: the subtrees folded right to left. */
  root(): Buffer {
    if (this.hashes.length === 0) return emptyRoot();
    let root = this.hashes[this.hashes.length - 1];
    for (let i = this.hashes.length - 2; i >= 0; i--) root = hashChildren(this.hashes[i], root);
    return root;
  }
}

/** Byte equality (hashes are public, so no constant-time compare is needed); a length difference is a mismatch. */
export function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && Buffer.compare(a, b) === 0;
}

function checkHash(hash: Uint8Array, what: string): void {
  if (hash.length !== HASH_SIZE) fail(`${what} is ${hash.length} bytes, not ${HASH_SIZE}`);
}

function checkSize(value: bigint, what: string): void {
  if (value < 0n || value > MAX_UINT64) fail(`${what} ${value} is outside 0..2^64-1`);
}
