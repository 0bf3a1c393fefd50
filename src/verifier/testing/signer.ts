/**
 * Test-only signing of C2SP signed notes, checkpoints and Ed25519 cosignatures with throwaway keys,
 * written from the specs independently of the verifier's parsing code.
 */
import { generateKeyPairSync, sign, type KeyObject } from 'node:crypto';
import { sha256 } from './reference-tree';

export interface TestKey {
  name: string;
  type: 0x01 | 0x04;
  privateKey: KeyObject;
  publicKey: Buffer;
  id: Buffer;
  vkey: string;
}

export function newKey(name: string, type: 0x01 | 0x04 = 0x01): TestKey {
  const { privateKey, publicKey } = generateKeyPairSync('ed25519');
  const raw = publicKey.export({ format: 'der', type: 'spki' }).subarray(-32);
  const id = sha256(Buffer.from(name, 'utf8'), Buffer.of(0x0a, type), raw).subarray(0, 4);
  const vkey = `${name}+${id.toString('hex')}+${Buffer.concat([Buffer.of(type), raw]).toString('base64')}`;
  return { name, type, privateKey, publicKey: raw, id, vkey };
}

export function checkpointText(origin: string, size: number | bigint, root: Buffer, extensions: string[] = []): string {
  return [origin, String(size), root.toString('base64'), ...extensions].map((line) => `${line}\n`).join('');
}

/** A signature line: em dash, space, name, space, base64(key ID ‖ signature bytes). */
export function signatureLine(name: string, id: Buffer, signature: Buffer): string {
  return `\u2014 ${name} ${Buffer.concat([id, signature]).toString('base64')}\n`;
}

/** Signs `text` with each key: an Ed25519 note signature for type 0x01, a cosignature/v1 for type 0x04. */
export function signatureLines(text: string, keys: TestKey[], timestamp = 1_700_000_000n): string {
  return keys
    .map((key) => {
      if (key.type === 0x01) return signatureLine(key.name, key.id, sign(null, Buffer.from(text, 'utf8'), key.privateKey));
      const time = Buffer.alloc(8);
      time.writeBigUInt64BE(timestamp);
      const message = Buffer.from(`cosignature/v1\ntime ${timestamp}\n${text}`, 'utf8');
      return signatureLine(key.name, key.id, Buffer.concat([time, sign(null, message, key.privateKey)]));
    })
    .join('');
}

export function signNote(text: string, keys: TestKey[], timestamp?: bigint): string {
  return `${text}\n${signatureLines(text, keys, timestamp)}`;
}
