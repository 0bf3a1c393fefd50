/**
 * A deliberately naive RFC 6962 §2.1 Merkle tree for tests: MTH, PATH and PROOF written straight
 * from the RFC's recursive definitions over arrays, sharing no code with the verifier it checks.
 */
import { createHash } from 'node:crypto';

export function sha256(...parts: Uint8Array[]): Buffer {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return hash.digest();
}

export function leafHashOf(entry: Uint8Array): Buffer {
  return sha256(Buffer.of(0), entry);
}

/** Largest power of two strictly below n (n > 1). */
function split(n: number): number {
  let k = 1;
  while (k * 2 < n) k *= 2;
  return k;
}

/** MTH(D[start:end]) over leaf hashes. */
export function mth(leaves: readonly Buffer[], start = 0, end = leaves.length): Buffer {
  const n = end - start;
  if (n === 0) return sha256();
  if (n === 1) return leaves[start];
  const k = split(n);
  return sha256(Buffer.of(1), mth(leaves, start, start + k), mth(leaves, start + k, end));
}

/** PATH(m, D[start:end]): the inclusion proof of leaf m (relative to start). */
export function inclusionProof(m: number, leaves: readonly Buffer[], start = 0, end = leaves.length): Buffer[] {
  const n = end - start;
  if (n <= 1) return [];
  const k = split(n);
  return m < k
    ? [...inclusionProof(m, leaves, start, start + k), mth(leaves, start + k, end)]
    : [...inclusionProof(m - k, leaves, start + k, end), mth(leaves, start, start + k)];
}

/** PROOF(m, D[0:n]): the consistency proof from the first m leaves to all n. */
export function consistencyProof(m: number, leaves: readonly Buffer[]): Buffer[] {
  return subproof(m, leaves, 0, leaves.length, true);
}

function subproof(m: number, leaves: readonly Buffer[], start: number, end: number, complete: boolean): Buffer[] {
  const n = end - start;
  if (m === n) return complete ? [] : [mth(leaves, start, end)];
  const k = split(n);
  return m <= k
    ? [...subproof(m, leaves, start, start + k, complete), mth(leaves, start + k, end)]
    : [...subproof(m - k, leaves, start + k, end, false), mth(leaves, start, start + k)];
}
