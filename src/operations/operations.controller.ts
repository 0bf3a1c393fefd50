import { ArgumentsHost, Catch, Controller, ExceptionFilter, Get, Header, Inject, Logger, ServiceUnavailableException, UseFilters, UseGuards } from '@nestjs/common';
import type { HttpReply as Response } from '../common/http';
import { ApiExcludeEndpoint, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ProjectionRunner } from '../../projections/projection-runner';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { Public } from '../auth/access';
import { Metrics } from './metrics';
import { MetricsAccessGuard } from './metrics-access.guard';
import { viewsHealth } from './views-health';
import { LedgerBuilder } from '../ledger/ledger-builder';
import { ledgerHealth } from '../ledger/ledger-health';
import { LedgerStore } from '../ledger/ledger-store';
import { CLOCK, Clock } from '../common/clock';
import { NotificationWorker } from '../notifications/notification-worker';
import { notificationsHealth } from '../notifications/notifications-health';
import { OutboxFollower } from '../notifications/outbox-follower';
import { OutboxStore } from '../notifications/outbox-store';

/** /health answers with Terminus' own report when down (which check, and why): it is for operators' tools. */
@Catch(ServiceUnavailableException)
class HealthReportFilter implements ExceptionFilter {
  catch(exception: ServiceUnavailableException, host: ArgumentsHost): void {
    void host.switchToHttp().getResponse<Response>().status(exception.getStatus()).send(exception.getResponse());
  }
}

@ApiTags('operations')
@Controller()
export class OperationsController {
  private readonly logger = new Logger('health');

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(EVENT_STORE) private readonly store: EventStore,
    private readonly runner: ProjectionRunner,
    private readonly metrics: Metrics,
    private readonly ledger: LedgerBuilder,
    private readonly ledgerStore: LedgerStore,
    private readonly outbox: OutboxStore,
    private readonly outboxFollower: OutboxFollower,
    private readonly notificationWorker: NotificationWorker,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  @Get('health')
  @Public()
  @HealthCheck()
  @UseFilters(HealthReportFilter)
  @ApiOkResponse({ description: 'The event store answers and the views keep up' })
  check() {
    return this.health.check([
      async () => {
        const indicator = this.indicators.check('store');
        try {
          await this.store.ping();
          return indicator.up({ kind: this.store.kind });
        } catch (error) {
          // The driver's text names hosts, users and databases: the log has it, the answer says it in plain words.
          this.logger.error({ err: error }, 'health: the event store does not answer');
          return indicator.down({ kind: this.store.kind, reason: 'The event store does not answer.' });
        }
      },
      () => viewsHealth(this.indicators, this.runner, (error) => this.logger.error({ err: error }, 'health: the views lag cannot be read')),
      async () => {
        try {
          return await ledgerHealth(this.indicators, this.ledger, this.ledgerStore);
        } catch (error) {
          this.logger.error({ err: error }, 'health: the ledger cannot be read');
          return this.indicators.check('ledger').down({ reason: 'The ledger cannot be read: the database does not answer.' });
        }
      },
      async () => {
        try {
          return await notificationsHealth(this.indicators, this.outbox, this.outboxFollower, this.notificationWorker, this.clock.now());
        } catch (error) {
          this.logger.error({ err: error }, 'health: the notification outbox cannot be read');
          return this.indicators.check('notifications').up({ degraded: true, reason: 'The notification outbox cannot be read: the database does not answer.' });
        }
      },
    ]);
  }

  @Get('metrics')
  @Public()
  @UseGuards(MetricsAccessGuard)
  @ApiExcludeEndpoint()
  @Header('Content-Type', 'text/plain; version=0.0.4; charset=utf-8')
  scrape(): Promise<string> {
    return this.metrics.registry.metrics();
  }
}
