import { HASH_BYTES } from './merkle';

/**
 * C2SP tlog-checkpoint: the note text `<origin>\n<size>\n<base64 root>\n`, and C2SP tlog-proof
 * receipts built on it. Pure text; signing is note.ts.
 */

export interface TreeHead {
  readonly size: number;
  readonly root: Buffer;
}

export function checkpointText(origin: string, head: TreeHead): string {
  if (head.root.length !== HASH_BYTES) throw new Error('a root hash is 32 bytes');
  return `${origin}\n${head.size}\n${head.root.toString('base64')}\n`;
}

/** The head a checkpoint's text states, if it is one of `origin`. */
export function parseCheckpointText(text: string, origin: string): TreeHead | null {
  const lines = text.split('\n');
  if (lines.length < 4 || lines[lines.length - 1] !== '' || lines[0] !== origin) return null;
  if (!/^(0|[1-9]\d*)$/.test(lines[1])) return null;
  const root = Buffer.from(lines[2], 'base64');
  if (root.length !== HASH_BYTES || root.toString('base64') !== lines[2]) return null;
  return { size: Number(lines[1]), root };
}

/**
 * A C2SP tlog-proof@v1 receipt: the leaf's index, its audit path and the signed checkpoint, with the
 * leaf hash as the (unauthenticated) extra data so a holder without the entry can still check the
 * path; with the entry, the verifier recomputes it.
 */
export function receiptText(index: number, leaf: Buffer, proof: readonly Buffer[], signedCheckpoint: string): string {
  const lines = ['c2sp.org/tlog-proof@v1', `extra ${leaf.toString('base64')}`, `index ${index}`, ...proof.map((hash) => hash.toString('base64'))];
  return `${lines.join('\n')}\n\n${signedCheckpoint}`;
}
