import { createHash, createPrivateKey, createPublicKey, generateKeyPairSync, KeyObject, sign, verify } from 'node:crypto';

/**
 * C2SP signed-note with Ed25519 (signature type 0x01), and the key formats of Go's
 * golang.org/x/mod/sumdb/note: a signer key `PRIVATE+KEY+<name>+<id>+<base64(0x01 ‖ seed)>`, a
 * verifier key (vkey) `<name>+<id>+<base64(0x01 ‖ public key)>`, the id being the first 4 bytes of
 * SHA-256(name ‖ 0x0A ‖ 0x01 ‖ public key), big-endian, in hex.
 */

export const ED25519_TYPE = 0x01;
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export interface NoteSigner {
  readonly name: string;
  readonly keyId: Buffer;
  readonly publicKey: Buffer;
  /** The verifier key line (`<name>+<id>+<key>`), safe to publish. */
  readonly vkey: string;
  sign(text: string): Buffer;
}

export function keyIdOf(name: string, type: number, publicKey: Buffer): Buffer {
  return createHash('sha256').update(Buffer.from(name, 'utf8')).update(Buffer.from([0x0a, type])).update(publicKey).digest().subarray(0, 4);
}

/** A key name must be non-empty and hold no space and no '+'. */
export function validKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

export function signerFromSeed(name: string, seed: Buffer): NoteSigner {
  if (!validKeyName(name)) throw new Error('a key name must be non-empty, without spaces or "+"');
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  const privateKey: KeyObject = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
  const keyId = keyIdOf(name, ED25519_TYPE, publicKey);
  return {
    name,
    keyId,
    publicKey,
    vkey: `${name}+${keyId.toString('hex')}+${Buffer.concat([Buffer.from([ED25519_TYPE]), publicKey]).toString('base64')}`,
    sign: (text) => sign(null, Buffer.from(text, 'utf8'), privateKey),
  };
}

/** Reads a signer key (`PRIVATE+KEY+<name>+<id>+<base64>`); a wrong id or type is refused. */
export function parseSignerKey(text: string): NoteSigner {
  // base64 has '+' of its own: the key is everything after the fourth.
  const parts = text.trim().split('+');
  if (parts.length < 5 || parts[0] !== 'PRIVATE' || parts[1] !== 'KEY') throw new Error('a signing key reads PRIVATE+KEY+<name>+<id>+<key>');
  const [, , name, id] = parts;
  const encoded = parts.slice(4).join('+');
  const key = Buffer.from(encoded, 'base64');
  if (key.length !== 33 || key[0] !== ED25519_TYPE) throw new Error('the signing key is not an Ed25519 key (type 0x01, 32 bytes)');
  const signer = signerFromSeed(name, key.subarray(1));
  if (signer.keyId.toString('hex') !== id.toLowerCase()) throw new Error('the signing key does not match its key id');
  return signer;
}

export function formatSignerKey(name: string, seed: Buffer): string {
  const signer = signerFromSeed(name, seed);
  return `PRIVATE+KEY+${name}+${signer.keyId.toString('hex')}+${Buffer.concat([Buffer.from([ED25519_TYPE]), seed]).toString('base64')}`;
}

/** A fresh key (tests, `npm run witness` on first start, an operator making one). */
export function generateSigner(name: string): { signer: NoteSigner; signerKey: string } {
  const { privateKey } = generateKeyPairSync('ed25519');
  const seed = privateKey.export({ format: 'der', type: 'pkcs8' }).subarray(PKCS8_ED25519_PREFIX.length);
  return { signer: signerFromSeed(name, Buffer.from(seed)), signerKey: formatSignerKey(name, Buffer.from(seed)) };
}

/** One signature line: `— <name> <base64(key id ‖ signature)>`. */
export function signatureLine(name: string, keyId: Buffer, signature: Buffer): string {
  return `\u2014 ${name} ${Buffer.concat([keyId, signature]).toString('base64')}\n`;
}

/** The text signed by each signer, followed by the blank line and their signature lines. */
export function signNote(text: string, signers: readonly NoteSigner[]): string {
  if (!text.endsWith('\n')) throw new Error('a note text ends with a newline');
  return `${text}\n${signers.map((signer) => signatureLine(signer.name, signer.keyId, signer.sign(text))).join('')}`;
}

