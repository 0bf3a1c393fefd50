import { existsSync, readFileSync, readdirSync } from 'node:fs';
import * as path from 'node:path';
import { VerificationError } from './errors';
import { RootAccumulator, hashLeaf, verifyConsistency, verifyInclusion } from './merkle';
import { consistencyProof, inclusionProof, leafHashOf, mth } from './testing/reference-tree';

// The transparency-dev/merkle test data, shared beside the clone (CI checks out ../shared next to it).
// A copy of ../shared/ledger-probes kept in the repository, so a clone anywhere runs this spec.
const PROBES = path.resolve(__dirname, '../../test/data/ledger-probes');
const INTEGER_FIELDS = /"(leafIdx|treeSize|size1|size2)"\s*:\s*(-?\d+)/g;

interface Probe {
  file: string;
  json: Record<string, unknown>;
}

function listProbes(kind: 'inclusion' | 'consistency'): Probe[] {
  const dir = path.join(PROBES, kind);
  if (!existsSync(dir)) return [];
  const walk = (d: string): string[] => readdirSync(d, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? walk(path.join(d, e.name)) : [path.join(d, e.name)]));
  return walk(dir)
    .filter((file) => file.endsWith('.json'))
    .sort()
    .map((file) => {
      // Integers become strings before JSON.parse, so 2^64 − 1 reaches BigInt exactly.
      const text = readFileSync(file, 'utf8').replace(INTEGER_FIELDS, '"$1": "$2"');
      return { file: path.relative(PROBES, file), json: JSON.parse(text) as Record<string, unknown> };
    });
}

const b64 = (value: unknown): Buffer => Buffer.from(value as string, 'base64');
const hashes = (value: unknown): Buffer[] => ((value as string[] | null) ?? []).map(b64);

function outcome(check: () => void): string {
  try {
    check();
    return 'verified';
  } catch (error) {
    if (error instanceof VerificationError) return 'rejected';
    throw error;
  }
}

describe('RFC 6962 probes (transparency-dev/merkle test data)', () => {
  const inclusion = listProbes('inclusion');
  const consistency = listProbes('consistency');

  it('finds the probe folders', () => {
    if (inclusion.length === 0 || consistency.length === 0) {
      throw new Error(`no probe files under ${PROBES}/{inclusion,consistency}: they are kept in test/data/ledger-probes`);
    }
    expect(inclusion.length).toBeGreaterThanOrEqual(90);
    expect(consistency.length).toBeGreaterThanOrEqual(90);
    expect([...inclusion, ...consistency].filter((p) => p.json.wantErr === false).length).toBeGreaterThanOrEqual(12);
  });

  // it.each refuses an empty table: when the folders are missing, the test above fails and says why.
  if (inclusion.length > 0) {
    it.each(inclusion.map((p) => [p.file, p] as const))('inclusion %s', (_file, { json }) => {
      const result = outcome(() => verifyInclusion(BigInt(json.leafIdx as string), BigInt(json.treeSize as string), b64(json.leafHash), hashes(json.proof), b64(json.root)));
      expect(result).toBe(json.wantErr ? 'rejected' : 'verified');
    });
  }

  if (consistency.length > 0) {
    it.each(consistency.map((p) => [p.file, p] as const))('consistency %s', (_file, { json }) => {
      const result = outcome(() => verifyConsistency(BigInt(json.size1 as string), BigInt(json.size2 as string), b64(json.root1), b64(json.root2), hashes(json.proof)));
      expect(result).toBe(json.wantErr ? 'rejected' : 'verified');
    });
  }

  it('reads the index 2^64 − 1 exactly', () => {
    const probe = inclusion.find((p) => p.json.leafIdx === '18446744073709551615');
    expect(probe).toBeDefined();
    expect(BigInt(probe?.json.leafIdx as string)).toBe(2n ** 64n - 1n);
  });
});

