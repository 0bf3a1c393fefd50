/**
 * C2SP tlog-checkpoint: the signed tree head (origin, size, root) and the trust policy that says
 * whose signatures make it believable: the log's key, and optionally a quorum of witnesses.
 */
import { decodeBase64, parseDecimal, truncate } from './encoding';
import { fail } from './errors';
import { HASH_SIZE } from './merkle';
import { COSIGNATURE_V1, ED25519, describeKey, parseSignedNote, parseVerifierKey, verifyNoteSignatures, type SignedNote, type VerifierKey } from './note';

export interface Checkpoint {
  origin: string;
  size: bigint;
  root: Buffer;
  extensions: string[];
}

/** The keys a verification trusts, parsed and checked once. */
export interface TrustPolicy {
  /** Ed25519 (type 0x01) keys of the log; one of them must sign, under the checkpoint's origin as its name. */
  logKeys: VerifierKey[];
  /** Ed25519 cosignature (type 0x04) keys of trusted witnesses. */
  witnesses: VerifierKey[];
  /** How many distinct witnesses must cosign. */
  quorum: number;
}

export interface VerifiedCheckpoint {
  checkpoint: Checkpoint;
  note: SignedNote;
  logKey: VerifierKey;
  /** The trusted witnesses whose cosignatures verified, with their timestamps. */
  cosigners: { key: VerifierKey; timestamp: bigint }[];
}

/**
 * Builds a trust policy from vkey texts. The quorum defaults to every witness given: naming a
 * witness and then not requiring it would be a silent weakening.
 */
export function trustPolicy(logKeys: readonly string[], witnesses: readonly string[] = [], quorum?: number): TrustPolicy {
  if (logKeys.length === 0) fail('no log key given: a checkpoint can only be trusted against a key obtained independently');
  const log = logKeys.map(parseVerifierKey);
  for (const key of log) if (key.type !== ED25519) fail(`log key ${describeKey(key)} is not an Ed25519 note key (type 0x01)`);
  return { logKeys: log, ...witnessPolicy(witnesses, quorum) };
}

/** The witness half of a trust policy: cosignature keys, deduplicated, and a quorum they can meet. */
export function witnessPolicy(witnesses: readonly string[], quorum?: number): Pick<TrustPolicy, 'witnesses' | 'quorum'> {
  const keys = dedupe(witnesses.map(parseVerifierKey));
  for (const key of keys) if (key.type !== COSIGNATURE_V1) fail(`witness key ${describeKey(key)} is not an Ed25519 cosignature key (type 0x04)`);
  const required = quorum ?? keys.length;
  if (!Number.isInteger(required) || required < 0) fail(`quorum ${required} is not a whole number of witnesses`);
  if (required > keys.length) fail(`quorum ${required} is more than the ${keys.length} witness key(s) given`);
  return { witnesses: keys, quorum: required };
}

/** Parses a checkpoint's note text (signatures already verified: the text means nothing before that). */
export function parseCheckpoint(text: string): Checkpoint {
  if (!text.endsWith('\n')) fail('checkpoint text does not end with a newline');
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3) fail(`checkpoint has ${lines.length} line(s), it needs origin, tree size and root hash`);
  const [origin, sizeLine, rootLine, ...extensions] = lines;
  if (origin === '') fail('checkpoint origin line is empty');
  const size = parseDecimal(sizeLine, 'checkpoint tree size');
  const root = decodeBase64(rootLine, 'checkpoint root hash');
  if (root.length !== HASH_SIZE) fail(`checkpoint root hash is ${root.length} bytes, not ${HASH_SIZE}`);
  extensions.forEach((line, i) => {
    if (line === '') fail(`checkpoint extension line ${i + 1} is empty`);
  });
  return { origin, size, root, extensions };
}

/**
 * Verifies a signed checkpoint against a trust policy: a log key whose name is the origin must
 * have signed it, any known key's bad signature rejects it, and the witness quorum must be met.
 */
export function verifyCheckpoint(note: string | Uint8Array, policy: TrustPolicy): VerifiedCheckpoint {
  const signed = parseSignedNote(note);
  const verified = verifyNoteSignatures(signed, [...policy.logKeys, ...policy.witnesses]);
  const logSignature = verified.find((v) => policy.logKeys.includes(v.key));
  if (!logSignature) fail(`checkpoint is not signed by the log key (${policy.logKeys.map(describeKey).join(', ')}), only by witnesses`);
  const checkpoint = parseCheckpoint(signed.text);
  const logKey = verified.map((v) => v.key).find((key) => policy.logKeys.includes(key) && key.name === checkpoint.origin);
  if (!logKey) fail(`checkpoint origin "${truncate(checkpoint.origin)}" is not the name of the log key that signed it (${describeKey(logSignature.key)})`);
  const cosigners: VerifiedCheckpoint['cosigners'] = [];
  for (const v of verified) {
    if (v.timestamp !== undefined && policy.witnesses.includes(v.key) && !cosigners.some((c) => c.key === v.key)) cosigners.push({ key: v.key, timestamp: v.timestamp });
  }
  if (cosigners.length < policy.quorum) {
    const missing = policy.witnesses.filter((w) => !cosigners.some((c) => c.key === w)).map(describeKey);
    fail(`checkpoint has valid cosignatures from ${cosigners.length} trusted witness(es), the quorum is ${policy.quorum} (missing: ${missing.join(', ')})`);
  }
  return { checkpoint, note: signed, logKey, cosigners };
}

/** Lines saying what a verified checkpoint is and who vouched for it. */
export function describeCheckpoint(verified: VerifiedCheckpoint, policy: TrustPolicy): string[] {
  const { checkpoint, logKey, cosigners } = verified;
  const lines = [
    `checkpoint: origin ${checkpoint.origin}, tree size ${checkpoint.size}, root ${checkpoint.root.toString('base64')}`,
    `log signature: ${describeKey(logKey)} verified`,
  ];
  if (policy.witnesses.length > 0) {
    const who = cosigners.map((c) => `${describeKey(c.key)} at ${formatTimestamp(c.timestamp)}`).join(', ');
    lines.push(`witness cosignatures: ${cosigners.length} of ${policy.witnesses.length} trusted witnesses verified, quorum ${policy.quorum}${who ? ` (${who})` : ''}`);
  }
  return lines;
}

/** A cosignature time in ISO 8601 when it is a plausible date, else as the raw POSIX seconds. */
function formatTimestamp(seconds: bigint): string {
  return seconds < 253402300800n ? new Date(Number(seconds) * 1000).toISOString() : `${seconds} (POSIX seconds)`;
}

function dedupe(keys: VerifierKey[]): VerifierKey[] {
  return keys.filter((key, i) => keys.findIndex((k) => k.name === key.name && k.id === key.id) === i);
}
