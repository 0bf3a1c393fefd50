import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';
import type { RunnerStatus } from '../../projections/projection-runner';

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

  constructor(projectionLagSeconds: () => Promise<number>, runnerStatus?: () => Promise<RunnerStatus>) {
    collectDefaultMetrics({ register: this.registry, prefix: 'zhurnal_' });
    if (runnerStatus) this.runnerMetrics(runnerStatus);
    this.projectionLag = new Gauge({
      name: 'zhurnal_projection_lag_seconds',
      help: 'Age of the oldest event the views have not applied yet (0 when caught up)',
      registers: [this.registry],
      async collect() {
        this.set(await projectionLagSeconds());
      },
    });
  }

  /** The notification outbox (issue 17): what waits, for how long, and what became of each delivery. */
  readonly notificationsDelivered = new Counter({
    name: 'zhurnal_notifications_total',
    help: 'Notification deliveries by channel and outcome (sent, retried, failed, cancelled)',
    labelNames: ['channel', 'outcome'] as const,
    registers: [this.registry],
  });

  readonly notificationLatency = new Histogram({
    name: 'zhurnal_notification_delivery_seconds',
    help: 'From a notification falling due in the outbox to its delivery (or giving up)',
    labelNames: ['channel', 'outcome'] as const,
    buckets: [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 3600],
    registers: [this.registry],
  });

  /** The outbox's queue as the database holds it, read once per scrape. */
  watchOutbox(stats: () => Promise<{ pending: number; oldestDueSeconds: number; failed: number }>): void {
    let look: { at: number; stats: Promise<{ pending: number; oldestDueSeconds: number; failed: number }> } | undefined;
    const current = () => {
      if (!look || performance.now() - look.at > 500) look = { at: performance.now(), stats: stats() };
      return look.stats;
    };
    new Gauge({
      name: 'zhurnal_notifications_queue_depth',
      help: 'Notifications in the outbox not delivered yet (due now or later)',
      registers: [this.registry],
      async collect() {
        this.set((await current()).pending);
      },
    });
    new Gauge({
      name: 'zhurnal_notifications_oldest_due_seconds',
      help: 'How long the oldest notification due has waited (0 when none waits)',
      registers: [this.registry],
      async collect() {
        this.set((await current()).oldestDueSeconds);
      },
    });
    new Gauge({
      name: 'zhurnal_notifications_failed',
      help: 'Notifications given up after their last attempt (NotificationFailed in the log)',
      registers: [this.registry],
      async collect() {
        this.set((await current()).failed);
      },
    });
  }

  /** What an in-memory cache holds, by its own estimate (each is held to a budget of bytes: REPOSITORY_CACHE_MB, ...). */
  watchCacheBytes(cache: string, bytes: () => number): void {
    this.cacheBytes.set({ cache }, 0);
    this.cacheSources.set(cache, bytes);
  }

  private readonly cacheSources = new Map<string, () => number>();
  private readonly cacheBytes = new Gauge({
    name: 'zhurnal_cache_bytes',
    help: 'Bytes an in-memory cache holds, as it estimates them (bounded by its budget)',
    labelNames: ['cache'] as const,
    registers: [this.registry],
    collect: () => {
      for (const [cache, bytes] of this.cacheSources) this.cacheBytes.set({ cache }, bytes());
    },
  });

  /** The runner's health for alerts: up or retrying, leader or not, errors retried, rebuilds' progress. */
  private runnerMetrics(runnerStatus: () => Promise<RunnerStatus>): void {
    // One look at the runner per scrape, shared by the metrics below.
    let look: { at: number; status: Promise<RunnerStatus> } | undefined;
    const status = () => {
      if (!look || performance.now() - look.at > 500) look = { at: performance.now(), status: runnerStatus() };
      return look.status;
    };
    let counted = 0;
    new Counter({
      name: 'zhurnal_projection_retries_total',
      help: 'Errors the projection runner retried after (with back-off) since the process started',
      registers: [this.registry],
      async collect() {
        const { retries } = await status();
        if (retries > counted) this.inc(retries - counted);
        counted = retries;
      },
    });
    new Gauge({
      name: 'zhurnal_projection_runner_up',
      help: '1 while the projection runner runs (as leader or follower) without an error, 0 while it retries or is stopped',
      registers: [this.registry],
      async collect() {
        const { role, failure } = await status();
        this.set(role !== 'stopped' && failure === null ? 1 : 0);
      },
    });
    new Gauge({
      name: 'zhurnal_projection_leader',
      help: '1 when this process writes the views, 0 when it follows another',
      registers: [this.registry],
      async collect() {
        this.set((await status()).role === 'leader' ? 1 : 0);
      },
    });
    new Gauge({
      name: 'zhurnal_projection_rebuild_progress_ratio',
      help: 'Share of the log a rebuild under way has applied (by generation and views)',
      labelNames: ['generation', 'views'] as const,
      registers: [this.registry],
      async collect() {
        this.reset();
        for (const rebuild of (await status()).rebuilds) {
          if (rebuild.percent !== null) this.set({ generation: String(rebuild.generation), views: rebuild.views.join(',') }, rebuild.percent / 100);
        }
      },
    });
  }
}
