import { cpSync, mkdtempSync, readFileSync, readdirSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { verifyExportDir } from './export';
import { tileIndexPath, tilesAtLevel, tileWidth } from './tiles';
import { indexPath, sampleEntries, writeExport, type WrittenExport } from './testing/export-writer';
import { leafHashOf, mth } from './testing/reference-tree';
import { checkpointText, newKey, signNote } from './testing/signer';

const log = newKey('zhurnal.example/ledger');
const witness = newKey('witness.example', 0x04);
const keys = [log.vkey];
let scratch: string;

beforeAll(() => {
  scratch = mkdtempSync(path.join(tmpdir(), 'verifier-export-'));
});
afterAll(() => {
  rmSync(scratch, { recursive: true, force: true });
});

function freshDir(name: string): string {
  return mkdtempSync(path.join(scratch, `${name}-`));
}

function flipByte(file: string, offset: number): void {
  const bytes = readFileSync(file);
  bytes[offset] ^= 0x01;
  writeFileSync(file, bytes);
}

/** Byte offset of entry `i` (within its bundle) in a bundle file: after each earlier entry's 2-byte length and bytes. */
function entryOffset(bundle: Buffer, i: number): number {
  let offset = 0;
  for (let j = 0; j < i; j++) offset += 2 + bundle.readUInt16BE(offset);
  return offset + 2;
}

describe('tile layout', () => {
  it('encodes tile indexes in 3-digit path elements', () => {
    expect(tileIndexPath(0n)).toBe('000');
    expect(tileIndexPath(999n)).toBe('999');
    expect(tileIndexPath(1000n)).toBe('x001/000');
    expect(tileIndexPath(1234067n)).toBe('x001/x234/067');
    for (const n of [0, 5, 999, 1000, 1234067, 10 ** 9]) expect(tileIndexPath(BigInt(n))).toBe(indexPath(n));
  });

  it('has the tiles of the tlog-tiles example: a tree of 70,000 leaves', () => {
    expect(tilesAtLevel(70_000n, 0)).toBe(274n);
    expect(tileWidth(70_000n, 0, 272n)).toBe(256);
    expect(tileWidth(70_000n, 0, 273n)).toBe(112);
    expect(tilesAtLevel(70_000n, 1)).toBe(2n);
    expect(tileWidth(70_000n, 1, 0n)).toBe(256);
    expect(tileWidth(70_000n, 1, 1n)).toBe(17);
    expect(tileWidth(70_000n, 2, 0n)).toBe(1);
    expect(tilesAtLevel(70_000n, 3)).toBe(0n);
    expect(tileWidth(256n, 1, 0n)).toBe(1);
    expect(tilesAtLevel(256n, 0)).toBe(1n);
  });
});

describe.each([0, 1, 255, 256, 257, 70_000])('an export of %i entries', (size) => {
  let dir: string;
  let written: WrittenExport;

  beforeAll(() => {
    dir = freshDir(`size-${size}`);
    written = writeExport(dir, sampleEntries(size), { key: log, witnesses: [witness], earlier: [0, 1, 200, 256, 257, 65_536, 69_999].filter((s) => s <= size), vkeys: [log.vkey, witness.vkey] });
  });

  it('verifies with the log key, the witness quorum and every earlier checkpoint', async () => {
    const progress: bigint[] = [];
    const report = await verifyExportDir(dir, { keys, witnesses: [witness.vkey], onProgress: (leaves) => progress.push(leaves) });
    expect(report.checkpoint.checkpoint.size).toBe(BigInt(size));
    expect(report.checkpoint.checkpoint.root).toEqual(written.root);
    expect(report.warnings).toEqual([]);
    expect(report.earlierSizes).toEqual([0, 1, 200, 256, 257, 65_536, 69_999].filter((s) => s <= size).map(BigInt));
    expect(report.checks.join('\n')).toMatch(/root recomputed from the \d+ entries equals the checkpoint's root/);
    if (size > 0) expect(progress[progress.length - 1]).toBe(BigInt(size));
  });

  it('verifies with the key from the export itself, with a warning that it was not provided independently', async () => {
    const report = await verifyExportDir(dir);
    expect(report.warnings.join('\n')).toMatch(/taken from the export's own vkeys file, not provided independently/);
  });

  it('rejects a checkpoint replaced by one with another root, signed by the log', async () => {
    const copy = freshDir(`root-${size}`);
    cpSync(dir, copy, { recursive: true });
    writeFileSync(path.join(copy, 'checkpoint'), signNote(checkpointText(log.name, size, Buffer.alloc(32, 3)), [log]));
    await expect(verifyExportDir(copy, { keys })).rejects.toThrow(/is not the root in the checkpoint/);
  });

  it('rejects an export verified against another log key', async () => {
    await expect(verifyExportDir(dir, { keys: [newKey(log.name).vkey] })).rejects.toThrow(/no signature by a trusted key/);
  });
});

describe('tampered exports', () => {
  const size = 70_000;
  let dir: string;
  let entries: Buffer[];

  beforeAll(() => {
    dir = freshDir('tamper-source');
    entries = sampleEntries(size);
    writeExport(dir, entries, { key: log, earlier: [1000, 65_536] });
  });

  function copy(name: string): string {
    const target = freshDir(name);
    cpSync(dir, target, { recursive: true });
    return target;
  }

  it('rejects one byte flipped in an entry, at its index', async () => {
    for (const index of [0, 12_345, 69_999]) {
      const target = copy(`entry-${index}`);
      const bundle = path.join(target, 'tile/entries', index >= 69_888 ? `${indexPath(273)}.p/112` : indexPath(Math.floor(index / 256)));
      flipByte(bundle, entryOffset(readFileSync(bundle), index % 256) + 1);
      await expect(verifyExportDir(target, { keys })).rejects.toMatchObject({ leafIndex: BigInt(index), message: expect.stringMatching(new RegExp(`^entry ${index} \\(in tile/entries/`)) });
    }
  });

  it('rejects a truncated entry bundle, at the first entry cut short', async () => {
    const target = copy('truncated');
    const bundle = path.join(target, 'tile/entries', indexPath(100));
    const bytes = readFileSync(bundle);
    truncateSync(bundle, entryOffset(bytes, 200) - 1); // entry 200 of the bundle loses its length's second byte
    await expect(verifyExportDir(target, { keys })).rejects.toMatchObject({ leafIndex: BigInt(100 * 256 + 199 + 1), message: expect.stringMatching(/ends before entry 25800/) });
    const shorter = copy('truncated-inside');
    const other = path.join(shorter, 'tile/entries', indexPath(100));
    truncateSync(other, entryOffset(bytes, 200) + 3);
    await expect(verifyExportDir(shorter, { keys })).rejects.toMatchObject({ leafIndex: 25_800n, message: expect.stringMatching(/ends inside entry 25800/) });
  });

  it('rejects a missing entry bundle or tile, naming it', async () => {
    const noBundle = copy('no-bundle');
    rmSync(path.join(noBundle, 'tile/entries', indexPath(7)));
    await expect(verifyExportDir(noBundle, { keys })).rejects.toMatchObject({ leafIndex: 1792n, message: expect.stringMatching(/no tile\/entries\/007/) });
    const noTile = copy('no-tile');
    rmSync(path.join(noTile, 'tile/1', `${indexPath(1)}.p/17`));
    await expect(verifyExportDir(noTile, { keys })).rejects.toThrow(/no tile\/1\/001\.p\/17/);
  });

  it('rejects a byte flipped in a tile at any level, at the first leaf the hash covers', async () => {
    const cases: [string, number, bigint][] = [
      [`tile/0/${indexPath(3)}`, 7 * 32 + 5, 3n * 256n + 7n],
      [`tile/0/${indexPath(273)}.p/112`, 111 * 32, 69_999n],
      [`tile/1/${indexPath(0)}`, 5 * 32 + 31, 5n * 256n],
      [`tile/1/${indexPath(1)}.p/17`, 16 * 32, (256n + 16n) * 256n],
      [`tile/2/${indexPath(0)}.p/1`, 0, 0n],
    ];
    for (const [file, offset, leafIndex] of cases) {
      const target = copy(`tile-${leafIndex}`);
      flipByte(path.join(target, file), offset);
      await expect(verifyExportDir(target, { keys })).rejects.toMatchObject({ leafIndex });
    }
  });

  it('rejects a tile of the wrong length', async () => {
    const target = copy('tile-length');
    const file = path.join(target, 'tile/1', indexPath(0));
    writeFileSync(file, readFileSync(file).subarray(0, 8160));
    await expect(verifyExportDir(target, { keys })).rejects.toThrow(/tile\/1\/000 is 8160 bytes, it should be 8192/);
  });

  it('rejects an earlier checkpoint that is inconsistent with the entries', async () => {
    const target = copy('earlier');
    const wrong = mth(entries.slice(0, 1000).map((e, i) => (i === 500 ? leafHashOf(Buffer.from('rewritten')) : leafHashOf(e))));
    writeFileSync(path.join(target, 'checkpoints/1000'), signNote(checkpointText(log.name, 1000, wrong), [log]));
    await expect(verifyExportDir(target, { keys })).rejects.toThrow(/checkpoints\/1000 is inconsistent with the log/);
  });

  it('rejects an earlier checkpoint with a bad signature, a wrong name, or a size beyond the latest', async () => {
    const badSignature = copy('earlier-signature');
    const file = path.join(badSignature, 'checkpoints/1000');
    writeFileSync(file, readFileSync(file, 'utf8').replace('\n1000\n', '\n1001\n'));
    await expect(verifyExportDir(badSignature, { keys })).rejects.toThrow(/checkpoints\/1000: signature by .* does not verify/);
    const renamed = copy('earlier-name');
    cpSync(path.join(renamed, 'checkpoints/1000'), path.join(renamed, 'checkpoints/999'));
    await expect(verifyExportDir(renamed, { keys })).rejects.toThrow(/checkpoints\/999 holds a checkpoint of size 1000/);
    const beyond = copy('earlier-beyond');
    writeFileSync(path.join(beyond, 'checkpoints/70001'), signNote(checkpointText(log.name, 70_001, Buffer.alloc(32)), [log]));
    await expect(verifyExportDir(beyond, { keys })).rejects.toThrow(/checkpoints\/70001 is larger than the latest checkpoint/);
  });

  it('reads a partial tile or bundle that is gone from the start of the full one, as tlog-tiles allows', async () => {
    const grown = freshDir('grown');
    const all = sampleEntries(512);
    writeExport(grown, all, { key: log });
    const older = freshDir('older');
    writeExport(older, all.slice(0, 300), { key: log });
    cpSync(path.join(older, 'tile/1/000.p'), path.join(grown, 'tile/1/000.p'), { recursive: true }); // only the level-1 partial of size 300 is kept
    cpSync(path.join(older, 'checkpoint'), path.join(grown, 'checkpoint'));
    const report = await verifyExportDir(grown, { keys });
    expect(report.checkpoint.checkpoint.size).toBe(300n);
  });

  it('warns when the export lists another log key than the one given', async () => {
    const listed = freshDir('listed');
    writeExport(listed, sampleEntries(3), { key: log, vkeys: [newKey(log.name).vkey] });
    expect((await verifyExportDir(listed, { keys })).warnings.join()).toMatch(/vkeys file names another log key/);
  });

  it('rejects an export without a key of its own or given', async () => {
    await expect(verifyExportDir(dir)).rejects.toThrow(/no log key given and the export has no vkeys file/);
  });

  it('rejects an export whose checkpoint lacks the witness quorum', async () => {
    await expect(verifyExportDir(dir, { keys, witnesses: [witness.vkey] })).rejects.toThrow(/quorum is 1/);
  });

  it('wrote the layout tlog-tiles describes (the writer, checked against the spec example)', () => {
    const fullTiles = Array.from({ length: 273 }, (_, i) => String(i).padStart(3, '0'));
    expect(readdirSync(path.join(dir, 'tile/0')).sort()).toEqual([...fullTiles, '273.p']);
    expect(readdirSync(path.join(dir, 'tile/entries')).sort()).toEqual([...fullTiles, '273.p']);
    expect(readdirSync(path.join(dir, 'tile/0/273.p'))).toEqual(['112']);
    expect(readdirSync(path.join(dir, 'tile/1')).sort()).toEqual(['000', '001.p']);
    expect(readdirSync(path.join(dir, 'tile/1/001.p'))).toEqual(['17']);
    expect(readdirSync(path.join(dir, 'tile/2'))).toEqual(['000.p']);
    expect(readdirSync(path.join(dir, 'tile/2/000.p'))).toEqual(['1']);
  });
});