export interface ParsedNote {
  readonly text: string;
  readonly signatures: ReadonlyArray<{ name: string; keyId: Buffer; signature: Buffer; line: string }>;
}

/** Splits a signed note at its last blank line; null if it is not one. */
export function parseNote(note: string): ParsedNote | null {
  const split = note.lastIndexOf('\n\n');
  if (split < 0 || !note.endsWith('\n')) return null;
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  const signatures = [];
  for (const line of lines) {
    const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)$/u.exec(line);
    if (!match) return null;
    const bytes = Buffer.from(match[2], 'base64');
    if (bytes.length < 5) return null;
    signatures.push({ name: match[1], keyId: bytes.subarray(0, 4), signature: bytes.subarray(4), line: `${line}\n` });
  }
  return { text, signatures };
}

/** A log key as verifiers know it: its name and Ed25519 public key. */
export interface LogKey {
  readonly name: string;
  readonly publicKey: Buffer;
  readonly vkey: string;
}

/** Reads a log's verifier key (`<name>+<id>+<base64(0x01 ‖ key)>`); a wrong id or type is refused. */
export function parseLogKey(vkey: string): LogKey {
  const { name, publicKey } = parseVkey(vkey, ED25519_TYPE, 'an Ed25519 key (type 0x01, 32 bytes)');
  return { name, publicKey, vkey };
}

/** `<name>+<id>+<base64(type ‖ 32-byte key)>`, its id checked against its key. */
function parseVkey(vkey: string, type: number, what: string): { name: string; keyId: Buffer; publicKey: Buffer } {
  const first = vkey.indexOf('+');
  const second = vkey.indexOf('+', first + 1);
  if (first <= 0 || second < 0) throw new Error(`a verifier key reads <name>+<id>+<key> (got "${vkey.slice(0, 40)}")`);
  const name = vkey.slice(0, first);
  const key = Buffer.from(vkey.slice(second + 1), 'base64');
  if (key.length !== 33 || key[0] !== type) throw new Error(`the verifier key of ${name} is not ${what}`);
  const publicKey = key.subarray(1);
  const keyId = keyIdOf(name, type, publicKey);
  if (keyId.toString('hex') !== vkey.slice(first + 1, second)) throw new Error(`the verifier key of ${name} does not match its key id`);
  return { name, keyId, publicKey };
}

/** Whether `note` carries a valid signature of `signer`'s key over its text. */
export function signedBy(note: string, publicKey: Buffer, name: string): boolean {
  const parsed = parseNote(note);
  if (!parsed) return false;
  const keyId = keyIdOf(name, ED25519_TYPE, publicKey);
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, publicKey]), format: 'der', type: 'spki' });
  return parsed.signatures.some((s) => s.name === name && s.keyId.equals(keyId) && verify(null, Buffer.from(parsed.text, 'utf8'), key, s.signature));
}

export const COSIGNATURE_TYPE = 0x04;

/** A witness as the log knows it: its cosignature vkey (`<name>+<id>+<base64(0x04 ‖ key)>`), read. */
export interface WitnessKey {
  readonly name: string;
  readonly keyId: Buffer;
  readonly publicKey: Buffer;
  readonly vkey: string;
}

export function parseWitnessKey(vkey: string): WitnessKey {
  return { ...parseVkey(vkey, COSIGNATURE_TYPE, 'an Ed25519 cosignature key (type 0x04, 32 bytes)'), vkey };
}

/**
 * Whether `line` is a valid tlog-cosignature/v1 of `text` by `witness`: its key id, then a
 * big-endian u64 timestamp and an Ed25519 signature of "cosignature/v1\ntime <t>\n" + text.
 */
export function cosignedBy(text: string, line: string, witness: WitnessKey): boolean {
  const match = /^\u2014 (\S+) ([A-Za-z0-9+/=]+)\n?$/u.exec(line);
  if (!match || match[1] !== witness.name) return false;
  const bytes = Buffer.from(match[2], 'base64');
  if (bytes.length !== 4 + 8 + 64 || !bytes.subarray(0, 4).equals(witness.keyId)) return false;
  const timestamp = bytes.readBigUInt64BE(4);
  if (timestamp > 2n ** 63n - 1n) return false;
  const key = createPublicKey({ key: Buffer.concat([SPKI_ED25519_PREFIX, witness.publicKey]), format: 'der', type: 'spki' });
  return verify(null, Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`, 'utf8'), key, bytes.subarray(12));
}
