/**
 * Verifies a live log through its tlog-tiles HTTP API: the latest checkpoint against a trusted
 * key, and its tiles hashed up to the checkpoint's root (the entry bundles too, when a token
 * allows reading them).
 */
import { describeCheckpoint, trustPolicy, verifyCheckpoint, type VerifiedCheckpoint } from './checkpoint';
import { fail } from './errors';
import { equalBytes } from './merkle';
import { reporter, type Report, type VerifyOptions } from './report';
import { tileReader, walkTiledTree } from './tiled-tree';

export interface UrlOptions extends VerifyOptions {
  /** Bearer token for the entry bundles; without it only the tiles are checked. */
  token?: string;
  onProgress?: (leaves: bigint, total: bigint) => void;
  /** The fetch to use (tests pass their own); the global one by default. */
  fetch?: typeof fetch;
}

export interface UrlReport extends Report {
  checkpoint: VerifiedCheckpoint;
  entriesChecked: boolean;
}

/** Verifies the log served under a tlog-tiles prefix such as `http://127.0.0.1:3000/api/v1/ledger`. */
export async function verifyLogUrl(prefix: string, options: UrlOptions = {}): Promise<UrlReport> {
  const report = reporter(options);
  const policy = trustPolicy(options.keys ?? [], options.witnesses ?? [], options.quorum);
  const base = prefix.replace(/\/+$/, '');
  const get = options.fetch ?? fetch;
  const download = async (relative: string, withToken: boolean): Promise<Uint8Array | undefined> => {
    const url = `${base}/${relative}`;
    const headers: Record<string, string> = {};
    if (withToken && options.token) headers.Authorization = `Bearer ${options.token}`;
    let response: Response;
    try {
      response = await get(url, { headers });
    } catch (error) {
      return fail(`could not fetch ${url}: ${(error as Error).message}`);
    }
    if (response.status === 404) return undefined;
    if (!response.ok) fail(`GET ${url} answered ${response.status} ${response.statusText}`);
    return new Uint8Array(await response.arrayBuffer());
  };
  const checkpointBytes = await download('checkpoint', false);
  if (checkpointBytes === undefined) fail(`${base}/checkpoint was not found`);
  const latest = verifyCheckpoint(checkpointBytes, policy);
  for (const line of describeCheckpoint(latest, policy)) report.check(line);
  const { size, root } = latest.checkpoint;

  const reader = tileReader(base, (relative) => download(relative, false), options.token ? (relative) => download(relative, true) : undefined);
  const walk = await walkTiledTree(reader, size, { onProgress: options.onProgress, readAhead: 8 });
  if (walk.entriesChecked) report.check(`entries: all ${size} entries hash to their level-0 tile hashes`);
  report.check('tiles: every higher tile hash is the hash of the full tile below it');
  if (!equalBytes(walk.root, root)) fail(`the tiles hash up to ${walk.root.toString('base64')}, not to the checkpoint's root ${root.toString('base64')}`);
  report.check(`root: the root computed from the ${size} leaf hashes in the tiles equals the checkpoint's root`);
  if (!walk.entriesChecked) report.warn('the entries themselves were not checked, only the tiles of their hashes (pass --token to read the entry bundles)');
  return { ...report.result(), checkpoint: latest, entriesChecked: walk.entriesChecked };
}
