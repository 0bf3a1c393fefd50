/**
 * Verifies a ledger export: a directory in the tlog-tiles layout (checkpoint, tile/…, tile/entries/…)
 * with optional earlier checkpoints (checkpoints/<size>) and verifier keys (vkeys). Every entry is
 * hashed, every tile checked, the root recomputed and compared with each signed checkpoint.
 */
import { readFile, readdir } from 'node:fs/promises';
import * as path from 'node:path';
import { describeCheckpoint, trustPolicy, verifyCheckpoint, type TrustPolicy, type VerifiedCheckpoint } from './checkpoint';
import { fail, VerificationError } from './errors';
import { truncate } from './encoding';
import { equalBytes } from './merkle';
import { describeKey } from './note';
import { reporter, type Report, type VerifyOptions } from './report';
import { tileReader, walkTiledTree } from './tiled-tree';

export interface ExportOptions extends VerifyOptions {
  /** Progress through a long walk of the entries. */
  onProgress?: (leaves: bigint, total: bigint) => void;
}

export interface ExportReport extends Report {
  checkpoint: VerifiedCheckpoint;
  /** Sizes of the earlier checkpoints found consistent with the entries. */
  earlierSizes: bigint[];
}

/**
 * Verifies an export directory. Without `keys`, the export's own `vkeys` is used and a warning says
 * so: a key shipped with the data it vouches for only proves the export is self-consistent.
 */
export async function verifyExportDir(dir: string, options: ExportOptions = {}): Promise<ExportReport> {
  const report = reporter(options);
  const given = options.keys ?? [];
  let policy: TrustPolicy;
  if (given.length > 0) {
    policy = trustPolicy(given, options.witnesses ?? [], options.quorum);
    const listed = (await readOptional(path.join(dir, 'vkeys')))?.toString('utf8').split('\n')[0].trim();
    if (listed && !given.includes(listed)) report.warn(`the export's vkeys file names another log key (${truncate(listed, 60)}) than the one given`);
  } else {
    const vkeys = await readOptional(path.join(dir, 'vkeys'));
    if (vkeys === undefined) fail('no log key given and the export has no vkeys file: pass the log key with --key');
    const lines = vkeys.toString('utf8').split('\n').filter((line) => line.trim() !== '');
    if (lines.length === 0) fail('no log key given and the export\'s vkeys file is empty: pass the log key with --key');
    policy = trustPolicy([lines[0]], options.witnesses ?? [], options.quorum);
    if (lines.length > 1 && (options.witnesses ?? []).length === 0) {
      report.warn(`the ${lines.length - 1} witness key(s) listed in vkeys were not used: pass them with --witness to require their cosignatures`);
    }
    report.warn(`the log key ${describeKey(policy.logKeys[0])} was taken from the export's own vkeys file, not provided independently: this only shows the export is self-consistent; pass --key to check it against a key you trust`);
  }

  const latest = verifyCheckpoint(await readRequired(dir, 'checkpoint'), policy);
  for (const line of describeCheckpoint(latest, policy)) report.check(line);
  const { size, root, origin } = latest.checkpoint;

  const earlier = await readEarlierCheckpoints(dir, policy, origin, size);
  if (earlier.length > 0) report.check(`earlier checkpoints: ${earlier.length} signed by the log key, sizes ${earlier.map((c) => c.checkpoint.size).join(', ')}`);

  const get = (relative: string): Promise<Buffer | undefined> => readOptional(path.join(dir, relative));
  const reader = tileReader('the export', get, get);
  const walk = await walkTiledTree(reader, size, { rootsAt: earlier.map((c) => c.checkpoint.size), onProgress: options.onProgress });
  report.check(`entries: all ${size} entries hash to their level-0 tile hashes, and every higher tile hash is the hash of the tile below`);
  // Smallest first: an earlier checkpoint that disagrees narrows down where the entries changed.
  for (const previous of earlier) {
    const s = previous.checkpoint.size;
    const recomputed = walk.rootsAt.get(s) as Buffer;
    if (!equalBytes(recomputed, previous.checkpoint.root)) {
      fail(`checkpoints/${s} is inconsistent with the log: its root ${previous.checkpoint.root.toString('base64')} is not the root of the first ${s} entries (${recomputed.toString('base64')}): the log signed another history then, or some of those entries were changed`);
    }
  }
  if (earlier.length > 0) report.check(`consistency: each earlier checkpoint's root equals the root recomputed from its first entries (${earlier.length} checked)`);
  if (!equalBytes(walk.root, root)) fail(`the root of the ${size} entries (${walk.root.toString('base64')}) is not the root in the checkpoint (${root.toString('base64')})`);
  report.check(`root: the root recomputed from the ${size} entries equals the checkpoint's root`);
  return { ...report.result(), checkpoint: latest, earlierSizes: earlier.map((c) => c.checkpoint.size) };
}

/** The earlier checkpoints, each signed by the log, of the same origin, no larger than the latest, sorted by size. */
async function readEarlierCheckpoints(dir: string, policy: TrustPolicy, origin: string, latestSize: bigint): Promise<VerifiedCheckpoint[]> {
  let names: string[];
  try {
    names = await readdir(path.join(dir, 'checkpoints'));
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw error;
  }
  const logOnly: TrustPolicy = { logKeys: policy.logKeys, witnesses: [], quorum: 0 };
  const verified: VerifiedCheckpoint[] = [];
  for (const name of names) {
    const file = `checkpoints/${name}`;
    let checkpoint: VerifiedCheckpoint;
    try {
      checkpoint = verifyCheckpoint(await readRequired(dir, file), logOnly);
    } catch (error) {
      if (error instanceof VerificationError) fail(`${file}: ${error.message}`);
      throw error;
    }
    const { size } = checkpoint.checkpoint;
    if (name !== size.toString()) fail(`${file} holds a checkpoint of size ${size}; the file name should be its size`);
    if (checkpoint.checkpoint.origin !== origin) fail(`${file} is for origin "${checkpoint.checkpoint.origin}", the export's checkpoint for "${origin}"`);
    if (size > latestSize) fail(`${file} is larger than the latest checkpoint (size ${latestSize}): the export is missing entries or its checkpoint was rolled back`);
    verified.push(checkpoint);
  }
  return verified.sort((a, b) => (a.checkpoint.size < b.checkpoint.size ? -1 : a.checkpoint.size > b.checkpoint.size ? 1 : 0));
}

async function readRequired(dir: string, relative: string): Promise<Buffer> {
  const bytes = await readOptional(path.join(dir, relative));
  if (bytes === undefined) fail(`the export has no ${relative}`);
  return bytes;
}

async function readOptional(file: string): Promise<Buffer | undefined> {
  try {
    return await readFile(file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return undefined;
    throw error;
  }
}
