import { BeforeApplicationShutdown, Inject, Injectable, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { AccountsModule } from '../accounts/accounts.module';
import { CLOCK, Clock } from '../common/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database, DATABASE } from '../database/database';
import { EventSourcedRepository } from '../event-store/event-sourced-repository';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { Metrics } from '../operations/metrics';
import { SecurityModule } from '../security/security.module';
import { VoidingFilter } from '../security/voiding-filter';
import { EmailChannel, SmsWebhookChannel } from './channels';
import { NotificationWorker } from './notification-worker';
import { NOTIFICATIONS_HANDLERS } from './notifications.commands';
import { NotificationsController } from './notifications.controller';
import { OutboxFollower } from './outbox-follower';
import { OutboxStore } from './outbox-store';
import { ParentFactsReader } from './parent-facts';

/** Starts the follower and the worker with the service and stops them before the database closes. */
@Injectable()
class NotificationsLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('notifications');

  constructor(
    private readonly follower: OutboxFollower,
    private readonly worker: NotificationWorker,
    private readonly outbox: OutboxStore,
    private readonly metrics: Metrics,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onApplicationBootstrap(): void {
    this.metrics.watchOutbox(() => this.outbox.stats(this.clock.now()));
    const ready = this.worker.ready;
    this.logger.log(
      { email: ready.includes('email') ? 'SMTP' : 'not configured (SMTP_URL)', sms: ready.includes('sms') ? 'webhook' : 'not configured (SMS_WEBHOOK_URL)' },
      'notifications: channels',
    );
    if (this.config.SMS_WEBHOOK_URL && !this.config.SMS_WEBHOOK_SECRET) this.logger.warn({}, 'notifications: SMS_WEBHOOK_SECRET is not set: the SMS webhook is called unsigned');
    this.follower.start();
    this.worker.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.follower.stop();
    await this.worker.stop();
  }
}

/** Parents told of marks and absences through an outbox (issue 17, docs/architecture.md "Notifications"). */
@Module({
  imports: [AccountsModule, SecurityModule],
  controllers: [NotificationsController],
  providers: [
    { provide: OutboxStore, inject: [DATABASE], useFactory: (database: Database) => new OutboxStore(database.pool) },
    { provide: ParentFactsReader, inject: [EventSourcedRepository], useFactory: (repository: EventSourcedRepository) => new ParentFactsReader(repository) },
    {
      provide: NotificationWorker,
      inject: [EVENT_STORE, OutboxStore, ParentFactsReader, VoidingFilter, APP_CONFIG, CLOCK, Metrics],
      useFactory: (events: EventStore, store: OutboxStore, facts: ParentFactsReader, voiding: VoidingFilter, config: AppConfig, clock: Clock, metrics: Metrics) => {
        const logger = new Logger('notifications');
        return new NotificationWorker(
          events,
          store,
          facts,
          voiding,
          [new EmailChannel(config.SMTP_URL, config.SMTP_FROM, config.SMTP_MAX_CONNECTIONS), new SmsWebhookChannel(config.SMS_WEBHOOK_URL, config.SMS_WEBHOOK_SECRET, () => clock.now())],
          clock,
          {
            pollIntervalMs: config.NOTIFICATIONS_POLL_MS,
            leaseMs: config.NOTIFICATIONS_LEASE_SECONDS * 1000,
            maxAttempts: config.NOTIFICATIONS_MAX_ATTEMPTS,
            giveUpMs: config.NOTIFICATIONS_GIVE_UP_HOURS * 3_600_000,
            logger: { info: (o, m) => logger.log(o, m), warn: (o, m) => logger.warn(o, m), error: (o, m) => logger.error(o, m) },
            onOutcome: (outcome, channel, latencyMs) => {
              metrics.notificationsDelivered.inc({ channel, outcome });
              if (outcome === 'sent' || outcome === 'failed') metrics.notificationLatency.observe({ channel, outcome }, latencyMs / 1000);
            },
          },
        );
      },
    },
    {
      provide: OutboxFollower,
      // Below the opening store: the follower needs ids and types only, not personal fields opened.
      inject: ['RAW_EVENT_STORE', OutboxStore, ParentFactsReader, APP_CONFIG, CLOCK, DATABASE, NotificationWorker],
      useFactory: (events: EventStore, store: OutboxStore, facts: ParentFactsReader, config: AppConfig, clock: Clock, database: Database, worker: NotificationWorker) => {
        const logger = new Logger('notifications');
        return new OutboxFollower(events, store, facts, clock, {
          pollIntervalMs: config.NOTIFICATIONS_POLL_MS,
          retryMaxMs: config.PROJECTION_RETRY_MAX_MS,
          locks: database.locks(),
          logger: { info: (o, m) => logger.log(o, m), error: (o, m) => logger.error(o, m) },
          onRecorded: () => worker.wake(),
        });
      },
    },
    NotificationsLifecycle,
    ...NOTIFICATIONS_HANDLERS,
  ],
  exports: [OutboxStore, OutboxFollower, NotificationWorker],
})
export class NotificationsModule {}
