/**
 * C2SP tlog-proof@v1 receipts: a checkpoint, an entry's index and its inclusion proof, checkable
 * offline with nothing but the log's public key (and witnesses' keys), long after the service is gone.
 */
import { describeCheckpoint, trustPolicy, verifyCheckpoint, type VerifiedCheckpoint } from './checkpoint';
import { decodeBase64, decodeUtf8, parseDecimal, truncate } from './encoding';
import { fail } from './errors';
import { HASH_SIZE, equalBytes, hashLeaf, verifyInclusion } from './merkle';
import { reporter, type Report, type VerifyOptions } from './report';

export const RECEIPT_HEADER = 'c2sp.org/tlog-proof@v1';
/** A proof in a tree of at most 2^64 leaves has at most 64 hashes. */
const MAX_PROOF_HASHES = 64;

export interface Receipt {
  /** Opaque, unauthenticated extra data; in this service the entry's 32-byte leaf hash. */
  extra?: Buffer;
  index: bigint;
  proof: Buffer[];
  /** The checkpoint's signed note, verbatim. */
  checkpoint: string;
}

export interface ReceiptOptions extends VerifyOptions {
  /** The entry's bytes (its stored canonical JSON), to check the receipt is about this entry. */
  entry?: Uint8Array;
}

export interface ReceiptReport extends Report {
  receipt: Receipt;
  checkpoint: VerifiedCheckpoint;
  leafHash: Buffer;
  /** False when only the receipt's own extra leaf hash was checked, not an entry's bytes. */
  entryChecked: boolean;
}

/** Parses the tlog-proof text format, strictly: one way to write each receipt. */
export function parseReceipt(input: string | Uint8Array): Receipt {
  const text = typeof input === 'string' ? input : decodeUtf8(input, 'receipt');
  const end = text.indexOf('\n\n');
  if (end < 0) fail('receipt has no empty line between the proof and the checkpoint');
  const lines = text.slice(0, end).split('\n');
  const checkpoint = text.slice(end + 2);
  if (lines[0] !== RECEIPT_HEADER) fail(`receipt does not start with the line ${RECEIPT_HEADER} (found "${truncate(lines[0])}")`);
  let next = 1;
  let extra: Buffer | undefined;
  if (lines[next]?.startsWith('extra ')) {
    extra = decodeBase64(lines[next].slice('extra '.length), 'receipt extra data');
    next += 1;
  }
  const indexLine = lines[next] ?? '';
  if (!indexLine.startsWith('index ')) fail(`receipt line ${next + 1} should be "index <n>", found "${truncate(indexLine)}"`);
  const index = parseDecimal(indexLine.slice('index '.length), 'receipt index');
  const proofLines = lines.slice(next + 1);
  if (proofLines.length > MAX_PROOF_HASHES) fail(`receipt has ${proofLines.length} proof hashes, a proof has at most ${MAX_PROOF_HASHES}`);
  const proof = proofLines.map((line, i) => {
    const hash = decodeBase64(line, `receipt proof hash ${i + 1}`);
    if (hash.length !== HASH_SIZE) fail(`receipt proof hash ${i + 1} is ${hash.length} bytes, not ${HASH_SIZE}`);
    return hash;
  });
  return { extra, index, proof, checkpoint };
}

/**
 * Verifies a receipt: the checkpoint's signature by a trusted log key (and the witness quorum),
 * then the inclusion of the entry's leaf hash at the receipt's index. With `entry`, the leaf hash
 * is computed from the entry's bytes; without it only the receipt's extra leaf hash is available,
 * which the receipt itself asserts, and the report says the entry was not checked.
 */
export function verifyReceipt(input: string | Uint8Array, options: ReceiptOptions = {}): ReceiptReport {
  const report = reporter(options);
  const policy = trustPolicy(options.keys ?? [], options.witnesses ?? [], options.quorum);
  const receipt = parseReceipt(input);
  report.check(`receipt: ${RECEIPT_HEADER}, index ${receipt.index}, ${receipt.proof.length} proof hashes${receipt.extra ? ', extra leaf hash' : ''}`);
  const checkpoint = verifyCheckpoint(receipt.checkpoint, policy);
  for (const line of describeCheckpoint(checkpoint, policy)) report.check(line);

  if (receipt.extra && receipt.extra.length !== HASH_SIZE) fail(`receipt extra data is ${receipt.extra.length} bytes, not a ${HASH_SIZE}-byte leaf hash`);
  let leafHash: Buffer;
  if (options.entry) {
    leafHash = hashLeaf(options.entry);
    if (receipt.extra && !equalBytes(leafHash, receipt.extra)) {
      fail(`the entry's leaf hash ${leafHash.toString('base64')} is not the receipt's leaf hash ${receipt.extra.toString('base64')}: the receipt is for another entry, or the entry was changed`, receipt.index);
    }
    report.check(`entry: leaf hash SHA-256(0x00 ‖ entry) computed from the entry's ${options.entry.length} bytes${receipt.extra ? ' and equal to the receipt\'s' : ''}`);
  } else if (receipt.extra) {
    leafHash = receipt.extra;
    report.warn('no entry given: the inclusion proof was checked for the leaf hash the receipt carries, but the entry itself was not checked (pass --entry <file>)');
  } else {
    return fail('the receipt carries no leaf hash (no extra line) and no entry was given: there is nothing to check the proof against');
  }

  verifyInclusion(receipt.index, checkpoint.checkpoint.size, leafHash, receipt.proof, checkpoint.checkpoint.root);
  report.check(`inclusion: leaf ${receipt.index} is in the tree of size ${checkpoint.checkpoint.size} under the checkpoint's root (RFC 9162 §2.1.3.2)`);
  return { ...report.result(), receipt, checkpoint, leafHash, entryChecked: options.entry !== undefined };
}
