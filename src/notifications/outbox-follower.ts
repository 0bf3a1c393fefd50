import { Clock } from '../common/clock';
import { BackgroundLoop, Leadership } from '../common/background-loop';
import { AdvisoryLocks, NOTIFICATIONS_LEADER_LOCK } from '../database/advisory-locks';
import { StoredEvent } from '../event-store/envelope';
import { EventStore } from '../event-store/event-store.port';
import { Position } from '../event-store/position';
import { isVoidingEvent, VOIDING_EVENT_TYPES } from '../security/domain/voiding';
import { deliveryPlan, newsOf, notificationId, recipientsOf } from './domain/notifications';
import { NewOutboxRow, OutboxStore } from './outbox-store';
import { ParentFactsReader } from './parent-facts';

export interface FollowerLogger {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface OutboxFollowerOptions {
  readonly pollIntervalMs: number;
  readonly batchSize?: number;
  readonly retryMaxMs?: number;
  readonly locks?: AdvisoryLocks;
  readonly logger?: FollowerLogger;
  /** Told when a batch made notifications due (the worker in this process, so it need not wait for its poll). */
  readonly onRecorded?: () => void;
}

/**
 * The outbox as a projection of the log (SPEC §5): reads the log in its global order from its own
 * checkpoint and, per event, writes the notifications it makes due — one row per parent and
 * channel, for parents with consent, a contact and the wish to hear of it — with the checkpoint
 * in the same transaction. A crash repeats a batch at most, and a repeated row is the same id,
 * so nothing is lost or doubled. A voiding fact records which accounts' notifications the worker
 * must judge again. One follower among several instances (advisory lock).
 */
export class OutboxFollower {
  private position?: Position;
  private readonly leadership: Leadership;
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly events: EventStore,
    private readonly store: OutboxStore,
    private readonly facts: ParentFactsReader,
    private readonly clock: Clock,
    private readonly options: OutboxFollowerOptions,
  ) {
    this.leadership = new Leadership(options.locks, NOTIFICATIONS_LEADER_LOCK, () => (this.position = undefined));
    this.loop = new BackgroundLoop({
      turn: async () => (await this.leadership.lead()) && (await this.step()) > 0,
      idleMs: () => options.pollIntervalMs,
      retryMaxMs: options.retryMaxMs,
      onError: (error, retryInMs) => {
        this.position = undefined;
        this.options.logger?.error({ err: error, retryInMs }, 'the notification outbox could not follow the log; it tries again');
      },
      onRecovered: () => this.options.logger?.info({}, 'the notification outbox follows the log again'),
    });
  }

  /** Why the last batch failed, while it keeps failing. */
  get failure(): string | null {
    return this.loop.failure;
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.leadership.release();
  }

  wake(): void {
    this.loop.wake();
  }

  /** Follows to the head of the log (tests, the bench). */
  async catchUp(): Promise<void> {
    while ((await this.step()) > 0);
  }

  /** One batch of the log turned into outbox rows; the number of events read. */
  private async step(): Promise<number> {
    if (!this.position) {
      let stored = await this.store.checkpoint();
      if (!stored) {
        // Switched on for the first time: from now on, not the log's whole past (a year of marks).
        await this.store.begin(await this.events.head());
        stored = await this.store.checkpoint();
      }
      this.position = stored!;
    }
    const from = this.position;
    const batch = await this.events.readAll(from, { limit: this.options.batchSize ?? 200 });
    if (batch.length === 0) return 0;
    const rows: NewOutboxRow[] = [];
    const rechecks: string[] = [];
    for (const event of batch) {
      if (isVoidingEvent(event.type)) rechecks.push(...(await this.affectedBy(event)));
      rows.push(...(await this.due(event)));
    }
    const to = batch[batch.length - 1].position;
    if (!(await this.store.record(from, to, rows, rechecks))) {
      this.position = undefined;
      this.options.logger?.info({}, 'the notification outbox was moved by another follower: reading its checkpoint again');
      return 0;
    }
    this.position = to;
    if (rows.length > 0 || rechecks.length > 0) this.options.onRecorded?.();
    return batch.length;
  }

  /** The notifications an event makes due now. */
  private async due(event: StoredEvent): Promise<NewOutboxRow[]> {
    const news = newsOf(event);
    if (!news || !event.schoolId) return [];
    const school = await this.facts.school(event.schoolId);
    const parents = await this.facts.parentsOf(school, news.studentId);
    const now = this.clock.now();
    return recipientsOf(news, parents).map((recipient) => {
      const settings = parents.find((p) => p.parentId === recipient.parentId)!.settings!;
      const plan = deliveryPlan(now, settings, recipient, school.timezone);
      return {
        id: notificationId(event.eventId, recipient.parentId, recipient.channel),
        schoolId: event.schoolId!,
        kind: 'news' as const,
        sourceEventId: event.eventId,
        sourceStream: event.stream,
        sourceType: event.type,
        sourceActor: event.actor.accountId,
        sourceRecordedAt: event.recordedAt,
        studentId: news.studentId,
        parentId: recipient.parentId,
        channel: recipient.channel,
        corrects: null,
        digestKey: plan.digestKey,
        dueAt: plan.dueAt,
        createdAt: now,
        position: event.globalPosition,
      };
    });
  }

  /**
   * The accounts whose operations may change voidness with this fact: its target, and — since a
   * fact filed by a now void account counts for nothing — the targets of the facts that account
   * filed, and so on (each account once).
   */
  private async affectedBy(fact: StoredEvent): Promise<string[]> {
    const target = (fact.data as { accountId?: string }).accountId;
    if (!target) return [];
    const seen = new Set<string>([target]);
    let frontier = [target];
    while (frontier.length > 0) {
      const filed = await this.events.query({ accountId: frontier[0], types: VOIDING_EVENT_TYPES });
      frontier = frontier.slice(1);
      for (const f of filed) {
        const next = (f.data as { accountId?: string }).accountId;
        if (next && !seen.has(next)) {
          seen.add(next);
          frontier.push(next);
        }
      }
    }
    return [...seen];
  }
}
