/**
 * C2SP signed notes (c2sp.org/signed-note), verifier keys ("vkeys"), Ed25519 note signatures and
 * Ed25519 witness cosignatures (c2sp.org/tlog-cosignature, "cosignature/v1").
 */
import { createHash, createPublicKey, verify, type KeyObject } from 'node:crypto';
import { decodeBase64, decodeUtf8, truncate } from './encoding';
import { fail } from './errors';

/** Signature type 0x01: an Ed25519 signature of the note text. */
export const ED25519 = 0x01;
/** Signature type 0x04: a timestamped Ed25519 cosignature (tlog-cosignature). */
export const COSIGNATURE_V1 = 0x04;

/** Far more than the 16 signatures the spec requires us to accept, small enough to refuse a flood. */
export const MAX_SIGNATURES = 100;
const MAX_NOTE_BYTES = 1024 * 1024;
const MAX_TIMESTAMP = 2n ** 63n - 1n;
const ED25519_SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface VerifierKey {
  name: string;
  /** uint32 key ID: the first four bytes of SHA-256(name ‖ 0x0A ‖ type ‖ public key). */
  id: number;
  type: typeof ED25519 | typeof COSIGNATURE_V1;
  publicKey: Buffer;
  /** The vkey text it was parsed from. */
  vkey: string;
}

export interface NoteSignature {
  name: string;
  id: number;
  /** The signature bytes after the four-byte key ID. */
  signature: Buffer;
}

export interface SignedNote {
  /** The signed text, including its final newline. */
  text: string;
  signatures: NoteSignature[];
}

export interface VerifiedSignature {
  key: VerifierKey;
  /** The cosignature's POSIX time, for type 0x04 signatures. */
  timestamp?: bigint;
}

/** The key ID a key name, signature type and public key must carry, so a vkey's ID can be checked. */
export function computeKeyId(name: string, type: number, publicKey: Uint8Array): number {
  return createHash('sha256').update(name, 'utf8').update(Buffer.of(0x0a, type)).update(publicKey).digest().readUInt32BE(0);
}

/**
 * Parses `<name>+<key ID, 8 hex digits>+<base64(type ‖ public key)>` and checks the key ID against
 * the key, so a typo or a swapped key is caught when the key is given rather than as "no signature".
 */
export function parseVerifierKey(vkey: string): VerifierKey {
  // The name has no "+", the key ID is hex: the first two "+" are the separators (base64 may hold more).
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  if (first < 0 || second < 0) fail(`verifier key "${truncate(vkey)}" is not <name>+<key id>+<base64 key>`);
  const [name, idHex, keyBase64] = [vkey.slice(0, first), vkey.slice(first + 1, second), vkey.slice(second + 1)];
  checkKeyName(name, `verifier key "${truncate(vkey)}"`);
  if (!/^[0-9a-f]{8}$/.test(idHex)) fail(`verifier key ${name}: key ID "${idHex}" is not 8 lowercase hex digits`);
  const key = decodeBase64(keyBase64, `verifier key ${name}: public key`);
  if (key.length === 0) fail(`verifier key ${name}: the public key is empty`);
  const type = key[0];
  if (type !== ED25519 && type !== COSIGNATURE_V1) fail(`verifier key ${name}: signature type 0x${hex2(type)} is not supported (0x01 Ed25519 or 0x04 Ed25519 cosignature)`);
  if (key.length !== 33) fail(`verifier key ${name}: an Ed25519 public key is 32 bytes, this one is ${key.length - 1}`);
  const publicKey = key.subarray(1);
  const id = computeKeyId(name, type, publicKey);
  if (id !== parseInt(idHex, 16)) fail(`verifier key ${name}: key ID ${idHex} does not match its public key (expected ${formatKeyId(id)})`);
  return { name, id, type, publicKey, vkey };
}

/** Splits a signed note into its text and signature lines, refusing anything the spec does not allow. */
export function parseSignedNote(note: string | Uint8Array): SignedNote {
  const bytes = typeof note === 'string' ? Buffer.from(note, 'utf8') : note;
  if (bytes.length > MAX_NOTE_BYTES) fail(`signed note is larger than ${MAX_NOTE_BYTES} bytes`);
  const text = typeof note === 'string' ? note : decodeUtf8(bytes, 'signed note');
  if (typeof note === 'string' && decodeUtf8(bytes, 'signed note') !== note) fail('signed note is not valid UTF-8 (unpaired surrogate)');
  const control = firstControlCharacter(text);
  if (control >= 0) {
    const line = text.slice(0, control).split('\n').length;
    const code = text.charCodeAt(control);
    fail(`signed note contains control character 0x${hex2(code)} on line ${line}${code === 0x0d ? ' (CRLF line endings?)' : ''}`);
  }
  if (!text.endsWith('\n')) fail('signed note does not end with a newline');
  const split = text.lastIndexOf('\n\n');
  if (split < 0) fail('signed note has no blank line before its signatures');
  const body = text.slice(0, split + 1);
  const lines = text.slice(split + 2, -1);
  if (lines === '') fail('signed note has no signature lines');
  const signatures = lines.split('\n').map((line, i) => parseSignatureLine(line, i + 1));
  if (signatures.length > MAX_SIGNATURES) fail(`signed note has ${signatures.length} signatures, more than the ${MAX_SIGNATURES} accepted`);
  return { text: body, signatures };
}

