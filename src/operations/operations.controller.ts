import { ArgumentsHost, Catch, Controller, ExceptionFilter, Get, Header, Inject, Logger, ServiceUnavailableException, UseFilters, UseGuards } from '@nestjs/common';
import type { HttpReply as Response } from '../common/http';
import { ApiExcludeEndpoint, ApiOkResponse, ApiTags } from '@nestjs/swagger';
import { HealthCheck, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { ProjectionRunner } from '../../projections/projection-runner';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { formatPosition } from '../event-store/position';
import { Public } from '../auth/access';
import { Metrics } from './metrics';
import { MetricsAccessGuard } from './metrics-access.guard';

/** Views further behind than this make the service unhealthy: reads would show stale data. */
const MAX_HEALTHY_LAG_SECONDS = 30;

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
      async () => {
        const indicator = this.indicators.check('views');
        const failure = this.runner.failed;
        const oldest = await this.runner.oldestUnprocessed().catch((error: unknown) => {
          this.logger.error({ err: error }, 'health: the views lag cannot be read');
          return 'unknown' as const;
        });
        if (oldest === 'unknown') return indicator.down({ reason: 'The views lag cannot be read: the database does not answer.' });
        const lagSeconds = oldest ? Math.max(0, (Date.now() - Date.parse(oldest.recordedAt)) / 1000) : 0;
        const details = { lagSeconds, position: formatPosition(this.runner.position()) };
        // The runner has logged the failure with its details.
        if (failure) return indicator.down({ ...details, reason: 'The views stopped on an error. The log has the details.' });
        return lagSeconds <= MAX_HEALTHY_LAG_SECONDS ? indicator.up(details) : indicator.down({ ...details, reason: 'views are behind' });
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
