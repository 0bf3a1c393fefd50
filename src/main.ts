import 'reflect-metadata';
import { AdminBootstrap } from './accounts/admin-bootstrap';
import { createApp } from './app';
import { ConfigError, loadConfig } from './config/app-config';

async function main(): Promise<void> {
  const config = loadConfig();
  const app = await createApp(config);
  await app.listen(config.PORT, config.HOST);
  const url = (await app.getUrl()).replace('[::1]', 'localhost').replace('0.0.0.0', 'localhost');
  // The plain lines a newcomer reads after `npm start`; everything else is JSON logs.
  const bootstrap = app.get(AdminBootstrap).outcome;
  const admin =
    bootstrap.kind === 'created' && bootstrap.generatedPassword
      ? `Created the admin account: login "${bootstrap.login}", password ${bootstrap.generatedPassword} (shown this once; set ADMIN_PASSWORD to choose it).`
      : bootstrap.kind === 'created'
        ? `Created the admin account "${bootstrap.login}" with the password in ADMIN_PASSWORD.`
        : `Sign in as "${config.ADMIN_LOGIN}" with the password set when this deployment first started.`;
  process.stdout.write(
    `\nZhurnal is running at ${url}  (API ${url}/api/v1, docs ${url}/docs, health ${url}/health)\n` +
      `Store: ${config.storeDescription}.\n${admin}\nSign in: POST ${url}/api/v1/auth/login {"login","password"}\n\n`,
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
