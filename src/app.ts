import { NestFactory } from '@nestjs/core';
import { NestExpressApplication } from '@nestjs/platform-express';
import { DocumentBuilder, SwaggerModule } from '@nestjs/swagger';
import { Logger } from 'nestjs-pino';
import { AppModule } from './app.module';
import { bodyErrors } from './common/body-errors';
import { Clock } from './common/clock';
import { validationPipe } from './common/validation';
import { AppConfig } from './config/app-config';

/** Larger bodies get 413 PAYLOAD_TOO_LARGE (API.md). */
export const BODY_LIMIT = '256kb';

/** Builds the whole service; main.ts listens with it, e2e tests drive it through supertest. */
export async function createApp(config: AppConfig, options: { clock?: Clock } = {}): Promise<NestExpressApplication> {
  const app = await NestFactory.create<NestExpressApplication>(AppModule.forRoot(config, options.clock), {
    bodyParser: false,
    bufferLogs: true,
  });
  app.useLogger(app.get(Logger));
  app.useBodyParser('json', { limit: BODY_LIMIT });
  app.use(bodyErrors);
  app.useGlobalPipes(validationPipe());
  app.setGlobalPrefix('api/v1', { exclude: ['health', 'metrics'] });
  app.enableShutdownHooks();
  app.disable('x-powered-by');
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