describe('inclusion and consistency against a reference tree', () => {
  const entries = Array.from({ length: 70 }, (_, i) => Buffer.from(`entry ${i}`));
  const leaves = entries.map(leafHashOf);

  it('verifies every inclusion proof in trees of 1..70 leaves, and rejects each altered one', () => {
    let checked = 0;
    for (let n = 1; n <= 70; n++) {
      const tree = leaves.slice(0, n);
      const root = mth(tree);
      for (let m = 0; m < n; m++) {
        const proof = inclusionProof(m, tree);
        expect(() => verifyInclusion(BigInt(m), BigInt(n), tree[m], proof, root)).not.toThrow();
        checked += 1;
        if (m % 7 !== 0) continue; // the mutations below, on a sample
        if (n > 1) expect(() => verifyInclusion(BigInt(m), BigInt(n), tree[(m + 1) % n], proof, root)).toThrow(VerificationError);
        if (n > 1) expect(() => verifyInclusion(BigInt((m + 1) % n), BigInt(n), tree[m], proof, root)).toThrow(VerificationError);
        // A size is authenticated by the signed checkpoint, not by the proof: n + 1 can share n's proof shape, 2n cannot.
        expect(() => verifyInclusion(BigInt(m), BigInt(2 * n), tree[m], proof, root)).toThrow(VerificationError);
        expect(() => verifyInclusion(BigInt(m), BigInt(n), tree[m], [...proof, root], root)).toThrow(VerificationError);
        if (proof.length > 0) expect(() => verifyInclusion(BigInt(m), BigInt(n), tree[m], proof.slice(1), root)).toThrow(VerificationError);
        proof.forEach((_, i) => {
          const flipped = proof.map((h, j) => (j === i ? flip(h, 3) : h));
          expect(() => verifyInclusion(BigInt(m), BigInt(n), tree[m], flipped, root)).toThrow(VerificationError);
        });
      }
    }
    expect(checked).toBe((70 * 71) / 2);
  });

  it('verifies every consistency proof between sizes 1 ≤ m < n ≤ 40, and rejects each altered one', () => {
    for (let n = 2; n <= 40; n++) {
      const root2 = mth(leaves, 0, n);
      for (let m = 1; m < n; m++) {
        const root1 = mth(leaves, 0, m);
        const proof = consistencyProof(m, leaves.slice(0, n));
        expect(() => verifyConsistency(BigInt(m), BigInt(n), root1, root2, proof)).not.toThrow();
        expect(() => verifyConsistency(BigInt(m), BigInt(n), root2, root1, proof)).toThrow(VerificationError);
        expect(() => verifyConsistency(BigInt(m), BigInt(2 * n), root1, root2, proof)).toThrow(VerificationError);
        expect(() => verifyConsistency(BigInt(m), BigInt(n), mth(leaves, 0, m + 1), root2, proof)).toThrow(VerificationError);
        expect(() => verifyConsistency(BigInt(m), BigInt(n), root1, root2, [...proof, root1])).toThrow(VerificationError);
        expect(() => verifyConsistency(BigInt(m), BigInt(n), root1, root2, proof.slice(0, -1))).toThrow(VerificationError);
        proof.forEach((_, i) => {
          const flipped = proof.map((h, j) => (j === i ? flip(h, 0) : h));
          expect(() => verifyConsistency(BigInt(m), BigInt(n), root1, root2, flipped)).toThrow(VerificationError);
        });
      }
    }
  });

  it('refuses hashes that are not 32 bytes, sizes outside uint64, and trees of size 0', () => {
    const root = mth(leaves, 0, 1);
    expect(() => verifyInclusion(0n, 1n, leaves[0].subarray(0, 31), [], root)).toThrow(/31 bytes/);
    expect(() => verifyInclusion(0n, 2n ** 64n, leaves[0], [], root)).toThrow(/outside/);
    expect(() => verifyInclusion(0n, 0n, leaves[0], [], root)).toThrow(/not below the tree size 0/);
    expect(() => verifyConsistency(0n, 0n, root, root, [])).toThrow(/empty/);
    expect(() => verifyConsistency(1n, 2n, root, mth(leaves, 0, 2), [Buffer.concat([leaves[1], Buffer.of(0)])])).toThrow(/33 bytes/);
  });
});

describe('RootAccumulator', () => {
  it('gives the RFC 6962 root at every size from 0 to 600', () => {
    const leaves = Array.from({ length: 600 }, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`)));
    const accumulator = new RootAccumulator();
    expect(accumulator.root()).toEqual(mth([]));
    leaves.forEach((leaf, i) => {
      accumulator.push(leaf);
      expect(accumulator.root()).toEqual(mth(leaves, 0, i + 1));
    });
  });

  it('reports every completed perfect subtree with its height, index and hash', () => {
    const leaves = Array.from({ length: 300 }, (_, i) => hashLeaf(Buffer.from(`leaf ${i}`)));
    const seen: string[] = [];
    const accumulator = new RootAccumulator((height, index, hash) => {
      expect(hash).toEqual(mth(leaves, index * 2 ** height, (index + 1) * 2 ** height));
      seen.push(`${height}/${index}`);
    });
    leaves.forEach((leaf) => accumulator.push(leaf));
    expect(seen.filter((s) => s.startsWith('8/'))).toEqual(['8/0']);
    expect(seen.filter((s) => s.startsWith('1/')).length).toBe(150);
    expect(seen.length).toBe(300 - 4); // n − popcount(300): 300 = 256 + 32 + 8 + 4
  });
});

function flip(hash: Buffer, bit: number): Buffer {
  const copy = Buffer.from(hash);
  copy[0] ^= 1 << bit;
  return copy;
}
