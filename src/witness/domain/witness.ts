import { createHash, createPrivateKey, createPublicKey, sign } from 'node:crypto';
import { parseCheckpoint } from '../../verifier/checkpoint';
import { VerificationError } from '../../verifier/errors';
import { verifyConsistency } from '../../verifier/merkle';
import { cosignedMessage, ED25519, parseSignedNote, verifyNoteSignatures, type VerifierKey } from '../../verifier/note';

/**
 * A C2SP tlog-witness (`add-checkpoint`) that co-signs with C2SP tlog-cosignature/v1 (Ed25519,
 * signature type 0x04). Pure: the request's text, the witness's state and the time come in, the
 * answer and the new state go out; the process around it (src/cli/witness.ts) persists the state
 * before it answers, one request at a time. It checks checkpoints with the offline verifier's code
 * (src/verifier), not the ledger's: a witness is another party than the log.
 */

export const COSIGNATURE_TYPE = 0x04;
const PKCS8_ED25519_PREFIX = Buffer.from('302e020100300506032b657004220420', 'hex');
const SPKI_ED25519_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');
const MAX_PROOF_LINES = 63;

/** What a witness remembers of each log: the last checkpoint it co-signed. */
export type WitnessState = Readonly<Record<string, { readonly size: string; readonly root: string }>>;

export interface Cosigner {
  readonly name: string;
  readonly keyId: Buffer;
  /** Its vkey (type 0x04): what logs and verifiers are given. */
  readonly vkey: string;
  cosign(text: string, timestamp: bigint): Buffer;
}

export function cosignerFromSeed(name: string, seed: Buffer): Cosigner {
  if (!name || /[\s+]/u.test(name)) throw new Error('a witness name must be non-empty, without spaces or "+"');
  if (seed.length !== 32) throw new Error('an Ed25519 seed is 32 bytes');
  const privateKey = createPrivateKey({ key: Buffer.concat([PKCS8_ED25519_PREFIX, seed]), format: 'der', type: 'pkcs8' });
  const publicKey = createPublicKey(privateKey).export({ format: 'der', type: 'spki' }).subarray(SPKI_ED25519_PREFIX.length);
  const keyId = createHash('sha256').update(name, 'utf8').update(Buffer.from([0x0a, COSIGNATURE_TYPE])).update(publicKey).digest().subarray(0, 4);
  return {
    name,
    keyId,
    vkey: `${name}+${keyId.toString('hex')}+${Buffer.concat([Buffer.from([COSIGNATURE_TYPE]), publicKey]).toString('base64')}`,
    cosign: (text, timestamp) => {
      const time = Buffer.alloc(8);
      time.writeBigUInt64BE(timestamp);
      return Buffer.concat([time, sign(null, cosignedMessage(text, timestamp), privateKey)]);
    },
  };
}

export interface WitnessAnswer {
  readonly status: number;
  readonly contentType: string;
  readonly body: string;
  /** Set when the witness co-signed: what it must persist before answering. */
  readonly state?: WitnessState;
}

const refuse = (status: number, body: string): WitnessAnswer => ({ status, contentType: 'text/plain; charset=utf-8', body: `${body}\n` });

/** POST <prefix>/add-checkpoint, as C2SP tlog-witness says, decided. `now` is POSIX seconds. */
export function addCheckpoint(request: string, state: WitnessState, logKeys: readonly VerifierKey[], cosigner: Cosigner, now: bigint): WitnessAnswer {
  const blank = request.indexOf('\n\n');
  if (blank < 0) return refuse(400, 'the body is an old size line, proof lines, an empty line and a checkpoint');
  const head = request.slice(0, blank).split('\n');
  const oldMatch = /^old (0|[1-9]\d{0,19})$/.exec(head[0]);
  if (!oldMatch) return refuse(400, 'the first line must be "old <size>"');
  const proofLines = head.slice(1);
  if (proofLines.length > MAX_PROOF_LINES) return refuse(400, `at most ${MAX_PROOF_LINES} consistency proof lines`);
  const proof: Buffer[] = [];
  for (const line of proofLines) {
    const hash = Buffer.from(line, 'base64');
    if (hash.length !== 32 || hash.toString('base64') !== line) return refuse(400, 'each proof line is one base64 SHA-256 hash');
    proof.push(hash);
  }
  const old = BigInt(oldMatch[1]);
  let note;
  let checkpoint;
  try {
    note = parseSignedNote(request.slice(blank + 2));
    checkpoint = parseCheckpoint(note.text);
  } catch (error) {
    return refuse(400, `the checkpoint cannot be read: ${(error as Error).message}`);
  }
  const keys = logKeys.filter((key) => key.type === ED25519 && key.name === checkpoint.origin);
  if (keys.length === 0) return refuse(404, `this witness does not know the log ${checkpoint.origin}`);
  try {
    verifyNoteSignatures(note, keys);
  } catch (error) {
    return refuse(403, (error as Error).message);
  }
  if (old > checkpoint.size) return refuse(400, `old size ${old} is larger than the checkpoint's ${checkpoint.size}`);
  const known = state[checkpoint.origin];
  const knownSize = known ? BigInt(known.size) : 0n;
  if (old !== knownSize) return { status: 409, contentType: 'text/x.tlog.size', body: `${knownSize}\n` };
  // Same size as co-signed before (0 included): the very same root, or a fork (tlog-witness: 409).
  if (known && old === checkpoint.size && known.root !== checkpoint.root.toString('base64')) return refuse(409, 'a checkpoint of this size with another root was co-signed before');
  if (old === 0n) {
    if (proof.length > 0) return refuse(422, 'the proof must be empty from size 0');
  } else {
    try {
      verifyConsistency(old, checkpoint.size, Buffer.from(known!.root, 'base64'), checkpoint.root, proof);
    } catch (error) {
      // Two checkpoints of one size with different roots are a conflict, not a bad proof (tlog-witness).
      if (old === checkpoint.size) return refuse(409, 'a checkpoint of this size with another root was co-signed before');
      return refuse(422, error instanceof VerificationError ? error.message : 'the consistency proof does not verify');
    }
  }
  const signature = Buffer.concat([cosigner.keyId, cosigner.cosign(note.text, now)]).toString('base64');
  return {
    status: 200,
    contentType: 'text/plain; charset=utf-8',
    body: `\u2014 ${cosigner.name} ${signature}\n`,
    state: { ...state, [checkpoint.origin]: { size: checkpoint.size.toString(), root: checkpoint.root.toString('base64') } },
  };
}
