import { trustPolicy, verifyCheckpoint, parseCheckpoint } from './checkpoint';
import { VerificationError } from './errors';
import { COSIGNATURE_V1, ED25519, MAX_SIGNATURES, parseSignedNote, parseVerifierKey, verifyNoteSignatures } from './note';
import { checkpointText, newKey, signNote, signatureLine, signatureLines } from './testing/signer';

// golang.org/x/mod/sumdb/note's documented example: an external vector for the key ID and the signature format.
const PETER_VKEY = 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW';
const PETER_NOTE =
  "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n\n" +
  '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n';

// A staging CT log checkpoint with a cosignature/v1 by the remora.n621.de witness (from a public test suite):
// an external vector for the 0x04 key ID and the cosigned message. The other signatures are of unknown keys.
const ARCHE_VKEY = 'arche2025h1.staging.ct.transparency.dev+ba2f06c0+AU0vHmlGCS/PdN8b2OaGmKprLI8HKM+dJ472xgFYh15f';
const REMORA_VKEY = 'remora.n621.de+da77ade7+BOvN63jn/bLvkieywe8R6UYAtVtNbZpXh34x7onlmtw2';
const ARCHE_CHECKPOINT = `arche2025h1.staging.ct.transparency.dev
1432088532
U7WM79jrzyhGZ5/GUBTpM7NzwdyfFx61t3RovgcC4Ro=

— arche2025h1.staging.ct.transparency.dev zTM8sQAAAZ5W0WdjBAMARjBEAiBjW5IQf9pvsYLfQFX6hoGREPMHbdQ3urbllzalApkptQIgIpwtEroeW2BXaHAI4kJXFbon5Ch9MNL5zRNZ55lvGt0=
— arche2025h1.staging.ct.transparency.dev ui8GwCF1+kWqZrxGdhj4aX3gcw7XUlXQQabg/27lefwhUkzbC3NygNI75MdhL1bfTW9g8Ei59RA23oHP7Ry1k3ZFWwQ=
— transparency.dev/DEV:witness-little-garden 2AQqhwAAAABqEiEgzgFIqqhbUoDwjMWE6UP8nd8/KYTzwZ2rhIgcqoXHAwVkjZr4AscylP3v7sEodkRAErumC2q44vdgJY096st5BQ==
— witness1.smartit.nu/witness1 pIyCDwAAAABqEiEghIp82KWebrw7/oHQwlTAm3g2RKS4+eebl8eO0WH+/iEcxZ75W3u5hNI7TOQtmJbqmNWVuE0tgh0XwzdZsDsUAQ==
— remora.n621.de 2net5wAAAABqEiEgPlfF3V06o0Y+fHM+J5J9s27wgxxcOVSpZ/2g/KSiXCg9DEZI+aVCIobWX9sXTynk5XeU/zZ0WBxtqB0DrAWfBw==
— witness.stagemole.eu Z/euoAAAAABqEiEgw0i+7g2ENfDAWHmtRzCfKTHSDwYDJA2NmKeGi9Y8FtEyOUvVr+AJmIY/2TUFucgKi7lI7cUiOvKFYe/TmN9DAg==
`;

const ROOT = Buffer.alloc(32, 7);

