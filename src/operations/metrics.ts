import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

/** The service's Prometheus registry: one per process, so tests can build their own. */
export class Metrics {
  readonly registry = new Registry();

  readonly eventsAppended = new Counter({
    name: 'zhurnal_events_appended_total',
    help: 'Events written to the log',
    labelNames: ['store'] as const,
    registers: [this.registry],
  });

  readonly appendDuration = new Histogram({
    name: 'zhurnal_append_duration_seconds',
    help: 'Time to append one batch of events, conflicts included',
    labelNames: ['store', 'outcome'] as const,
    buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
    registers: [this.registry],
  });

  readonly httpDuration = new Histogram({
    name: 'zhurnal_http_request_duration_seconds',
    help: 'HTTP requests by route and status',
    labelNames: ['method', 'route', 'status'] as const,
    buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers: [this.registry],
  });

  readonly projectionLag: Gauge<string>;

  constructor(projectionLagSeconds: () => Promise<number>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'zhurnal_' });
    this.projectionLag = new Gauge({
      name: 'zhurnal_projection_lag_seconds',
      help: 'Age of the oldest event the views have not applied yet (0 when caught up)',
      registers: [this.registry],
      async collect() {
        this.set(await projectionLagSeconds());
      },
    });
  }
}
