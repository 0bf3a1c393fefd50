import { BeforeApplicationShutdown, Inject, Injectable, Logger, Module, OnApplicationBootstrap } from '@nestjs/common';
import { LEDGER_SEED } from '../auth/service-keys';
import { CLOCK, Clock } from '../common/clock';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database, DATABASE } from '../database/database';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { LedgerAudit } from './ledger-audit';
import { LedgerBuilder } from './ledger-builder';
import { LedgerController, LedgerEntriesController } from './ledger.controller';
import { LEDGER_KEYS, LEDGER_VKEY, LedgerKeys, ledgerKeys } from './ledger.keys';
import { LedgerProofs } from './ledger-proofs';
import { LedgerStore } from './ledger-store';
import { LedgerWitnesses, parseWitnesses } from './ledger-witnesses';

/** Starts the builder with the service, checks the ledger against the log now and then, stops before the database closes. */
@Injectable()
class LedgerLifecycle implements OnApplicationBootstrap, BeforeApplicationShutdown {
  private readonly logger = new Logger('ledger');
  private timer?: NodeJS.Timeout;
  private auditing?: Promise<unknown>;

  constructor(
    private readonly builder: LedgerBuilder,
    private readonly audit: LedgerAudit,
    @Inject(APP_CONFIG) private readonly config: AppConfig,
    @Inject(LEDGER_VKEY) private readonly vkey: string,
  ) {}

  onApplicationBootstrap(): void {
    this.logger.log({ origin: this.config.LEDGER_ORIGIN, vkey: this.vkey }, 'audit ledger: checkpoints are signed by this key (its verifier key, safe to publish)');
    this.builder.start();
    this.timer = setInterval(() => void this.check(), this.config.LEDGER_AUDIT_MINUTES * 60_000);
    this.timer.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    clearInterval(this.timer);
    await this.auditing;
    await this.builder.stop();
  }

  /** Only the instance that builds checks: one reader of the whole log at a time. */
  private async check(): Promise<void> {
    if (this.auditing || (await this.builder.status()).role !== 'builder') return;
    let logged = 0;
    this.auditing = this.audit
      .run((checked, total) => {
        // A line every 100,000 leaves: a check of a big log takes minutes.
        if (checked - logged < 100_000) return;
        logged = checked;
        this.logger.log({ checked, total }, 'audit ledger: checking against the log');
      })
      .then((outcome) => {
        if (outcome.reason) this.logger.error({ brokenAt: outcome.brokenAt, reason: outcome.reason }, 'audit ledger: BROKEN');
        else this.logger.log({ checkedSize: outcome.checkedSize }, 'audit ledger: whole');
      })
      .catch((error) => this.logger.error({ err: error }, 'audit ledger: the check could not run'))
      .finally(() => (this.auditing = undefined));
  }
}

/** The tamper-evident audit ledger (issue 15, docs/architecture.md "Audit ledger"). */
@Module({
  controllers: [LedgerEntriesController, LedgerController],
  providers: [
    { provide: LedgerStore, inject: [DATABASE], useFactory: (database: Database) => new LedgerStore(database.pool) },
    {
      provide: LEDGER_KEYS,
      inject: [APP_CONFIG, LEDGER_SEED],
      useFactory: (config: AppConfig, seed: Buffer) => {
        const keys = ledgerKeys(config, seed);
        if (keys.source === 'derived from the master secret')
          new Logger('ledger').warn({}, 'audit ledger: the checkpoint key is derived from the master secret; set LEDGER_SIGNING_KEY (or _FILE) and SERVICE_SECRET outside the database in production');
        return keys;
      },
    },
    // Every key a checkpoint of this log may carry, the current first: one vkey a line.
    { provide: LEDGER_VKEY, inject: [LEDGER_KEYS], useFactory: (keys: LedgerKeys) => keys.accepted.map((key) => key.vkey).join('\n') },
    {
      provide: LedgerWitnesses,
      inject: [LedgerStore, EVENT_STORE, APP_CONFIG],
      useFactory: (store: LedgerStore, events: EventStore, config: AppConfig) => {
        const witnesses = parseWitnesses(config.LEDGER_WITNESSES);
        if ((config.LEDGER_WITNESS_QUORUM ?? 0) > witnesses.length)
          throw new Error(`LEDGER_WITNESS_QUORUM is ${config.LEDGER_WITNESS_QUORUM} but LEDGER_WITNESSES names ${witnesses.length} witness(es).`);
        return new LedgerWitnesses(store, new LedgerProofs(store, events), witnesses);
      },
    },
    {
      provide: LedgerProofs,
      inject: [LedgerStore, EVENT_STORE, APP_CONFIG, LedgerWitnesses],
      // A checkpoint is served once the quorum of witnesses co-signed it (default: every witness named).
      useFactory: (store: LedgerStore, events: EventStore, config: AppConfig, witnesses: LedgerWitnesses) =>
        new LedgerProofs(store, events, config.LEDGER_WITNESS_QUORUM ?? witnesses.witnesses.length),
    },
    {
      provide: LedgerBuilder,
      inject: [EVENT_STORE, LedgerStore, LEDGER_KEYS, APP_CONFIG, DATABASE, CLOCK, LedgerWitnesses],
      useFactory: (events: EventStore, store: LedgerStore, keys: LedgerKeys, config: AppConfig, database: Database, clock: Clock, witnesses: LedgerWitnesses) => {
        const logger = new Logger('ledger');
        return new LedgerBuilder(events, store, {
          origin: config.LEDGER_ORIGIN,
          signers: keys.signers,
          accepted: keys.accepted,
          checkpointEvery: config.LEDGER_CHECKPOINT_EVERY,
          checkpointIntervalMs: config.LEDGER_CHECKPOINT_SECONDS * 1000,
          pollIntervalMs: config.LEDGER_POLL_MS,
          retryMaxMs: config.PROJECTION_RETRY_MAX_MS,
          locks: database.locks(),
          clock,
          witnesses,
          logger: { info: (object, message) => logger.log(object, message), error: (object, message) => logger.error(object, message) },
        });
      },
    },
    {
      provide: LedgerAudit,
      inject: [EVENT_STORE, LedgerStore, LEDGER_KEYS, APP_CONFIG, CLOCK],
      useFactory: (events: EventStore, store: LedgerStore, keys: LedgerKeys, config: AppConfig, clock: Clock) =>
        new LedgerAudit(events, store, { origin: config.LEDGER_ORIGIN, accepted: keys.accepted, clock }),
    },
    LedgerLifecycle,
  ],
  exports: [LedgerBuilder, LedgerAudit, LedgerStore, LedgerProofs],
})
export class LedgerModule {}
