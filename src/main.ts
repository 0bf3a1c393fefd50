import 'reflect-metadata';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config/app-config';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.PORT, config.HOST);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost');
  // The one plain line a newcomer reads after `npm start`; everything else is JSON logs.
  process.stdout.write(
    `\nZhurnal is running at ${url}  (API ${url}/api/v1, docs ${url}/docs, health ${url}/health)\n` +
      `Store: ${config.storeDescription}.\n\n`,
  );
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
  } else {
    process.stderr.write(`The service could not start: ${(error as Error).stack ?? String(error)}\n`);
  }
  process.exit(1);
});
