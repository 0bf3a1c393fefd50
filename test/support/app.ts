import { NestFastifyApplication } from '@nestjs/platform-fastify';
import { createApp } from '../../src/app';
import { Clock } from '../../src/common/clock';
import { AppConfig, loadConfig } from '../../src/config/app-config';
import { testDatabaseEnv } from './database';

export interface TestApp {
  readonly app: NestFastifyApplication;
  // The Node server supertest talks to.
  readonly server: ReturnType<NestFastifyApplication['getHttpServer']>;
  close(): Promise<void>;
}

interface AppOptions {
  env?: Record<string, string>;
  clock?: Clock;
  /** Runs before init, when routes are registered: a test may watch them (Fastify's onRoute) or wrap handlers first. */
  beforeInit?: (app: NestFastifyApplication) => void;
}

/** The service, initialised and ready, on the database `env` names (a second instance on it, a restart). */
export async function startAppOn(env: Record<string, string>, options: AppOptions = {}): Promise<{ app: NestFastifyApplication; config: AppConfig }> {
  const config = loadConfig({ LOG_LEVEL: process.env.LOG_LEVEL ?? 'silent', PROJECTION_POLL_MS: '10', ...env, ...options.env });
  const app = await createApp(config, { clock: options.clock });
  options.beforeInit?.(app);
  await app.init();
  await app.getHttpAdapter().getInstance().ready();
  return { app, config };
}

/** The whole service, wired as in production, on a fresh database of the run's kind. */
export async function startTestApp(options: AppOptions = {}): Promise<TestApp> {
  const database = await testDatabaseEnv();
  const { app } = await startAppOn(database.env, options);
  return {
    app,
    server: app.getHttpServer(),
    close: async () => {
      await app.close();
      await database.drop();
    },
  };
}
