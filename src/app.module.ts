import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { APP_FILTER } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage } from 'node:http';
import { Clock } from './common/clock';
import { ErrorFilter } from './common/error.filter';
import { AppConfig } from './config/app-config';
import { AccountsModule } from './accounts/accounts.module';
import { AuthModule } from './auth/auth.module';
import { SchoolModule } from './school/school.module';
import { JournalModule } from './journal/journal.module';
import { ParentsModule } from './parents/parents.module';
import { SecurityModule } from './security/security.module';
import { LedgerModule } from './ledger/ledger.module';
import { PrivacyModule } from './privacy/privacy.module';
import { ReportsModule } from './reports/reports.module';
import { NotificationsModule } from './notifications/notifications.module';
import { FeedModule } from './feed/feed.module';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { OperationsController } from './operations/operations.controller';
import { ReadYourWritesGuard } from './operations/read-your-writes.guard';
import { IdempotencyPurge } from './operations/idempotency-purge';

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, clock?: Clock): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          // Every route ('{*path}': nestjs-pino's default '*' makes Nest warn at every start). At
          // `silent` none: the per-request child logger cost ~4% of a read's CPU to log nothing.
          forRoutes: config.LOG_LEVEL === 'silent' ? [] : [{ path: '{*path}', method: RequestMethod.ALL }],
          pinoHttp: {
            level: config.LOG_LEVEL,
            // The correlation id Fastify gave the request (src/app.ts), so log lines and events agree.
            genReqId: (request: IncomingMessage) => (request as IncomingMessage & { id?: string }).id ?? randomUUID(),
            customAttributeKeys: { reqId: 'correlationId' },
            // Credentials never reach the log: no headers, no bodies.
            serializers: {
              req: (request: { id: string; method: string; url: string }) => ({ correlationId: request.id, method: request.method, url: request.url }),
              res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
            },
            redact: { paths: ['req.headers.authorization', '*.password', '*.accessToken'], censor: '[hidden]' },
            // Under Fastify's middleware engine `url` is relative to the mount: the full path is `originalUrl`.
            autoLogging: {
              ignore: (request: IncomingMessage & { originalUrl?: string }) => ['/health', '/metrics'].includes(request.originalUrl ?? request.url ?? ''),
            },
          },
        }),
        CqrsModule.forRoot(),
        TerminusModule,
        InfrastructureModule.forRoot({ config, clock }),
        AuthModule,
        AccountsModule,
        SchoolModule,
        JournalModule,
        ParentsModule,
        SecurityModule,
        LedgerModule,
        PrivacyModule,
        ReportsModule,
        NotificationsModule,
        FeedModule,
      ],
      controllers: [OperationsController],
      providers: [
        { provide: APP_FILTER, useClass: ErrorFilter },
        ReadYourWritesGuard,
        IdempotencyPurge,
      ],
    };
  }
}
