import { NestFactory } from '@nestjs/core';
import { FastifyAdapter, NestFastifyApplication } from '@nestjs/platform-fastify';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import type { IncomingMessage } from 'node:http';
import { randomUUID } from 'node:crypto';
import { AppModule } from './app.module';
import { BODY_LIMIT_BYTES, useJsonBodies } from './common/json-bodies';
import { Clock } from './common/clock';
import { validationPipe } from './common/validation';
import { AppConfig } from './config/app-config';
import { recordHttpMetrics } from './operations/http-metrics';
import { Metrics } from './operations/metrics';
import { ReadYourWritesGuard } from './operations/read-your-writes.guard';

const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_PATTERN = /^[\w.:-]{1,100}$/;

/** A client's correlation id is kept (if sane) so its calls can be followed across logs; else one is made. */
function correlationIdOf(request: IncomingMessage): string {
  const given = request.headers[CORRELATION_HEADER];
  // Kept on the raw request too: the request logger (pino-http) sees only that one.
  const id = typeof given === 'string' && CORRELATION_PATTERN.test(given) ? given : randomUUID();
  (request as IncomingMessage & { id?: string }).id = id;
  return id;
}

/**
 * Builds the whole service; main.ts listens with it, e2e tests drive it through supertest.
 * Fastify, not Express: the same Nest pipeline costs about half as much per request here (see
 * docs/architecture.md, "Reads under load").
 */
export async function createApp(config: AppConfig, options: { clock?: Clock } = {}): Promise<NestFastifyApplication> {
  const adapter = new FastifyAdapter({
    bodyLimit: BODY_LIMIT_BYTES,
    routerOptions: { ignoreTrailingSlash: true },
    genReqId: correlationIdOf,
    // Off by default: X-Forwarded-For is believed only from the proxies TRUST_PROXY names (request.ip, the login throttle's address).
    trustProxy: config.trustProxy,
  });
  const app = await NestFactory.create<NestFastifyApplication>(AppModule.forRoot(config, options.clock), adapter, {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  const fastify = app.getHttpAdapter().getInstance();
  useJsonBodies(fastify);
  fastify.addHook('onRequest', (request, reply, done) => {
    reply.header('X-Correlation-Id', request.id);
    done();
  });
  // After the token and access guards (APP_GUARD, added at create): see ReadYourWritesGuard.
  app.useGlobalGuards(app.get(ReadYourWritesGuard));
  recordHttpMetrics(fastify, app.get(Metrics));
  app.useGlobalPipes(validationPipe());
  app.setGlobalPrefix('api/v1', { exclude: ['health', 'metrics'] });
  app.enableShutdownHooks();
  const document = SwaggerModule.createDocument(
    app,
    new DocumentBuilder()
      .setTitle('Zhurnal — the event-sourced school journal')
      .setDescription('Class journal (ЭЖ) and diary (ЭД) kept as an append-only log of events. Contract: API.md v1.')
      .setVersion('1')
      .addBearerAuth()
      .build(),
  );
  SwaggerModule.setup('docs', app, document, { jsonDocumentUrl: 'docs-json' });
  return app;
}