describe('verifier keys', () => {
  it('parses a vkey and checks its key ID against the key', () => {
    const key = parseVerifierKey(PETER_VKEY);
    expect(key).toMatchObject({ name: 'PeterNeumann', id: 0xc74f20a3, type: ED25519 });
    expect(key.publicKey.length).toBe(32);
    expect(parseVerifierKey(REMORA_VKEY).type).toBe(COSIGNATURE_V1);
  });

  it.each([
    ['a wrong key ID', PETER_VKEY.replace('c74f20a3', 'c74f20a4'), /does not match its public key/],
    ['an uppercase key ID', PETER_VKEY.replace('c74f20a3', 'C74F20A3'), /lowercase hex/],
    ['a renamed key', PETER_VKEY.replace('PeterNeumann', 'PeterNeuman'), /does not match/],
    ['a truncated key', PETER_VKEY.slice(0, -4), /32 bytes|base64/],
    ['an unknown type', 'x+00000000+AhpcmQcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', /type 0x02/],
    ['a missing part', 'PeterNeumann+c74f20a3', /not <name>\+<key id>\+<base64 key>/],
    ['an empty key', 'x+00000000+', /public key is empty/],
    ['an empty name', '+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW', /key name is empty/],
  ])('rejects %s', (_what, vkey, message) => {
    expect(() => parseVerifierKey(vkey)).toThrow(message);
  });

  it('computes the same vkey as the test signer for both signature types', () => {
    for (const type of [0x01, 0x04] as const) {
      const key = newKey('example.com/log', type);
      expect(parseVerifierKey(key.vkey)).toMatchObject({ name: 'example.com/log', id: key.id.readUInt32BE(0), type });
    }
  });
});

describe('signed notes', () => {
  it('verifies the sumdb/note example note, and not once a byte of it changes', () => {
    const key = parseVerifierKey(PETER_VKEY);
    const note = parseSignedNote(PETER_NOTE);
    expect(note.text).toBe("If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n");
    expect(verifyNoteSignatures(note, [key]).map((v) => v.key.name)).toEqual(['PeterNeumann']);
    expect(() => verifyNoteSignatures(parseSignedNote(PETER_NOTE.replace('cryptography', 'cryptographY')), [key])).toThrow(/does not verify/);
  });

  it('separates the text from the signatures at the last empty line', () => {
    const key = newKey('example.com/log');
    const text = 'first\n\nsecond, after an empty line\n';
    const note = parseSignedNote(signNote(text, [key]));
    expect(note.text).toBe(text);
    expect(() => verifyNoteSignatures(note, [parseVerifierKey(key.vkey)])).not.toThrow();
  });

  it.each([
    ['no final newline', (n: string) => n.slice(0, -1), /does not end with a newline/],
    ['no blank line', (n: string) => n.replace('\n\n', '\n'), /no blank line/],
    ['a carriage return', (n: string) => n.replace(/\n/g, '\r\n'), /control character 0x0d.*CRLF/],
    ['a tab', (n: string) => `\t${n}`, /control character 0x09/],
    ['a hyphen instead of an em dash', (n: string) => n.replace('\u2014', '-'), /em dash/],
    ['a signature that is not base64', (n: string) => n.replace(/ (\S+)\n$/, ' $1!\n'), /base64/],
    ['no signature lines', (n: string) => n.slice(0, n.indexOf('\u2014')), /no signature lines|no blank line/],
    ['a name with a non-breaking space', (n: string) => n.replace('\u2014 example.com/log', '\u2014 example.com\u00a0log'), /space or a plus/],
  ])('rejects a note with %s', (_what, mutate, message) => {
    const key = newKey('example.com/log');
    expect(() => parseSignedNote(mutate(signNote('hello\n', [key])))).toThrow(message);
  });

  it('rejects bytes that are not UTF-8', () => {
    const key = newKey('example.com/log');
    const bytes = Buffer.from(signNote('caf\u00e9\n', [key]), 'utf8');
    const bad = Buffer.from(bytes);
    bad[3] = 0xff;
    expect(() => parseSignedNote(bytes)).not.toThrow();
    expect(() => parseSignedNote(bad)).toThrow(/not valid UTF-8/);
  });

  it(`accepts 16 signatures and refuses more than ${MAX_SIGNATURES}`, () => {
    const signer = newKey('example.com/log');
    const others = Array.from({ length: 15 }, (_, i) => newKey(`other${i}.example`));
    const sixteen = signNote('hello\n', [...others, signer]);
    expect(verifyNoteSignatures(parseSignedNote(sixteen), [parseVerifierKey(signer.vkey)])).toHaveLength(1);
    const flood = sixteen + signatureLine('x.example', Buffer.alloc(4), Buffer.alloc(64)).repeat(MAX_SIGNATURES);
    expect(() => parseSignedNote(flood)).toThrow(/more than the/);
  });

  it('ignores unknown keys, including one sharing only the name or only the key ID of a known key', () => {
    const known = newKey('example.com/log');
    const impostor = newKey('example.com/log'); // same name, another key (and key ID)
    const sameId = { ...newKey('other.example'), id: known.id }; // same ID, another name
    const note = parseSignedNote(signNote('hello\n', [impostor, sameId, known]));
    expect(verifyNoteSignatures(note, [parseVerifierKey(known.vkey)])).toHaveLength(1);
  });

  it('rejects a note signed only by unknown keys', () => {
    const known = newKey('example.com/log');
    const note = parseSignedNote(signNote('hello\n', [newKey('stranger.example')]));
    expect(() => verifyNoteSignatures(note, [parseVerifierKey(known.vkey)])).toThrow(/no signature by a trusted key/);
  });

  it('rejects a note whose known key signature fails, even beside a good one', () => {
    const log = newKey('example.com/log');
    const witness = newKey('witness.example', 0x04);
    const good = signNote('hello\n', [log]);
    const badWitness = signatureLine(witness.name, witness.id, Buffer.alloc(72, 1));
    const note = parseSignedNote(good + badWitness);
    expect(() => verifyNoteSignatures(note, [parseVerifierKey(log.vkey), parseVerifierKey(witness.vkey)])).toThrow(/cosignature by witness.example\+[0-9a-f]{8} does not verify/);
  });
});