/**
 * Verifies every signature by a known key (name and key ID both match) and returns those.
 * Signatures by unknown keys are ignored, as the spec requires; a known key's failing signature
 * rejects the whole note, and so does a note with no verified signature by a known key.
 */
export function verifyNoteSignatures(note: SignedNote, keys: readonly VerifierKey[]): VerifiedSignature[] {
  const verified: VerifiedSignature[] = [];
  for (const signature of note.signatures) {
    const key = keys.find((k) => k.name === signature.name && k.id === signature.id);
    if (!key) continue;
    if (key.type === ED25519) {
      if (signature.signature.length !== 64) fail(`signature by ${describeKey(key)} is ${signature.signature.length} bytes, an Ed25519 signature is 64`);
      if (!ed25519Verify(key.publicKey, Buffer.from(note.text, 'utf8'), signature.signature)) fail(`signature by ${describeKey(key)} does not verify`);
      verified.push({ key });
    } else {
      if (signature.signature.length !== 72) fail(`cosignature by ${describeKey(key)} is ${signature.signature.length} bytes, a timestamped Ed25519 cosignature is 72`);
      const timestamp = signature.signature.readBigUInt64BE(0);
      if (timestamp > MAX_TIMESTAMP) fail(`cosignature by ${describeKey(key)} has a timestamp above 2^63-1`);
      if (!ed25519Verify(key.publicKey, cosignedMessage(note.text, timestamp), signature.signature.subarray(8))) fail(`cosignature by ${describeKey(key)} does not verify`);
      verified.push({ key, timestamp });
    }
  }
  if (verified.length === 0) {
    const signers = note.signatures.map((s) => `${s.name}+${formatKeyId(s.id)}`).join(', ');
    fail(`no signature by a trusted key (trusted: ${keys.map(describeKey).join(', ') || 'none'}; signed by: ${signers})`);
  }
  return verified;
}

/** The bytes an Ed25519 cosigner signs: a header, its timestamp, then the checkpoint text. */
export function cosignedMessage(text: string, timestamp: bigint): Buffer {
  return Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`, 'utf8');
}

/** `name+1a2b3c4d`, how a key is named in messages. */
export function describeKey(key: Pick<VerifierKey, 'name' | 'id'>): string {
  return `${key.name}+${formatKeyId(key.id)}`;
}

export function formatKeyId(id: number): string {
  return id.toString(16).padStart(8, '0');
}

function parseSignatureLine(line: string, number: number): NoteSignature {
  if (!line.startsWith('\u2014 ')) fail(`signature line ${number} does not start with an em dash and a space`);
  const rest = line.slice(2);
  const space = rest.indexOf(' ');
  if (space < 0) fail(`signature line ${number} has no space between key name and signature`);
  const name = rest.slice(0, space);
  checkKeyName(name, `signature line ${number}`);
  const bytes = decodeBase64(rest.slice(space + 1), `signature line ${number} (${name})`);
  if (bytes.length < 5) fail(`signature line ${number} (${name}) is too short to hold a key ID and a signature`);
  return { name, id: bytes.readUInt32BE(0), signature: bytes.subarray(4) };
}

function checkKeyName(name: string, what: string): void {
  if (name === '') fail(`${what}: the key name is empty`);
  if (/[\s+]/u.test(name)) fail(`${what}: the key name "${truncate(name)}" contains a space or a plus sign`);
}

function ed25519Verify(publicKey: Buffer, message: Buffer, signature: Buffer): boolean {
  try {
    const key: KeyObject = createPublicKey({ key: Buffer.concat([ED25519_SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' });
    return verify(null, message, key, signature);
  } catch {
    return false;
  }
}

/** Index of the first character below U+0020 other than newline, or -1. */
function firstControlCharacter(text: string): number {
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    if (code < 0x20 && code !== 0x0a) return i;
  }
  return -1;
}

function hex2(byte: number): string {
  return byte.toString(16).padStart(2, '0');
}
