import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { ProjectionRunner } from '../../projections/projection-runner';
import { comparePositions, formatPosition } from '../event-store/position';

/** Views further behind than this make the service unhealthy: reads would show stale data. */
export const MAX_HEALTHY_LAG_SECONDS = 30;

/**
 * The views' part of /health. Down: a projector error (only new code fixes it), or live views more
 * than 30 s behind. Up but `degraded`: the runner is retrying after an error that may pass (a lost
 * connection), with the reason in plain words. A rebuild is progress (`rebuilds`: percent, ETA),
 * not lag: views waiting for their rebuild are listed as `rebuilding` and left out of the lag.
 */
export async function viewsHealth(indicators: HealthIndicatorService, runner: ProjectionRunner, onError?: (error: unknown) => void): Promise<HealthIndicatorResult> {
  const indicator = indicators.check('views');
  const status = await runner.status();
  // A database that does not answer is a reason in plain words here; the driver's text goes to the log.
  let oldest;
  try {
    oldest = await runner.oldestUnprocessed();
  } catch (error) {
    onError?.(error);
    return indicator.down({ role: status.role, reason: 'The views lag cannot be read: the database does not answer.' });
  }
  const lagSeconds = oldest ? Math.max(0, (Date.now() - Date.parse(oldest.recordedAt)) / 1000) : 0;
  const live = runner.projectors.map((p) => p.name).filter((name) => !status.frozen.includes(name));
  const lowest = live.map((name) => runner.position(name)).sort(comparePositions)[0];
  const details = {
    role: status.role,
    lagSeconds,
    position: formatPosition(lowest ?? runner.position()),
    ...(status.rebuilds.length > 0
      ? { rebuilds: status.rebuilds.map((r) => ({ views: r.views, percent: r.percent, etaSeconds: r.etaSeconds, eventsApplied: r.eventsApplied, eventsTotal: r.eventsTotal, ...(r.failure ? { failure: r.failure } : {}) })) }
      : {}),
    ...(status.frozen.length > 0 ? { rebuilding: status.frozen } : {}),
    retries: status.retries,
  };
  const failure = status.failure;
  if (failure?.permanent) return indicator.down({ ...details, reason: failure.reason, attempts: failure.attempts, retryInSeconds: failure.retryInMs / 1000 });
  if (lagSeconds > MAX_HEALTHY_LAG_SECONDS) return indicator.down({ ...details, reason: failure?.reason ?? 'views are behind' });
  if (failure) return indicator.up({ ...details, degraded: true, reason: failure.reason, attempts: failure.attempts, retryInSeconds: failure.retryInMs / 1000 });
  return indicator.up(details);
}
