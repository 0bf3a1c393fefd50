import { readFileSync } from 'node:fs';
import { AppConfig } from '../config/app-config';
import { LogKey, NoteSigner, parseLogKey, parseSignerKey, signerFromSeed } from './domain/note';

export const LEDGER_KEYS = Symbol('LEDGER_KEYS');
export const LEDGER_VKEY = Symbol('LEDGER_VKEY');

/**
 * The checkpoint key: LEDGER_SIGNING_KEY, else the file LEDGER_SIGNING_KEY_FILE names, else one
 * derived from the master secret (HKDF, src/auth/service-keys.ts). Its name must be the origin,
 * so a verifier finds the log's signature by the checkpoint's first line.
 */
export function ledgerSigner(config: AppConfig, derivedSeed: Buffer): { signer: NoteSigner; source: string } {
  const configured = config.LEDGER_SIGNING_KEY ?? (config.LEDGER_SIGNING_KEY_FILE ? readFileSync(config.LEDGER_SIGNING_KEY_FILE, 'utf8').trim() : undefined);
  if (configured === undefined) return { signer: signerFromSeed(config.LEDGER_ORIGIN, derivedSeed), source: 'derived from the master secret' };
  let signer: NoteSigner;
  try {
    signer = parseSignerKey(configured);
  } catch (error) {
    // The reason, never the key.
    throw new Error(`The ledger's signing key cannot be read: ${(error as Error).message}.`);
  }
  if (signer.name !== config.LEDGER_ORIGIN) throw new Error(`The ledger's signing key is named ${signer.name}, not LEDGER_ORIGIN (${config.LEDGER_ORIGIN}): a verifier would not find the log's signature.`);
  return { signer, source: config.LEDGER_SIGNING_KEY ? 'LEDGER_SIGNING_KEY' : 'LEDGER_SIGNING_KEY_FILE' };
}

/**
 * The log's keys through a rotation: `signers` sign every checkpoint (the new key first, then,
 * while LEDGER_PREVIOUS_SIGNING_KEY is set, the old one too: overlapping signature lines, so a
 * verifier that knows either accepts); `accepted` are the keys an earlier checkpoint may be signed
 * by (those, and the retired ones of LEDGER_RETIRED_KEYS).
 */
export interface LedgerKeys {
  readonly signers: readonly NoteSigner[];
  readonly accepted: readonly LogKey[];
  readonly source: string;
}

export function ledgerKeys(config: AppConfig, derivedSeed: Buffer): LedgerKeys {
  const { signer, source } = ledgerSigner(config, derivedSeed);
  const signers = [signer];
  if (config.LEDGER_PREVIOUS_SIGNING_KEY) {
    let previous: NoteSigner;
    try {
      previous = parseSignerKey(config.LEDGER_PREVIOUS_SIGNING_KEY);
    } catch (error) {
      throw new Error(`LEDGER_PREVIOUS_SIGNING_KEY cannot be read: ${(error as Error).message}.`);
    }
    if (previous.name !== config.LEDGER_ORIGIN) throw new Error(`LEDGER_PREVIOUS_SIGNING_KEY is named ${previous.name}, not LEDGER_ORIGIN (${config.LEDGER_ORIGIN}).`);
    signers.push(previous);
  }
  const retired = (config.LEDGER_RETIRED_KEYS ?? '').split(',').map((key) => key.trim()).filter(Boolean).map((vkey) => {
    try {
      return parseLogKey(vkey);
    } catch (error) {
      throw new Error(`LEDGER_RETIRED_KEYS: ${(error as Error).message}.`);
    }
  });
  const accepted = [...signers.map((s) => ({ name: s.name, publicKey: s.publicKey, vkey: s.vkey })), ...retired];
  return { signers, accepted, source };
}
