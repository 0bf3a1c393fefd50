import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { runVerify } from '../cli/verify';
import { indexPath, sampleEntries, writeExport } from './testing/export-writer';
import { inclusionProof, leafHashOf, mth } from './testing/reference-tree';
import { checkpointText, newKey, signNote } from './testing/signer';

const log = newKey('zhurnal.example/ledger');
const witness = newKey('witness.example', 0x04);
let scratch: string;
let exportDir: string;
let receiptFile: string;
let entryFile: string;
const entries = sampleEntries(300);

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'verifier-cli-'));
  exportDir = path.join(scratch, 'export');
  writeExport(exportDir, entries, { key: log, witnesses: [witness], earlier: [100], vkeys: [log.vkey] });
  const leaves = entries.map(leafHashOf);
  const receipt = ['c2sp.org/tlog-proof@v1', `extra ${leaves[42].toString('base64')}`, 'index 42', ...inclusionProof(42, leaves).map((h) => h.toString('base64'))].join('\n');
  receiptFile = path.join(scratch, 'entry-42.tlog-proof');
  writeFileSync(receiptFile, `${receipt}\n\n${signNote(checkpointText(log.name, 300, mth(leaves)), [log, witness])}`);
  entryFile = path.join(scratch, 'entry-42.json');
  writeFileSync(entryFile, entries[42]);
});

afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

async function run(...argv: string[]): Promise<{ code: number; out: string[]; err: string[] }> {
  const out: string[] = [];
  const err: string[] = [];
  const code = await runVerify(argv, { out: (line) => out.push(line), err: (line) => err.push(line) });
  return { code, out, err };
}

describe('npm run verify', () => {
  it('verifies an export directory: what was checked, then OK, exit 0', async () => {
    const { code, out } = await run(exportDir, '--key', log.vkey, '--witness', witness.vkey);
    expect(code).toBe(0);
    expect(out[out.length - 1]).toBe('OK');
    expect(out.join('\n')).toMatch(/^checkpoint: origin zhurnal.example\/ledger, tree size 300/m);
    expect(out.join('\n')).toMatch(/^witness cosignatures: 1 of 1 trusted witnesses verified, quorum 1/m);
    expect(out.join('\n')).toMatch(/^consistency: each earlier checkpoint's root/m);
  });

  it('warns when the key comes from the export itself', async () => {
    const { code, out } = await run(exportDir);
    expect(code).toBe(0);
    expect(out.join('\n')).toMatch(/^WARNING: the log key .* not provided independently/m);
  });

  it('prints FAILED with the reason and exits 1 on a tampered export', async () => {
    const tampered = path.join(scratch, 'tampered');
    writeExport(tampered, entries, { key: log });
    const bundle = path.join(tampered, 'tile/entries', indexPath(0));
    const bytes = readFileSync(bundle);
    bytes[bytes.length - 256] ^= 1; // inside one of the last entries of the first bundle
    writeFileSync(bundle, bytes);
    const { code, out } = await run(tampered, `--key=${log.vkey}`);
    expect(code).toBe(1);
    expect(out[out.length - 1]).toMatch(/^FAILED: entry 25[0-5] \(in tile\/entries\/000\) does not hash to its leaf hash in tile\/0\/000$/);
  });

  it('verifies a receipt with its entry, and says so when only the receipt was checked', async () => {
    const withEntry = await run(receiptFile, '--key', log.vkey, '--entry', entryFile, '--witness', witness.vkey, '--quorum', '1');
    expect(withEntry.code).toBe(0);
    expect(withEntry.out.join('\n')).toMatch(/^inclusion: leaf 42 is in the tree of size 300/m);
    const alone = await run(receiptFile, '--key', log.vkey);
    expect(alone.code).toBe(0);
    expect(alone.out.join('\n')).toMatch(/^WARNING: .*the entry itself was not checked/m);
    const otherEntry = path.join(scratch, 'entry-43.json');
    writeFileSync(otherEntry, entries[43]);
    const wrong = await run(receiptFile, '--key', log.vkey, '--entry', otherEntry);
    expect(wrong.code).toBe(1);
    expect(wrong.out[wrong.out.length - 1]).toMatch(/^FAILED: the entry's leaf hash .* is not the receipt's leaf hash/);
  });

  it.each([
    ['no arguments', []],
    ['an unknown option', ['EXPORT', '--keys', 'x']],
    ['a missing option value', ['EXPORT', '--key']],
    ['a malformed key', ['EXPORT', '--key', 'not-a-vkey']],
    ['a witness key given as the log key', ['EXPORT', '--key', 'WITNESS']],
    ['a quorum that is not a number', ['EXPORT', '--key', 'KEY', '--quorum', 'two']],
    ['a quorum above the witnesses given', ['EXPORT', '--key', 'KEY', '--quorum', '1']],
    ['a path that does not exist', ['/nonexistent/export', '--key', 'KEY']],
    ['a receipt without a key', ['RECEIPT']],
    ['--token for a directory', ['EXPORT', '--token', 't']],
    ['--entry for a URL', ['http://127.0.0.1:9/ledger', '--key', 'KEY', '--entry', 'RECEIPT']],
    ['two targets', ['EXPORT', 'RECEIPT', '--key', 'KEY']],
  ])('exits 2 on bad usage: %s', async (_what, args) => {
    const substitute = (arg: string): string => ({ EXPORT: exportDir, RECEIPT: receiptFile, KEY: log.vkey, WITNESS: witness.vkey })[arg] ?? arg;
    const { code, err, out } = await run(...args.map(substitute));
    expect(code).toBe(2);
    expect(err[0]).toMatch(/^usage error: /);
    expect(out).toEqual([]);
  });
});
