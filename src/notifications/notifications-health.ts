import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { NotificationWorker } from './notification-worker';
import { OutboxFollower } from './outbox-follower';
import { OutboxStore } from './outbox-store';

/** Past this, notifications due and not delivered make the service degraded (a channel down, say). */
const STALE_SECONDS = 15 * 60;

/**
 * The outbox's part of /health: queue depth, the oldest notification due, failures. Never down:
 * parents not being told is for an operator to see, not a reason to take the journal away.
 */
export async function notificationsHealth(indicators: HealthIndicatorService, store: OutboxStore, follower: OutboxFollower, worker: NotificationWorker, now: Date): Promise<HealthIndicatorResult> {
  const indicator = indicators.check('notifications');
  const stats = await store.stats(now);
  const ready = worker.ready;
  const details = {
    queueDepth: stats.pending,
    oldestDueSeconds: stats.oldestDueSeconds,
    failed: stats.failed,
    channels: { email: ready.includes('email') ? 'configured' : 'not configured', sms: ready.includes('sms') ? 'configured' : 'not configured' },
  };
  const problem = follower.failure ?? worker.failure ?? (stats.oldestDueSeconds > STALE_SECONDS ? `notifications due ${Math.round(stats.oldestDueSeconds / 60)} minutes ago are not delivered yet` : null);
  return problem ? indicator.up({ ...details, degraded: true, reason: problem }) : indicator.up(details);
}
