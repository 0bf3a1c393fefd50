import { checkpointText, parseCheckpointText, receiptText } from './checkpoint';
import { formatSignerKey, generateSigner, parseNote, parseSignerKey, signedBy, signNote } from './note';

// The example key and note of Go's golang.org/x/mod/sumdb/note (its note_test.go): Ed25519 is
// deterministic, so the same key must give the very same signature line.
const SKEY = 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz';
const VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const TEXT = "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n";
const SIGNATURE_LINE = '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';

describe('signed notes (C2SP signed-note, Ed25519)', () => {
  it("given Go's example key, when it signs Go's example text, then the note is byte for byte Go's", () => {
    const signer = parseSignerKey(SKEY);
    expect(signer.vkey).toBe(VKEY);
    expect(signNote(TEXT, [signer])).toBe(`${TEXT}\n${SIGNATURE_LINE}`);
    expect(formatSignerKey('PeterNeumann', Buffer.from('gQoUAtUUbI2E8kQzMPVAgOv5juF9nHT2JS/F1ccoMXM=', 'base64'))).toBe(SKEY);
  });

  it('a note verifies with its key, and not once its text, its signature or the key changed', () => {
    const signer = parseSignerKey(SKEY);
    const note = signNote(TEXT, [signer]);
    expect(signedBy(note, signer.publicKey, 'PeterNeumann')).toBe(true);
    expect(signedBy(note.replace('problem,', 'problem;'), signer.publicKey, 'PeterNeumann')).toBe(false);
    expect(signedBy(note.replace('x08go', 'x08gp'), signer.publicKey, 'PeterNeumann')).toBe(false);
    expect(signedBy(note, generateSigner('PeterNeumann').signer.publicKey, 'PeterNeumann')).toBe(false);
    expect(signedBy(note, signer.publicKey, 'Peter')).toBe(false);
  });

  it('a signing key with a wrong id, type or shape is refused', () => {
    expect(() => parseSignerKey(SKEY.replace('c74f20a3', 'c74f20a4'))).toThrow(/key id/);
    expect(() => parseSignerKey('PRIVATE+KEY+x+00000000+AQ==')).toThrow(/Ed25519/);
    expect(() => parseSignerKey(VKEY)).toThrow(/PRIVATE\+KEY/);
  });

  it('several signers give one line each, and the text is split off at the last blank line', () => {
    const a = generateSigner('zhurnal.example/ledger').signer;
    const b = generateSigner('archive.example/witness').signer;
    const note = signNote('a\n\nb\n', [a, b]);
    const parsed = parseNote(note);
    expect(parsed?.text).toBe('a\n\nb\n');
    expect(parsed?.signatures.map((s) => s.name)).toEqual(['zhurnal.example/ledger', 'archive.example/witness']);
    expect(signedBy(note, b.publicKey, b.name)).toBe(true);
  });
});

describe('checkpoints (C2SP tlog-checkpoint) and receipts (C2SP tlog-proof)', () => {
  const root = Buffer.alloc(32, 7);

  it('a checkpoint is origin, size and base64 root, one a line, and reads back', () => {
    const text = checkpointText('zhurnal.example/ledger', { size: 20852163, root });
    expect(text).toBe(`zhurnal.example/ledger\n20852163\n${root.toString('base64')}\n`);
    expect(parseCheckpointText(text, 'zhurnal.example/ledger')).toEqual({ size: 20852163, root });
    expect(parseCheckpointText(text, 'other.example/log')).toBeNull();
    expect(parseCheckpointText(text.replace('20852163', '020852163'), 'zhurnal.example/ledger')).toBeNull();
  });

  it('a receipt is the tlog-proof lines, a blank line and the signed checkpoint verbatim', () => {
    const note = signNote(checkpointText('zhurnal.example/ledger', { size: 3, root }), [generateSigner('zhurnal.example/ledger').signer]);
    const leaf = Buffer.alloc(32, 1);
    const proof = [Buffer.alloc(32, 2), Buffer.alloc(32, 3)];
    expect(receiptText(2, leaf, proof, note)).toBe(
      ['c2sp.org/tlog-proof@v1', `extra ${leaf.toString('base64')}`, 'index 2', proof[0].toString('base64'), proof[1].toString('base64'), '', note].join('\n'),
    );
  });
});
