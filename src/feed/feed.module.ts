import { BeforeApplicationShutdown, Inject, Injectable, Logger, Module, OnApplicationBootstrap, Optional } from '@nestjs/common';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database, DATABASE } from '../database/database';
import { FeedAccess } from './feed-access';
import { FeedController } from './feed.controller';
import { FEED_STREAM, FeedPublications, FeedPublisher } from './feed-publisher';
import { FeedReader } from './feed-reader';
import { FEED_STREAM_OPTIONS, FeedStreams } from './feed-streams';

/** The JetStream publisher, made only when NATS_URL is set (null otherwise). */
export const FEED_PUBLISHER = Symbol('FEED_PUBLISHER');

/** Starts the JetStream publisher with the service and stops it before the database closes. */
@Injectable()
class FeedLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('feed');

  constructor(@Optional() @Inject(FEED_PUBLISHER) private readonly publisher: FeedPublisher | null) {}

  onApplicationBootstrap(): void {
    if (!this.publisher) return;
    this.logger.log({ stream: FEED_STREAM }, 'change feed: publishing to NATS JetStream (NATS_URL)');
    this.publisher.start();
  }

  async beforeApplicationShutdown(): Promise<void> {
    await this.publisher?.stop();
  }
}

/** The change feed for other systems (issue 17 item 4, docs/architecture.md "Change feed"). */
@Module({
  controllers: [FeedController],
  providers: [
    FeedReader,
    FeedAccess,
    FeedStreams,
    { provide: FEED_STREAM_OPTIONS, useValue: { pollIntervalMs: 500, keepAliveMs: 15_000 } },
    {
      provide: FEED_PUBLISHER,
      inject: [APP_CONFIG, DATABASE, FeedReader],
      useFactory: (config: AppConfig, database: Database, reader: FeedReader): FeedPublisher | null => {
        if (!config.NATS_URL) return null;
        const logger = new Logger('feed');
        return new FeedPublisher(reader, new FeedPublications(database.pool), {
          url: config.NATS_URL,
          pollIntervalMs: config.PROJECTION_POLL_MS,
          retryMaxMs: config.PROJECTION_RETRY_MAX_MS,
          locks: database.locks(),
          logger: { info: (object, message) => logger.log(object, message), error: (object, message) => logger.error(object, message) },
        });
      },
    },
    FeedLifecycle,
  ],
  exports: [FeedReader, FeedStreams, FEED_PUBLISHER],
})
export class FeedModule {}
