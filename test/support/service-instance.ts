import { ChildProcess, spawn } from 'node:child_process';
import { join } from 'node:path';
import { createInterface } from 'node:readline';

/** The service running as a process of its own: killed with SIGKILL, it is the crash under test. */
export interface ServiceInstance {
  readonly url: string;
  readonly child: ChildProcess;
  readonly exited: Promise<unknown>;
  alive: boolean;
}

/** Starts the service (test/support/service-process.ts), configured from `env`, once it listens. */
export async function startServiceInstance(env: Record<string, string>): Promise<ServiceInstance> {
  const child = spawn(process.execPath, ['-r', join(__dirname, 'register-ts.js'), join(__dirname, 'service-process.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr!.on('data', (chunk) => (stderr += chunk));
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve(signal ?? code)));
  const port = await new Promise<string>((resolve, reject) => {
    createInterface({ input: child.stdout! }).on('line', (line) => line.startsWith('LISTENING ') && resolve(line.slice('LISTENING '.length)));
    void exited.then((ending) => reject(new Error(`an instance ended (${String(ending)}) before it listened: ${stderr}`)));
  });
  return { url: `http://127.0.0.1:${port}`, child, exited, alive: true };
}
