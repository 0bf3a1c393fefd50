import type { HealthIndicatorResult, HealthIndicatorService } from '@nestjs/terminus';
import { LedgerBuilder } from './ledger-builder';
import { LedgerStore } from './ledger-store';

/**
 * The ledger's part of /health. Down: the last check found the stored ledger no longer matches the
 * log (`broken at index N`), or the builder refuses to sign because the tree no longer contains its
 * last checkpoint: both mean someone changed the database behind the service. Up but `degraded`:
 * the builder is retrying after an error that may pass.
 */
export async function ledgerHealth(indicators: HealthIndicatorService, builder: LedgerBuilder, store: LedgerStore): Promise<HealthIndicatorResult> {
  const indicator = indicators.check('ledger');
  const [status, audit] = await Promise.all([builder.status(), store.lastAudit()]);
  const details = {
    role: status.role,
    size: status.size,
    checkpointSize: status.checkpointSize,
    ...(audit ? { checkedAt: audit.checkedAt, checkedSize: audit.checkedSize } : {}),
  };
  if (audit?.reason) {
    const where = audit.brokenAt === null ? 'broken' : `broken at index ${audit.brokenAt}`;
    return indicator.down({ ...details, brokenAt: audit.brokenAt, reason: `${where}: ${audit.reason}` });
  }
  if (status.inconsistent) return indicator.down({ ...details, reason: `broken: ${status.inconsistent}` });
  if (status.failure) return indicator.up({ ...details, degraded: true, reason: status.failure });
  return indicator.up(details);
}
