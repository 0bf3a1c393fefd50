/**
 * Strict decoders for the text formats: every encoding the specs allow exactly one way to write
 * is checked to be written that way, so two different texts never verify as the same data.
 */
import { fail } from './errors';

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * Standard base64 (RFC 4648 §4) with padding and zero pad bits. Node's own decoder skips characters
 * it does not know, which would let a tampered line decode to the original bytes.
 */
export function decodeBase64(text: string, what: string): Buffer {
  if (!BASE64.test(text)) fail(`${what} is not valid base64`);
  const bytes = Buffer.from(text, 'base64');
  if (bytes.toString('base64') !== text) fail(`${what} is not canonical base64`);
  return bytes;
}

/** An unsigned ASCII decimal with no leading zeros (the form checkpoints and proofs use), as a BigInt. */
export function parseDecimal(text: string, what: string, max: bigint = 2n ** 64n - 1n): bigint {
  if (!/^(0|[1-9][0-9]*)$/.test(text)) fail(`${what} "${truncate(text)}" is not a decimal number without leading zeros`);
  if (text.length > 20) fail(`${what} ${truncate(text)} is too large`);
  const value = BigInt(text);
  if (value > max) fail(`${what} ${text} is too large (maximum ${max})`);
  return value;
}

/** Decodes UTF-8 and rejects malformed sequences instead of replacing them with U+FFFD. */
export function decodeUtf8(bytes: Uint8Array, what: string): string {
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return fail(`${what} is not valid UTF-8`);
  }
}

/** Shortens text quoted in an error message. */
export function truncate(text: string, length = 40): string {
  return text.length > length ? `${text.slice(0, length)}…` : text;
}
