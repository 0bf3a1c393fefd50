import { createCipheriv, createDecipheriv, randomBytes } from 'node:crypto';
import { PersonRef, SEALED_SCHEME, SealedValue } from './domain/personal-fields';

const IV_BYTES = 12;
const TAG_BYTES = 16;
export const DATA_KEY_BYTES = 32;

/** AES-256-GCM of the value's JSON under the person's data key, the person bound in (AAD). */
export function sealValue(key: Buffer, person: PersonRef, value: unknown): SealedValue {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', key, iv);
  cipher.setAAD(Buffer.from(person, 'utf8'));
  const body = Buffer.concat([cipher.update(JSON.stringify(value) ?? 'null', 'utf8'), cipher.final(), cipher.getAuthTag()]);
  return { $sealed: SEALED_SCHEME, person, iv: iv.toString('base64url'), data: body.toString('base64url') };
}

/** The value sealed in `sealed`; throws if the key is not the one it was sealed under or a byte changed. */
export function openValue(key: Buffer, sealed: SealedValue): unknown {
  const body = Buffer.from(sealed.data, 'base64url');
  if (body.length < TAG_BYTES) throw new Error('sealed value too short');
  const decipher = createDecipheriv('aes-256-gcm', key, Buffer.from(sealed.iv, 'base64url'));
  decipher.setAAD(Buffer.from(sealed.person, 'utf8'));
  decipher.setAuthTag(body.subarray(body.length - TAG_BYTES));
  const text = Buffer.concat([decipher.update(body.subarray(0, body.length - TAG_BYTES)), decipher.final()]).toString('utf8');
  return JSON.parse(text);
}

/** A data key wrapped (AES-256-GCM) under the key-encryption key, bound to its person: iv ‖ ciphertext ‖ tag. */
export function wrapKey(kek: Buffer, person: PersonRef, dataKey: Buffer): Buffer {
  const iv = randomBytes(IV_BYTES);
  const cipher = createCipheriv('aes-256-gcm', kek, iv);
  cipher.setAAD(Buffer.from(`zhurnal/person-key/v1\n${person}`, 'utf8'));
  return Buffer.concat([iv, cipher.update(dataKey), cipher.final(), cipher.getAuthTag()]);
}

export function unwrapKey(kek: Buffer, person: PersonRef, wrapped: Buffer): Buffer {
  const decipher = createDecipheriv('aes-256-gcm', kek, wrapped.subarray(0, IV_BYTES));
  decipher.setAAD(Buffer.from(`zhurnal/person-key/v1\n${person}`, 'utf8'));
  decipher.setAuthTag(wrapped.subarray(wrapped.length - TAG_BYTES));
  return Buffer.concat([decipher.update(wrapped.subarray(IV_BYTES, wrapped.length - TAG_BYTES)), decipher.final()]);
}
