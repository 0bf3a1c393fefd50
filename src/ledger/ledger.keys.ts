import { readFileSync } from 'node:fs';
import { AppConfig } from '../config/app-config';
import { NoteSigner, parseSignerKey, signerFromSeed } from './domain/note';

export const LEDGER_SIGNER = Symbol('LEDGER_SIGNER');
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