describe('checkpoints', () => {
  const log = newKey('zhurnal.example/ledger');
  const w1 = newKey('w1.example', 0x04);
  const w2 = newKey('w2.example', 0x04);
  const w3 = newKey('w3.example', 0x04);
  const text = checkpointText(log.name, 42, ROOT);

  it('parses origin, size, root and extension lines', () => {
    expect(parseCheckpoint(checkpointText('o.example', 0, ROOT, ['ext 1']))).toEqual({ origin: 'o.example', size: 0n, root: ROOT, extensions: ['ext 1'] });
    expect(() => parseCheckpoint('o\n042\n' + ROOT.toString('base64') + '\n')).toThrow(/leading zeros/);
    expect(() => parseCheckpoint('o\n42\n' + ROOT.subarray(1).toString('base64') + '\n')).toThrow(/31 bytes/);
    expect(() => parseCheckpoint('o\n42\n')).toThrow(/2 line/);
    expect(() => parseCheckpoint(checkpointText('o', 1, ROOT) + '\n')).toThrow(/extension line 1 is empty/);
    expect(() => parseCheckpoint(checkpointText('o', '18446744073709551616' as unknown as bigint, ROOT))).toThrow(/too large/);
  });

  it('verifies a checkpoint signed by the log key', () => {
    const verified = verifyCheckpoint(signNote(text, [log]), trustPolicy([log.vkey]));
    expect(verified.checkpoint).toMatchObject({ origin: log.name, size: 42n });
    expect(verified.logKey.name).toBe(log.name);
  });

  it('rejects a checkpoint signed by an unknown key only', () => {
    const stranger = newKey(log.name);
    expect(() => verifyCheckpoint(signNote(text, [stranger]), trustPolicy([log.vkey]))).toThrow(/no signature by a trusted key/);
  });

  it('rejects a checkpoint whose log signature is bad', () => {
    const signed = signNote(text, [log]);
    const forged = signed.replace('\n42\n', '\n43\n');
    expect(() => verifyCheckpoint(forged, trustPolicy([log.vkey]))).toThrow(/signature by zhurnal.example\/ledger\+[0-9a-f]{8} does not verify/);
    const zeroed = text + '\n' + signatureLine(log.name, log.id, Buffer.alloc(64));
    expect(() => verifyCheckpoint(zeroed, trustPolicy([log.vkey]))).toThrow(/does not verify/);
  });

  it('rejects a checkpoint whose origin is not the log key name', () => {
    const other = checkpointText('someone-else.example/log', 42, ROOT);
    expect(() => verifyCheckpoint(signNote(other, [log]), trustPolicy([log.vkey]))).toThrow(/origin "someone-else.example\/log" is not the name of the log key/);
  });

  it('rejects a checkpoint signed only by a witness', () => {
    expect(() => verifyCheckpoint(signNote(text, [w1]), trustPolicy([log.vkey], [w1.vkey], 1))).toThrow(/not signed by the log key/);
  });

  it('meets a witness quorum with enough distinct valid cosignatures, and not otherwise', () => {
    const policy = trustPolicy([log.vkey], [w1.vkey, w2.vkey, w3.vkey], 2);
    expect(verifyCheckpoint(signNote(text, [log, w1, w3]), policy).cosigners.map((c) => c.key.name)).toEqual(['w1.example', 'w3.example']);
    expect(() => verifyCheckpoint(signNote(text, [log, w2]), policy)).toThrow(/from 1 trusted witness\(es\), the quorum is 2 \(missing: w1.example\+[0-9a-f]{8}, w3.example/);
    // the same witness twice is one witness
    expect(() => verifyCheckpoint(signNote(text, [log, w2, w2]), policy)).toThrow(/the quorum is 2/);
    // a witness not in the policy does not count
    expect(() => verifyCheckpoint(signNote(text, [log, w1, newKey('w4.example', 0x04)]), policy)).toThrow(/the quorum is 2/);
    // a cosignature over another checkpoint does not count: it fails, and a known key's failure rejects the note
    const otherText = checkpointText(log.name, 41, ROOT);
    const stolen = signatureLines(otherText, [w3]);
    expect(() => verifyCheckpoint(signNote(text, [log, w1]) + stolen, policy)).toThrow(/cosignature by w3.example\+[0-9a-f]{8} does not verify/);
  });

  it('defaults the quorum to every witness given, and refuses an impossible one', () => {
    expect(trustPolicy([log.vkey], [w1.vkey, w2.vkey]).quorum).toBe(2);
    expect(() => trustPolicy([log.vkey], [w1.vkey], 2)).toThrow(/quorum 2 is more than the 1/);
    expect(() => trustPolicy([w1.vkey])).toThrow(/not an Ed25519 note key/);
    expect(() => trustPolicy([log.vkey], [log.vkey])).toThrow(/not an Ed25519 cosignature key/);
    expect(() => trustPolicy([])).toThrow(/no log key/);
  });

  it('verifies a real cosigned checkpoint (interop with the Go implementations)', () => {
    const verified = verifyCheckpoint(ARCHE_CHECKPOINT, trustPolicy([ARCHE_VKEY], [REMORA_VKEY], 1));
    expect(verified.checkpoint.size).toBe(1432088532n);
    expect(verified.cosigners.map((c) => c.key.name)).toEqual(['remora.n621.de']);
    expect(verified.cosigners[0].timestamp).toBeGreaterThan(1_700_000_000n);
    expect(() => verifyCheckpoint(ARCHE_CHECKPOINT.replace('1432088532', '1432088533'), trustPolicy([ARCHE_VKEY], [REMORA_VKEY], 1))).toThrow(VerificationError);
    expect(() => verifyCheckpoint(ARCHE_CHECKPOINT.replace('2net5wAAAABqEiEg', '2net5wAAAABqEiEh'), trustPolicy([ARCHE_VKEY], [REMORA_VKEY], 1))).toThrow(/cosignature by remora.n621.de\+da77ade7 does not verify/);
  });
});
