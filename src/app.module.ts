import { DynamicModule, Module, RequestMethod } from '@nestjs/common';
import { APP_FILTER, APP_INTERCEPTOR } from '@nestjs/core';
import { CqrsModule } from '@nestjs/cqrs';
import { TerminusModule } from '@nestjs/terminus';
import { LoggerModule } from 'nestjs-pino';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { Clock } from './common/clock';
import { ErrorFilter } from './common/error.filter';
import { AppConfig } from './config/app-config';
import { AccountsModule } from './accounts/accounts.module';
import { AuthModule } from './auth/auth.module';
import { SchoolModule } from './school/school.module';
import { JournalModule } from './journal/journal.module';
import { ParentsModule } from './parents/parents.module';
import { SecurityModule } from './security/security.module';
import { InfrastructureModule } from './infrastructure/infrastructure.module';
import { HttpMetricsInterceptor } from './operations/http-metrics.interceptor';
import { IdempotencyInterceptor } from './operations/idempotency.interceptor';
import { OperationsController } from './operations/operations.controller';
import { ReadYourWritesInterceptor } from './operations/read-your-writes.interceptor';

const CORRELATION_HEADER = 'x-correlation-id';
const CORRELATION_PATTERN = /^[\w.:-]{1,100}$/;

@Module({})
export class AppModule {
  static forRoot(config: AppConfig, clock?: Clock): DynamicModule {
    return {
      module: AppModule,
      imports: [
        LoggerModule.forRoot({
          // Express 5 route syntax; nestjs-pino's default '*' makes Nest warn at every start.
          forRoutes: [{ path: '{*path}', method: RequestMethod.ALL }],
          pinoHttp: {
            level: config.LOG_LEVEL,
            // A client's correlation id is kept (if sane) so its calls can be followed across logs.
            genReqId: (request: IncomingMessage, response: ServerResponse) => {
              const given = request.headers[CORRELATION_HEADER];
              const id = typeof given === 'string' && CORRELATION_PATTERN.test(given) ? given : randomUUID();
              response.setHeader('X-Correlation-Id', id);
              return id;
            },
            customAttributeKeys: { reqId: 'correlationId' },
            // Credentials never reach the log: no headers, no bodies.
            serializers: {
              req: (request: { id: string; method: string; url: string }) => ({ correlationId: request.id, method: request.method, url: request.url }),
              res: (response: { statusCode: number }) => ({ statusCode: response.statusCode }),
            },
            redact: { paths: ['req.headers.authorization', '*.password', '*.accessToken'], censor: '[hidden]' },
            autoLogging: { ignore: (request: IncomingMessage) => request.url === '/health' || request.url === '/metrics' },
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
      ],
      controllers: [OperationsController],
      providers: [
        { provide: APP_FILTER, useClass: ErrorFilter },
        { provide: APP_INTERCEPTOR, useClass: HttpMetricsInterceptor },
        { provide: APP_INTERCEPTOR, useClass: ReadYourWritesInterceptor },
        { provide: APP_INTERCEPTOR, useClass: IdempotencyInterceptor },
      ],
    };
  }
}
