import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnApplicationBootstrap } from '@nestjs/common';
import { CLOCK, Clock } from '../common/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database, DATABASE } from '../database/database';

/** API.md: a key is kept at least 24 h. */
export const IDEMPOTENCY_RETENTION_MS = 24 * 60 * 60 * 1000;
const CHUNK = 5000;

/**
 * Deletes `idempotency_record` rows older than their 24 h (from their last claim), a chunk of
 * 5,000 per statement, every IDEMPOTENCY_PURGE_MINUTES. A retry after that is a new request to the
 * interceptor, but not to the log: its ids are the same UUIDv5s of (account, request, key), so its
 * append is the store's replay and the handler answers from the stored events (200). Several
 * instances may purge at once: a row goes once, whoever deletes it.
 */
@Injectable()
export class IdempotencyPurge implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('idempotency');
  private timer?: NodeJS.Timeout;
  private running?: Promise<unknown>;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
  ) {}

  onApplicationBootstrap(): void {
    const every = this.config.IDEMPOTENCY_PURGE_MINUTES * 60_000;
    const run = () => {
      this.running ??= this.purge()
        .catch((error: unknown) => this.logger.error({ err: error }, 'could not purge old idempotency records; trying again later'))
        .finally(() => (this.running = undefined));
    };
    this.timer = setInterval(run, every);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.running;
  }

  /** Deletes every record past its retention; answers how many went. */
  async purge(): Promise<number> {
    const before = new Date(this.clock.now().getTime() - IDEMPOTENCY_RETENTION_MS).toISOString();
    let purged = 0;
    for (;;) {
      const { rows } = await this.database.pool.query<{ n: number }>(
        `WITH gone AS (DELETE FROM idempotency_record WHERE ctid IN (SELECT ctid FROM idempotency_record WHERE created_at < $1 LIMIT ${CHUNK}) RETURNING 1)
         SELECT count(*)::int AS n FROM gone`,
        [before],
      );
      purged += rows[0].n;
      if (rows[0].n < CHUNK) break;
    }
    if (purged > 0) this.logger.log({ purged, olderThan: before }, `purged ${purged} idempotency records older than 24 h`);
    return purged;
  }
}
