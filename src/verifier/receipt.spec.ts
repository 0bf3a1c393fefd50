import { VerificationError } from './errors';
import { parseReceipt, verifyReceipt } from './receipt';
import { inclusionProof, leafHashOf, mth } from './testing/reference-tree';
import { checkpointText, newKey, signNote, type TestKey } from './testing/signer';

const log = newKey('zhurnal.example/ledger');
const witness = newKey('witness.example', 0x04);

function entriesOf(count: number): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.from(JSON.stringify({ seq: i, type: 'MarkRecorded', value: i % 5 })));
}

interface ReceiptSpec {
  extra?: boolean;
  signers?: TestKey[];
  size?: number;
}

/** A tlog-proof@v1 receipt for `entries[index]`, built with the reference tree. */
function receiptFor(entries: Buffer[], index: number, spec: ReceiptSpec = {}): string {
  const leaves = entries.map(leafHashOf);
  const lines = ['c2sp.org/tlog-proof@v1'];
  if (spec.extra ?? true) lines.push(`extra ${leaves[index].toString('base64')}`);
  lines.push(`index ${index}`, ...inclusionProof(index, leaves).map((h) => h.toString('base64')));
  const checkpoint = signNote(checkpointText(log.name, spec.size ?? leaves.length, mth(leaves)), spec.signers ?? [log]);
  return `${lines.join('\n')}\n\n${checkpoint}`;
}

const keys = [log.vkey];

describe.each([7, 1000])('receipts in a tree of %i leaves', (size) => {
  const entries = entriesOf(size);
  const indexes = size === 7 ? [0, 1, 2, 3, 4, 5, 6] : [0, 1, 255, 256, 511, 512, 998, 999];

  it.each(indexes)('verifies the receipt of entry %i with the entry, and with only its extra leaf hash', (index) => {
    const receipt = receiptFor(entries, index);
    const withEntry = verifyReceipt(receipt, { keys, entry: entries[index] });
    expect(withEntry).toMatchObject({ entryChecked: true, warnings: [] });
    expect(withEntry.checkpoint.checkpoint.size).toBe(BigInt(size));
    expect(withEntry.checks.some((line) => line.startsWith(`inclusion: leaf ${index} `))).toBe(true);
    const extraOnly = verifyReceipt(receipt, { keys });
    expect(extraOnly.entryChecked).toBe(false);
    expect(extraOnly.warnings.join()).toMatch(/the entry itself was not checked/);
    expect(verifyReceipt(receiptFor(entries, index, { extra: false }), { keys, entry: entries[index] }).entryChecked).toBe(true);
  });

  it.each(indexes)('rejects the receipt of entry %i once any field is changed', (index) => {
    const receipt = receiptFor(entries, index);
    const lines = receipt.split('\n');
    const proofStart = 3;
    const proofLength = lines.indexOf('') - proofStart;
    const rejected = (text: string, entry?: Buffer): void => {
      expect(() => verifyReceipt(text, { keys, entry })).toThrow(VerificationError);
    };
    // the index: the neighbour's position, and the same entry claimed elsewhere
    rejected(receipt.replace(`\nindex ${index}\n`, `\nindex ${(index + 1) % size}\n`));
    rejected(receipt.replace(`\nindex ${index}\n`, `\nindex ${index + size}\n`));
    rejected(receipt.replace(`\nindex ${index}\n`, `\nindex 0${index}\n`));
    // each proof hash
    for (let i = 0; i < proofLength; i++) {
      const hash = Buffer.from(lines[proofStart + i], 'base64');
      hash[31] ^= 0x80;
      rejected(lines.map((line, j) => (j === proofStart + i ? hash.toString('base64') : line)).join('\n'));
    }
    // the extra leaf hash, with and without the entry
    const otherLeaf = leafHashOf(Buffer.from('another entry')).toString('base64');
    const swappedExtra = lines.map((line, j) => (j === 1 ? `extra ${otherLeaf}` : line)).join('\n');
    rejected(swappedExtra);
    expect(() => verifyReceipt(swappedExtra, { keys, entry: entries[index] })).toThrow(/is not the receipt's leaf hash/);
    // the entry
    rejected(receipt, Buffer.from(`${entries[index].toString()} `));
    // the checkpoint's root and size, as edited text (the signature no longer verifies) and as re-signed by the log
    const root = mth(entries.map(leafHashOf)).toString('base64');
    const otherRoot = Buffer.alloc(32, 9).toString('base64');
    rejected(receipt.replace(`\n${root}\n`, `\n${otherRoot}\n`));
    rejected(receipt.replace(`\n${size}\n${root}\n`, `\n${size + 1}\n${root}\n`));
    const resignedRoot = receipt.slice(0, receipt.indexOf('\n\n') + 2) + signNote(checkpointText(log.name, size, Buffer.alloc(32, 9)), [log]);
    expect(() => verifyReceipt(resignedRoot, { keys })).toThrow(/does not lead to the root/);
    rejected(receiptFor(entries, index, { size: size * 2 }));
    // the signature
    const sigLine = lines.findIndex((line) => line.startsWith('\u2014 '));
    const sig = Buffer.from(lines[sigLine].split(' ')[2], 'base64');
    sig[10] ^= 1;
    rejected(lines.map((line, j) => (j === sigLine ? `\u2014 ${log.name} ${sig.toString('base64')}` : line)).join('\n'));
    // any one line missing (without the entry, the extra line is the only leaf hash)
    for (let j = 0; j < lines.length - 1; j++) rejected(lines.filter((_, k) => k !== j).join('\n'));
  });
});

describe('receipt edge cases', () => {
  const entries = entriesOf(7);

  it('rejects a receipt with neither an extra leaf hash nor an entry', () => {
    expect(() => verifyReceipt(receiptFor(entries, 3, { extra: false }), { keys })).toThrow(/nothing to check the proof against/);
  });

  it('rejects a receipt without a trusted key, or with a key of another log', () => {
    expect(() => verifyReceipt(receiptFor(entries, 3), {})).toThrow(/no log key given/);
    expect(() => verifyReceipt(receiptFor(entries, 3), { keys: [newKey(log.name).vkey] })).toThrow(/no signature by a trusted key/);
  });

  it('applies the witness quorum to the receipt checkpoint', () => {
    const cosigned = receiptFor(entries, 3, { signers: [log, witness] });
    expect(verifyReceipt(cosigned, { keys, witnesses: [witness.vkey], entry: entries[3] }).checkpoint.cosigners).toHaveLength(1);
    expect(() => verifyReceipt(receiptFor(entries, 3), { keys, witnesses: [witness.vkey] })).toThrow(/quorum is 1/);
  });

  it('parses the format strictly', () => {
    const receipt = receiptFor(entries, 6);
    expect(parseReceipt(receipt)).toMatchObject({ index: 6n });
    expect(parseReceipt(Buffer.from(receipt)).proof).toHaveLength(2);
    expect(() => parseReceipt(receipt.replace('tlog-proof@v1', 'tlog-proof@v2'))).toThrow(/does not start with/);
    expect(() => parseReceipt(receipt.replace('\nindex 6\n', '\nindex  6\n'))).toThrow(/not a decimal/);
    expect(() => parseReceipt(receipt.replace('\nindex 6\n', '\nindex 6\n\n'))).not.toThrow(); // parses, but the proof is then empty
    expect(() => verifyReceipt(receipt.replace('\nindex 6\n', '\nindex 6\n\n'), { keys })).toThrow(VerificationError);
    expect(() => parseReceipt(receipt.replace(/\n\n/, '\n'))).toThrow(VerificationError);
  });
});
