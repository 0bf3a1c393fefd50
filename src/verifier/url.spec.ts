import { cpSync, existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { gzipSync } from 'node:zlib';
import { verifyLogUrl } from './url';
import { indexPath, sampleEntries, writeExport } from './testing/export-writer';
import { mth, leafHashOf } from './testing/reference-tree';
import { checkpointText, newKey, signNote } from './testing/signer';

const log = newKey('zhurnal.example/ledger');
const keys = [log.vkey];
const TOKEN = 'secret-token';
let scratch: string;
let server: Server;
let base: string;
let root: string; // the directory the server serves, changed per test
const requests: string[] = [];

/** A tlog-tiles server over a directory: entry bundles gzipped and only with the bearer token. */
beforeAll(async () => {
  scratch = mkdtempSync(path.join(tmpdir(), 'verifier-url-'));
  server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const relative = url.pathname.replace(/^\/api\/v1\/ledger\//, '');
    requests.push(relative);
    const file = path.join(root, relative);
    if (!existsSync(file)) {
      res.writeHead(404).end();
      return;
    }
    if (relative.startsWith('tile/entries/')) {
      if (req.headers.authorization !== `Bearer ${TOKEN}`) {
        res.writeHead(401).end();
        return;
      }
      res.writeHead(200, { 'Content-Type': 'application/octet-stream', 'Content-Encoding': 'gzip' }).end(gzipSync(readFileSync(file)));
      return;
    }
    res.writeHead(200).end(readFileSync(file));
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  base = `http://127.0.0.1:${(server.address() as AddressInfo).port}/api/v1/ledger`;
});

afterAll(async () => {
  await new Promise((resolve) => server.close(resolve));
  rmSync(scratch, { recursive: true, force: true });
});

function exportOf(size: number): string {
  const dir = mkdtempSync(path.join(scratch, `size-${size}-`));
  writeExport(dir, sampleEntries(size), { key: log });
  return dir;
}

describe('verifying a log by URL', () => {
  it('checks the tiles against the checkpoint without a token, and says the entries were not checked', async () => {
    root = exportOf(70_000);
    requests.length = 0;
    const report = await verifyLogUrl(base, { keys });
    expect(report.entriesChecked).toBe(false);
    expect(report.warnings.join()).toMatch(/entries themselves were not checked/);
    expect(requests.some((r) => r.startsWith('tile/entries/'))).toBe(false);
    expect(requests).toContain('tile/2/000.p/1');
  });

  it('checks the entries too with a token (gzip-encoded bundles)', async () => {
    root = exportOf(1000);
    const report = await verifyLogUrl(`${base}/`, { keys, token: TOKEN });
    expect(report.entriesChecked).toBe(true);
    expect(report.warnings).toEqual([]);
  });

  it('fails on a wrong token, naming the answer', async () => {
    root = exportOf(300);
    await expect(verifyLogUrl(base, { keys, token: 'wrong' })).rejects.toThrow(/answered 401/);
  });

  it('rejects a tampered tile and a tampered entry, at their index', async () => {
    root = exportOf(1000);
    const tile = path.join(root, 'tile/0', indexPath(2));
    const bytes = readFileSync(tile);
    bytes[40 * 32] ^= 1;
    writeFileSync(tile, bytes);
    await expect(verifyLogUrl(base, { keys })).rejects.toMatchObject({ leafIndex: 512n }); // caught by the level-1 tile above it
    root = exportOf(1000);
    const bundle = path.join(root, 'tile/entries', indexPath(1));
    const entries = readFileSync(bundle);
    entries[entries.length - 1] ^= 1;
    writeFileSync(bundle, entries);
    await expect(verifyLogUrl(base, { keys })).resolves.toMatchObject({ entriesChecked: false });
    await expect(verifyLogUrl(base, { keys, token: TOKEN })).rejects.toMatchObject({ leafIndex: 511n });
  });

  it('rejects a checkpoint whose root the tiles do not reach', async () => {
    root = exportOf(300);
    writeFileSync(path.join(root, 'checkpoint'), signNote(checkpointText(log.name, 300, Buffer.alloc(32, 1)), [log]));
    await expect(verifyLogUrl(base, { keys })).rejects.toThrow(/tiles hash up to .*, not to the checkpoint's root/);
  });

  it("falls back to the full tile when a checkpoint's partial tile is gone", async () => {
    const entries = sampleEntries(512);
    root = exportOf(512);
    const small = exportOf(300);
    cpSync(path.join(small, 'tile/1/000.p'), path.join(root, 'tile/1/000.p'), { recursive: true });
    writeFileSync(path.join(root, 'checkpoint'), signNote(checkpointText(log.name, 300, mth(entries.slice(0, 300).map(leafHashOf))), [log]));
    const report = await verifyLogUrl(base, { keys, token: TOKEN });
    expect(report.checkpoint.checkpoint.size).toBe(300n);
    expect(report.entriesChecked).toBe(true);
  });

  it('fails clearly when nothing answers', async () => {
    await expect(verifyLogUrl('http://127.0.0.1:1/api/v1/ledger', { keys })).rejects.toThrow(/could not fetch http:\/\/127.0.0.1:1\/api\/v1\/ledger\/checkpoint/);
  });
});
