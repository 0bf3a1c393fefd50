/**
 * Writes a tlog-tiles export directory for tests, from the spec's definitions: tile hashes as
 * MTH of the leaf ranges, partial tiles by floor(s / 256^l) mod 256, paths by hand.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { leafHashOf, mth } from './reference-tree';
import { checkpointText, signNote, type TestKey } from './signer';

export interface WrittenExport {
  leaves: Buffer[];
  root: Buffer;
  origin: string;
}

export interface ExportSpec {
  key: TestKey;
  witnesses?: TestKey[];
  /** Sizes of earlier checkpoints to write to checkpoints/<size>. */
  earlier?: number[];
  /** Lines of the vkeys file, when it should exist. */
  vkeys?: string[];
}

export function indexPath(n: number): string {
  const digits = String(n);
  const padded = digits.padStart(Math.ceil(digits.length / 3) * 3, '0');
  const groups = padded.match(/.{3}/g) as string[];
  return groups.map((g, i) => (i < groups.length - 1 ? `x${g}` : g)).join('/');
}

function write(dir: string, relative: string, bytes: Uint8Array | string): void {
  const file = path.join(dir, relative);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
}

export function writeExport(dir: string, entries: Buffer[], spec: ExportSpec): WrittenExport {
  const origin = spec.key.name;
  const leaves = entries.map(leafHashOf);
  const s = entries.length;
  for (let level = 0; Math.floor(s / 256 ** level) > 0; level++) {
    const span = 256 ** level;
    const hashes = Math.floor(s / span);
    for (let tile = 0; tile * 256 < hashes; tile++) {
      const width = Math.min(256, hashes - tile * 256);
      const content: Buffer[] = [];
      for (let i = 0; i < width; i++) {
        const k = tile * 256 + i;
        content.push(level === 0 ? leaves[k] : mth(leaves, k * span, (k + 1) * span));
      }
      const suffix = width === 256 ? '' : `.p/${width}`;
      write(dir, `tile/${level}/${indexPath(tile)}${suffix}`, Buffer.concat(content));
      if (level === 0) {
        const bundle = entries.slice(tile * 256, tile * 256 + width).flatMap((entry) => {
          const length = Buffer.alloc(2);
          length.writeUInt16BE(entry.length);
          return [length, entry];
        });
        write(dir, `tile/entries/${indexPath(tile)}${suffix}`, Buffer.concat(bundle));
      }
    }
  }
  const root = mth(leaves);
  const signers = [spec.key, ...(spec.witnesses ?? [])];
  write(dir, 'checkpoint', signNote(checkpointText(origin, s, root), signers));
  for (const size of spec.earlier ?? []) write(dir, `checkpoints/${size}`, signNote(checkpointText(origin, size, mth(leaves, 0, size)), [spec.key]));
  if (spec.vkeys) write(dir, 'vkeys', spec.vkeys.map((line) => `${line}\n`).join(''));
  return { leaves, root, origin };
}

/** Entries that look like the ledger's: canonical JSON envelopes of varying length. */
export function sampleEntries(count: number, bytes = 120): Buffer[] {
  return Array.from({ length: count }, (_, i) => Buffer.from(JSON.stringify({ seq: i, type: 'GradeRecorded', pad: 'x'.repeat((i * 7) % bytes) }), 'utf8'));
}
