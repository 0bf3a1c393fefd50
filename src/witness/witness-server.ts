import { randomBytes } from 'node:crypto';
import { chmod, mkdir, open, readFile, rename, writeFile } from 'node:fs/promises';
import { createServer, IncomingMessage, Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { dirname, join } from 'node:path';
import { parseVerifierKey, type VerifierKey } from '../verifier/note';
import { addCheckpoint, Cosigner, cosignerFromSeed, WitnessState } from './domain/witness';

export interface WitnessOptions {
  /** The witness's name: its key's name, in every co-signature line. */
  readonly name: string;
  /** Where its key (made on first start) and its state live. */
  readonly dir: string;
  /** vkeys of the logs it witnesses. */
  readonly logs: readonly string[];
  readonly port?: number;
  readonly host?: string;
  readonly log?: (object: object, message: string) => void;
}

export interface RunningWitness {
  readonly url: string;
  readonly vkey: string;
  close(): Promise<void>;
}

const MAX_BODY = 64 * 1024;

async function loadSeed(dir: string): Promise<Buffer> {
  const file = join(dir, 'witness.key');
  try {
    const seed = Buffer.from((await readFile(file, 'utf8')).trim(), 'base64');
    if (seed.length !== 32) throw new Error(`${file} does not hold a 32-byte Ed25519 seed in base64`);
    return seed;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'ENOENT') throw error;
    const seed = randomBytes(32);
    await writeFile(file, `${seed.toString('base64')}\n`, { mode: 0o600 });
    await chmod(file, 0o600);
    return seed;
  }
}

async function loadState(file: string): Promise<WitnessState> {
  try {
    return JSON.parse(await readFile(file, 'utf8')) as WitnessState;
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return {};
    throw error;
  }
}

/** Writes the state to a new file, flushes it, renames it over the old one and flushes the folder: a power loss keeps the old or the new state, never neither, never an older one once answered. */
async function persist(file: string, text: string): Promise<void> {
  const fresh = await open(`${file}.new`, 'w');
  try {
    await fresh.writeFile(text);
    await fresh.sync();
  } finally {
    await fresh.close();
  }
  await rename(`${file}.new`, file);
  const folder = await open(dirname(file), 'r');
  try {
    await folder.sync();
  } finally {
    await folder.close();
  }
}

function readBody(request: IncomingMessage): Promise<string | null> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let length = 0;
    request.on('data', (chunk: Buffer) => {
      length += chunk.length;
      if (length <= MAX_BODY) chunks.push(chunk);
    });
    request.on('end', () => resolve(length > MAX_BODY ? null : Buffer.concat(chunks).toString('utf8')));
    request.on('error', reject);
  });
}

/**
 * A witness as a small HTTP server (C2SP tlog-witness): `POST /add-checkpoint`, and `GET /key` for
 * its vkey. Requests are decided one at a time (each once its whole body is in) and the new state is written (to a new file, then
 * renamed over the old) before the co-signature is answered, so a crash never forgets a size it
 * co-signed and two requests never race (the rollback tlog-witness warns of).
 */
export async function startWitness(options: WitnessOptions): Promise<RunningWitness> {
  await mkdir(options.dir, { recursive: true });
  const cosigner: Cosigner = cosignerFromSeed(options.name, await loadSeed(options.dir));
  const logKeys: VerifierKey[] = options.logs.map(parseVerifierKey);
  const stateFile = join(options.dir, 'state.json');
  let state = await loadState(stateFile);
  let queue: Promise<unknown> = Promise.resolve();
  const log = options.log ?? (() => undefined);

  const server: Server = createServer((request, response) => {
    const send = (status: number, contentType: string, body: string) => response.writeHead(status, { 'content-type': contentType }).end(body);
    if (request.method === 'GET' && request.url === '/key') return send(200, 'text/plain; charset=utf-8', `${cosigner.vkey}\n`);
    if (request.url !== '/add-checkpoint') return send(404, 'text/plain; charset=utf-8', 'not found\n');
    if (request.method !== 'POST') return send(405, 'text/plain; charset=utf-8', 'POST only\n');
    // The body is read first, outside the queue: a slow sender must not hold other logs' requests.
    void readBody(request).then((body) => {
      if (body === null) return send(413, 'text/plain; charset=utf-8', 'the body is too large\n');
      const work = queue.then(async () => {
        const answer = addCheckpoint(body, state, logKeys, cosigner, BigInt(Math.floor(Date.now() / 1000)));
        if (answer.state) {
          await persist(stateFile, JSON.stringify(answer.state));
          state = answer.state;
        }
        log({ status: answer.status, reason: answer.status === 200 ? undefined : answer.body.trim() }, answer.status === 200 ? 'co-signed a checkpoint' : 'refused a checkpoint');
        send(answer.status, answer.contentType, answer.body);
      });
      queue = work.catch((error: unknown) => {
        log({ err: String(error) }, 'add-checkpoint failed');
        if (!response.headersSent) send(500, 'text/plain; charset=utf-8', 'the witness could not record the checkpoint\n');
      });
    }, () => send(400, 'text/plain; charset=utf-8', 'the body could not be read\n'));
  });
  await new Promise<void>((resolve) => server.listen(options.port ?? 0, options.host ?? '127.0.0.1', resolve));
  const address = server.address() as AddressInfo;
  return {
    url: `http://${address.address}:${address.port}`,
    vkey: cosigner.vkey,
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
