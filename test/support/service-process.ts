/**
 * One instance of the service as a child process of a test (test/e2e/instances.e2e.test.ts):
 * configured from its environment like `npm start`, listening on a free port it prints as
 * "LISTENING <port>". SIGTERM shuts it down as in production; SIGKILL is the crash under test.
 */
import 'reflect-metadata';
import type { AddressInfo } from 'node:net';
import { createApp } from '../../src/app';
import { loadConfig } from '../../src/config/app-config';

async function main(): Promise<void> {
  const app = await createApp(loadConfig());
  await app.listen(0, '127.0.0.1');
  const { port } = app.getHttpServer().address() as AddressInfo;
  process.stdout.write(`LISTENING ${port}\n`);
}

main().catch((error: unknown) => {
  process.stderr.write(`service-process failed: ${(error as Error).stack ?? String(error)}\n`);
  process.exit(2);
});
