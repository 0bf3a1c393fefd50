import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { AddressInfo } from 'node:net';
import { generateSigner } from '../../src/ledger/domain/note';
import { trustPolicy, verifyCheckpoint } from '../../src/verifier/checkpoint';
import { verifyLogUrl } from '../../src/verifier/url';
import { RunningWitness, startWitness } from '../../src/witness/witness-server';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api } from '../support/school-fixture';

const ORIGIN = 'zhurnal.test/witnessed-ledger';

/**
 * Two witnesses (`npm run witness`: the education office, the archive), each its own process state
 * and key, co-sign the service's checkpoints; a checkpoint is served once both did (quorum 2).
 */
describe(`witnessed checkpoints (${TEST_DATABASE_KIND})`, () => {
  const { signer, signerKey } = generateSigner(ORIGIN);
  let archivePort: number;
  let dirs: string[];
  let office: RunningWitness;
  let archive: RunningWitness;
  let subject: TestApp;
  let origin: string;

  const checkpoint = async (): Promise<string | null> => {
    const answer = await fetch(`${origin}/api/v1/ledger/checkpoint`);
    return answer.status === 200 ? answer.text() : null;
  };
  /** Waits until the served checkpoint is larger than `size`. */
  async function servedAbove(size: number, withinMs = 10_000): Promise<string | null> {
    const until = Date.now() + withinMs;
    while (Date.now() < until) {
      const note = await checkpoint();
      if (note && Number(note.split('\n')[1]) > size) return note;
      await new Promise((resolve) => setTimeout(resolve, 100));
    }
    return null;
  }
  const sizeOf = (note: string | null) => Number(note?.split('\n')[1] ?? 0);

  beforeAll(async () => {
    dirs = [await mkdtemp(join(tmpdir(), 'witness-office-')), await mkdtemp(join(tmpdir(), 'witness-archive-'))];
    office = await startWitness({ name: 'office.test/witness', dir: dirs[0], logs: [signer.vkey] });
    archive = await startWitness({ name: 'archive.test/witness', dir: dirs[1], logs: [signer.vkey] });
    archivePort = Number(new URL(archive.url).port);
    subject = await startTestApp({
      env: {
        ADMIN_PASSWORD,
        LEDGER_ORIGIN: ORIGIN,
        LEDGER_SIGNING_KEY: signerKey,
        LEDGER_CHECKPOINT_SECONDS: '1',
        LEDGER_POLL_MS: '20',
        LEDGER_WITNESSES: `${office.url} ${office.vkey}, ${archive.url} ${archive.vkey}`,
      },
    });
    await subject.app.listen(0, '127.0.0.1');
    origin = `http://127.0.0.1:${(subject.app.getHttpServer().address() as AddressInfo).port}`;
  });
  afterAll(async () => {
    await subject?.close();
    await office?.close();
    await archive?.close();
    for (const dir of dirs ?? []) await rm(dir, { recursive: true, force: true });
  });

  it('serves checkpoints co-signed by both witnesses, which the independent verifier accepts with quorum 2', async () => {
    const note = await servedAbove(0);
    expect(note).not.toBeNull();
    const key = (await (await fetch(`${origin}/api/v1/ledger/key`)).text()).trim();
    const verified = verifyCheckpoint(note!, trustPolicy([key], [office.vkey, archive.vkey], 2));
    expect(verified.cosigners.map((c) => c.key.name).sort()).toEqual(['archive.test/witness', 'office.test/witness']);
    // The whole live log by URL: signature, quorum, and the tiles hash up to the root.
    const report = await verifyLogUrl(`${origin}/api/v1/ledger`, { keys: [key], witnesses: [office.vkey, archive.vkey], quorum: 2 });
    expect(report.checkpoint.checkpoint.size).toBeGreaterThanOrEqual(BigInt(sizeOf(note)));
  });

  it('with a witness down, no newer checkpoint is served; back up, it co-signs from the last size it saw', async () => {
    const before = sizeOf(await servedAbove(0));
    await archive.close();
    const client = api(subject.server);
    const admin = await client.login('admin', ADMIN_PASSWORD);
    expect((await client.post('/schools', admin, { name: 'Школа при одном свидетеле' })).status).toBe(201);
    // Signed by the log and the office, short of the archive: not served.
    expect(await servedAbove(before, 2500)).toBeNull();

    // Back where it was (its key and state kept in its folder): asked again from the last size it co-signed.
    archive = await startWitness({ name: 'archive.test/witness', dir: dirs[1], logs: [signer.vkey], port: archivePort });
    expect((await client.post('/schools', admin, { name: 'Школа при двух свидетелях' })).status).toBe(201);
    const after = await servedAbove(before);
    expect(after).not.toBeNull();
    const key = (await (await fetch(`${origin}/api/v1/ledger/key`)).text()).trim();
    expect(verifyCheckpoint(after!, trustPolicy([key], [office.vkey, archive.vkey], 2)).cosigners).toHaveLength(2);
  });
});
