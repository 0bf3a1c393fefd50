/**
 * Verifies a school's slice of the ledger: a directory with `checkpoint`, `entries/<index>` and
 * `receipts/<index>.tlog-proof` (C2SP tlog-proof). Every receipt must be under that very
 * checkpoint, and every entry must hash to its receipt's leaf and be proven in the signed tree.
 * A slice cannot show it is complete (the tree covers every school's events): the report says so.
 */
import { readdir, readFile } from 'node:fs/promises';
import * as path from 'node:path';
import { describeCheckpoint, trustPolicy, verifyCheckpoint, type VerifiedCheckpoint } from './checkpoint';
import { fail } from './errors';
import { parseReceipt, verifyReceipt } from './receipt';
import { reporter, type Report, type VerifyOptions } from './report';

export interface SliceReport extends Report {
  checkpoint: VerifiedCheckpoint;
  /** Leaf indexes of the entries proven, in order. */
  indexes: bigint[];
}

/** Whether `dir` looks like a slice (it has receipts), rather than a whole export. */
export async function isSliceDir(dir: string): Promise<boolean> {
  try {
    return (await readdir(path.join(dir, 'receipts'))).length >= 0;
  } catch {
    return false;
  }
}

export async function verifySliceDir(dir: string, options: VerifyOptions = {}): Promise<SliceReport> {
  const report = reporter(options);
  if ((options.keys ?? []).length === 0) fail("verifying a slice needs the log's key (--key): a key shipped with the slice proves nothing");
  const policy = trustPolicy(options.keys ?? [], options.witnesses ?? [], options.quorum);
  const note = await readFile(path.join(dir, 'checkpoint')).catch(() => fail('the slice has no checkpoint'));
  const checkpoint = verifyCheckpoint(note, policy);
  for (const line of describeCheckpoint(checkpoint, policy)) report.check(line);

  const names = (await readdir(path.join(dir, 'receipts'))).filter((name) => name.endsWith('.tlog-proof'));
  const indexes: bigint[] = [];
  for (const name of names) {
    const stem = name.slice(0, -'.tlog-proof'.length);
    if (!/^(0|[1-9][0-9]*)$/.test(stem)) fail(`receipts/${name} is not named by a leaf index`);
    const text = await readFile(path.join(dir, 'receipts', name));
    const receipt = parseReceipt(text);
    if (receipt.index !== BigInt(stem)) fail(`receipts/${name} is the receipt of leaf ${receipt.index}, not of leaf ${stem}`, BigInt(stem));
    if (Buffer.compare(Buffer.from(receipt.checkpoint, 'utf8'), note) !== 0) fail(`receipts/${name} is under another checkpoint than the slice's`, receipt.index);
    const entry = await readFile(path.join(dir, 'entries', stem)).catch(() => fail(`the slice has a receipt for leaf ${stem} but no entries/${stem}`, BigInt(stem)));
    verifyReceipt(text, { keys: options.keys, witnesses: options.witnesses, quorum: options.quorum, entry });
    indexes.push(receipt.index);
  }
  const entries = await readdir(path.join(dir, 'entries')).catch(() => [] as string[]);
  const unproven = entries.filter((name) => !names.includes(`${name}.tlog-proof`));
  if (unproven.length > 0) fail(`entries/${unproven[0]} has no receipt: it is not proven to be in the ledger`);
  indexes.sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  report.check(`entries: ${indexes.length} entries, each hashed and proven included in the tree of size ${checkpoint.checkpoint.size} under this checkpoint (RFC 9162 §2.1.3.2)`);
  report.warn('a slice cannot show it holds every event of the school: the tree covers every school, whose other entries are not here');
  return { ...report.result(), checkpoint, indexes };
}
