import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app';
import { Clock } from '../../src/common/clock';
import { loadConfig } from '../../src/config/app-config';
import { testDatabaseEnv } from './database';

export interface TestApp {
  readonly app: NestFastifyApplication;
  // The Node server supertest talks to.
  readonly server: ReturnType<NestFastifyApplication['getHttpServer']>;
  close(): Promise<void>;
}

/** The whole service, wired as in production, on a fresh database of the run's kind. */
export async function startTestApp(
  options: { env?: Record<string, string>; clock?: Clock; beforeInit?: (app: NestFastifyApplication) => void } = {},
): Promise<TestApp> {
  const database = await testDatabaseEnv();
  const config = loadConfig({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', PROJECTION_POLL_MS: '10', ...database.env, ...options.env });
  const app = await createApp(config, { clock: options.clock });
  // Routes are registered at init: a test may watch them (Fastify's onRoute) or wrap handlers first.
  options.beforeInit?.(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return {
    app,
    server: app.getHttpServer(),
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
