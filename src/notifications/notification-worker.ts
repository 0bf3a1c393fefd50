import { Clock } from '../common/clock';
import { BackgroundLoop } from '../common/background-loop';
import { SYSTEM_ACTOR, StoredEvent } from '../event-store/envelope';
import { EventStore } from '../event-store/event-store.port';
import { SchoolState } from '../school/domain/school.decider';
import { VoidingLedger } from '../security/domain/voiding';
import { VoidingFilter } from '../security/voiding-filter';
import { DeliveryError, NotificationChannel, OutgoingMessage } from './channels';
import { Channel, NotificationSettings } from './domain/notification-settings.decider';
import { deliveryPlan, digestId, failedEventId, newsOf, quietEnd, retryDelayMs, sentEventId, voidNoticeId, wants } from './domain/notifications';
import { describe, digestMessage, Message, MessageFacts, newsMessage, smsText, voidNoticeMessage } from './domain/templates';
import { deliveryFacts, NewOutboxRow, OutboxRow, OutboxStore } from './outbox-store';
import { ParentFactsReader } from './parent-facts';

/** The stream a parent's delivery events go to: the incident review and an operator read them there. */
export const notificationsStream = (parentId: string) => `notifications-${parentId}`;

export const NOTIFICATION_EVENT_TYPES = ['NotificationSent', 'NotificationFailed'] as const;

/** What the log keeps of a delivery: ids, the channel, the outcome — never the address or the text. */
export interface NotificationDeliveryData {
  notificationId: string;
  kind: 'news' | 'void-notice';
  channel: Channel;
  parentId: string;
  studentId: string;
  sourceEventId: string;
  corrects: string | null;
  digestId: string | null;
  attempts: number;
  /** NotificationFailed: why, in the service's words (no server text: it may name the address). */
  reason?: string;
}

export interface WorkerOptions {
  readonly pollIntervalMs: number;
  readonly leaseMs: number;
  readonly maxAttempts: number;
  /** A notification not delivered this long after it was made due is given up (NotificationFailed). */
  readonly giveUpMs: number;
  readonly batchSize?: number;
  readonly random?: () => number;
  readonly logger?: { info(object: object, message: string): void; warn(object: object, message: string): void; error(object: object, message: string): void };
  /** Told of every delivery's outcome (metrics). */
  readonly onOutcome?: (outcome: 'sent' | 'failed' | 'retried' | 'cancelled', channel: Channel, latencyMs: number) => void;
}

type Verdict = { send: MessageFacts; contact: string; settings: NotificationSettings } | { cancel: string } | { waitUntil: Date };

/**
 * Delivers the outbox at least once: leases what is due (a worker killed mid-delivery lets it go
 * when the lease ends, and the next one sends it again under the same id, which the receiver
 * deduplicates by), judges each notification against the facts now — void operation, no consent,
 * no contact, quiet hours — sends, writes `NotificationSent` to the log (its id fixed by the
 * notification's, so a repeat is a replay) and marks it sent; failures back off and, past the
 * last attempt, are `NotificationFailed`. Several workers may run: leases are taken with SKIP LOCKED.
 */
export class NotificationWorker {
  private readonly channels = new Map<Channel, NotificationChannel>();
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly events: EventStore,
    private readonly store: OutboxStore,
    private readonly facts: ParentFactsReader,
    private readonly voiding: VoidingFilter,
    channels: readonly NotificationChannel[],
    private readonly clock: Clock,
    private readonly options: WorkerOptions,
  ) {
    for (const channel of channels) this.channels.set(channel.channel, channel);
    this.loop = new BackgroundLoop({
      turn: async () => (await this.runOnce()) > 0,
      idleMs: () => options.pollIntervalMs,
      onError: (error, retryInMs) => this.options.logger?.error({ err: error, retryInMs }, 'the notification worker failed; it tries again'),
    });
  }

  /** Why the last turn failed, while it keeps failing. */
  get failure(): string | null {
    return this.loop.failure;
  }

  /** Channels that can send; the others' notifications wait. */
  get ready(): Channel[] {
    return [...this.channels.values()].filter((c) => c.configured).map((c) => c.channel);
  }

  start(): void {
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await Promise.all([...this.channels.values()].map((channel) => channel.close()));
  }

  wake(): void {
    this.loop.wake();
  }

  /** Judges again, then delivers everything due now; the number of notifications handled (tests, the bench). */
  async runOnce(): Promise<number> {
    await this.recheck();
    const claimed = await this.store.claim(this.clock.now(), this.options.batchSize ?? 50, this.options.leaseMs, this.ready);
    if (claimed.length === 0) return 0;
    // The voiding ledger of each author, read fresh once for the batch (its notifications are judged against it).
    const ledgers = new Map<string, Promise<VoidingLedger>>();
    const ledgerOf = (accountId: string) => {
      let ledger = ledgers.get(accountId);
      if (!ledger) ledgers.set(accountId, (ledger = this.voiding.ledgerOf([accountId], { fresh: true })));
      return ledger;
    };
    const sent = (await Promise.all(groupsOf(claimed).map((group) => this.deliverGroup(group, ledgerOf)))).flat();
    // A report that landed while they were in flight: the news is out, so a void notice follows it
    // (read after the sends; a report read by the follower since then is rechecked anyway).
    const authors = [...new Set(sent.filter((row) => row.kind === 'news').map((row) => row.sourceActor))];
    const after = new Map(await Promise.all(authors.map(async (accountId) => [accountId, await this.voiding.ledgerOf([accountId], { fresh: true })] as const)));
    const now = this.clock.now();
    for (const row of sent) if (row.kind === 'news' && after.get(row.sourceActor)!.voidedBy(sourceOf(row)) !== null) await this.addVoidNotice(row, now);
    return claimed.length;
  }

  /** Until nothing is due (tests). */
  async drain(): Promise<void> {
    while ((await this.runOnce()) > 0);
  }

  /**
   * The accounts a voiding fact concerned: their notifications not sent yet are cancelled if now
   * void (or brought back if reinstated); those sent are followed by a void notice. A delivery in
   * flight is left to its worker (which checks again once it has sent), and the request stays until
   * none is; a request that came while this one was handled outlives it (its generation moved).
   */
  private async recheck(): Promise<void> {
    for (const request of await this.store.rechecks()) {
      const rows = await this.store.ofActor(request.accountId);
      const now = this.clock.now();
      const inFlight = rows.some((row) => row.state === 'pending' && row.leaseUntil !== null && row.leaseUntil.getTime() > now.getTime());
      if (rows.length > 0) {
        const ledger = await this.voiding.ledgerOf([request.accountId], { fresh: true });
        const byId = new Map(rows.map((row) => [row.id, row]));
        for (const row of rows) {
          if (row.kind === 'void-notice') {
            const original = byId.get(row.corrects ?? '');
            if (row.state === 'pending' && original && ledger.voidedBy(sourceOf(original)) === null) await this.store.cancel([row.id], REINSTATED_BEFORE_NOTICE, { now });
            continue;
          }
          const incident = ledger.voidedBy(sourceOf(row));
          if (incident && row.state === 'pending') await this.store.cancel([row.id], `void: incident ${incident}`, { now });
          else if (incident && row.state === 'sent') await this.addVoidNotice(row, now);
          else if (!incident && row.state === 'cancelled' && row.outcome?.startsWith('void')) await this.store.reschedule([row.id], now, 'reinstated', true, 'cancelled');
        }
      }
      if (!inFlight) await this.store.recheckDone(request);
    }
  }

  private async addVoidNotice(row: OutboxRow, now: Date): Promise<void> {
    const [school, settings] = await Promise.all([this.facts.school(row.schoolId), this.facts.settings(row.parentId)]);
    const plan = settings ? deliveryPlan(now, settings, { parentId: row.parentId, channel: row.channel }, school.timezone) : { dueAt: now, digestKey: null };
    const notice: NewOutboxRow = { ...row, id: voidNoticeId(row.id), kind: 'void-notice', corrects: row.id, digestKey: plan.digestKey, dueAt: plan.dueAt, createdAt: now };
    if (await this.store.addVoidNotice(notice)) this.options.logger?.info({ notificationId: row.id, noticeId: notice.id }, 'a sent notification became void: a void notice is due');
  }

  /**
   * One message: a single notification, or a day's digest of one parent on one channel. The
   * rows it settles as sent (those the log shows sent already included: a worker died after
   * recording them).
   */
  private async deliverGroup(group: OutboxRow[], ledgerOf: (accountId: string) => Promise<VoidingLedger>): Promise<OutboxRow[]> {
    const now = this.clock.now();
    const leaseId = group[0].leaseId!;
    const settled: OutboxRow[] = [];
    const sendable: { row: OutboxRow; facts: MessageFacts; contact: string }[] = [];
    for (const row of group) {
      try {
        // Tried before: the message may be out and recorded already (a worker killed before it marked it).
        if (row.attempts > 1 && (await this.events.findEvent(notificationsStream(row.parentId), sentEventId(row.id)))) {
          await this.store.markSent([row.id], now, leaseId);
          settled.push(row);
          continue;
        }
        if (now.getTime() - row.createdAt.getTime() > this.options.giveUpMs) {
          await this.giveUp([row], `not delivered in ${Math.round(this.options.giveUpMs / 3_600_000)} hours`, now);
          continue;
        }
        const verdict = await this.judge(row, now, ledgerOf);
        if ('cancel' in verdict) {
          await this.store.cancel([row.id], verdict.cancel, { leaseId });
          this.options.onOutcome?.('cancelled', row.channel, 0);
        } else if ('waitUntil' in verdict) {
          await this.store.reschedule([row.id], verdict.waitUntil, 'quiet hours', false, { leaseId });
        } else sendable.push({ row, facts: verdict.send, contact: verdict.contact });
      } catch (error) {
        await this.retry([row], error, now);
      }
    }
    if (sendable.length === 0) return settled;
    const rows = sendable.map((s) => s.row);
    const first = rows[0];
    let message: Message;
    let id: string;
    if (first.digestKey !== null) {
      // A new digest's id is made of the notifications it carries: those sent now, no others.
      id = first.digestId ?? digestId(first.digestKey, rows.map((r) => r.id));
      if (!first.digestId) await this.store.formDigest(rows.map((r) => r.id), id, leaseId);
      const lines = sendable.map((s) => (s.row.kind === 'void-notice' ? `Запись аннулирована: ${describe(s.facts)}` : describe(s.facts)));
      message = digestMessage(sendable[0].facts.schoolName, first.digestKey.split(':').at(-1)!, lines);
    } else {
      id = first.id;
      message = first.kind === 'void-notice' ? voidNoticeMessage(sendable[0].facts) : newsMessage(sendable[0].facts);
    }
    const channel = this.channels.get(first.channel)!;
    const outgoing: OutgoingMessage = { id, to: sendable[0].contact, subject: message.subject, text: first.channel === 'sms' ? smsText(message) : message.text };
    try {
      await channel.send(outgoing);
    } catch (error) {
      await this.retry(rows, error, this.clock.now());
      return settled;
    }
    const sentAt = this.clock.now();
    try {
      await this.record('NotificationSent', rows, id === first.id ? null : id);
      await this.store.markSent(
        rows.map((r) => r.id),
        sentAt,
        leaseId,
      );
    } catch (error) {
      // Out, but not settled: when the lease ends the next attempt finds it in the log (or sends it
      // again under the same id, which the receiver drops) and settles it.
      this.options.logger?.error({ err: error, notificationIds: rows.map((r) => r.id) }, 'a notification was sent but could not be recorded; it is settled on its next attempt');
      return settled;
    }
    for (const row of rows) this.options.onOutcome?.('sent', row.channel, sentAt.getTime() - Math.max(row.createdAt.getTime(), row.dueAt.getTime()));
    this.options.logger?.info({ notificationIds: rows.map((r) => r.id), channel: first.channel, digest: first.digestKey !== null }, 'notification sent');
    return [...settled, ...rows];
  }

  /** Whether this notification goes now, waits, or is not to go at all (and why). */
  private async judge(row: OutboxRow, now: Date, ledgerOf: (accountId: string) => Promise<VoidingLedger>): Promise<Verdict> {
    const school = await this.facts.school(row.schoolId);
    const student = school.students[row.studentId];
    if (!school.exists || !student) return { cancel: 'the student is not in the school' };
    if (student.erased) return { cancel: "the student's personal data are erased" };
    const incident = (await ledgerOf(row.sourceActor)).voidedBy(sourceOf(row));
    if (row.kind === 'news' && incident) return { cancel: `void: incident ${incident}` };
    // A notice goes only while what it takes back is void: reinstated meanwhile, it is not sent.
    if (row.kind === 'void-notice' && !incident) return { cancel: REINSTATED_BEFORE_NOTICE };
    if (!(school.parentLinks[row.studentId] ?? []).includes(row.parentId)) return { cancel: "the parent's link to the student ended" };
    const parent = await this.facts.parent(row.parentId, row.studentId);
    if (!parent.consentGiven) return { cancel: 'consent not given' };
    const settings = parent.settings;
    const contact = settings ? (row.channel === 'email' ? settings.email : settings.phone) : null;
    if (!settings || contact === null) return { cancel: `no ${row.channel === 'email' ? 'e-mail address' : 'phone number'}` };
    // A void notice goes to whoever was told, whatever they choose to hear of now.
    if (row.kind === 'news' && !wants(parent, newsOf({ eventId: row.sourceEventId, type: row.sourceType, data: { studentId: row.studentId } })!.kind, row.channel)) return { cancel: 'the parent no longer wants this news on this channel' };
    if (row.digestKey === null) {
      const end = quietEnd(now, settings, school.timezone);
      if (end.getTime() > now.getTime()) return { waitUntil: end };
    }
    const source = await this.events.findEvent(row.sourceStream, row.sourceEventId);
    if (!source) return { cancel: 'the event it was about is not in the log' };
    return { send: messageFacts(source, school, student.fullName), contact, settings };
  }

  /**
   * After a failed attempt: again later, backing off; given up when no attempt can help (a
   * refusal of the address or the message), after the last attempt, or once it is too old to matter.
   */
  private async retry(rows: readonly OutboxRow[], error: unknown, now: Date): Promise<void> {
    const attempts = Math.max(...rows.map((r) => r.attempts));
    const reason = error instanceof DeliveryError ? error.message : 'the service could not prepare it';
    if (!(error instanceof DeliveryError)) this.options.logger?.error({ err: error, notificationIds: rows.map((r) => r.id) }, 'a notification could not be prepared');
    const oldest = Math.min(...rows.map((r) => r.createdAt.getTime()));
    if ((error instanceof DeliveryError && error.permanent) || attempts >= this.options.maxAttempts || now.getTime() - oldest > this.options.giveUpMs) {
      await this.giveUp(rows, reason, now);
      return;
    }
    const delay = retryDelayMs(attempts, (this.options.random ?? Math.random)());
    await this.store.reschedule(
      rows.map((r) => r.id),
      new Date(now.getTime() + delay),
      reason,
      true,
      { leaseId: rows[0].leaseId! },
    );
    this.options.logger?.warn({ notificationIds: rows.map((r) => r.id), channel: rows[0].channel, attempts, retryInMs: delay, reason }, 'notification not delivered; it is tried again');
    for (const row of rows) this.options.onOutcome?.('retried', row.channel, 0);
  }

  private async giveUp(rows: readonly OutboxRow[], reason: string, now: Date): Promise<void> {
    await this.record('NotificationFailed', rows, null, reason);
    await this.store.fail(
      rows.map((r) => r.id),
      reason,
      rows[0].leaseId!,
    );
    this.options.logger?.warn({ notificationIds: rows.map((r) => r.id), channel: rows[0].channel, attempts: Math.max(...rows.map((r) => r.attempts)), reason }, 'notification given up');
    for (const row of rows) this.options.onOutcome?.('failed', row.channel, now.getTime() - Math.max(row.createdAt.getTime(), row.dueAt.getTime()));
  }

  /** The delivery's events, each with an id fixed by its notification: a repeat after a crash is a replay. */
  private async record(type: 'NotificationSent' | 'NotificationFailed', rows: readonly OutboxRow[], digest: string | null, reason?: string): Promise<void> {
    // One append per event, each a replay or a write of its own (an append mixing stored and new ids is refused).
    for (const row of rows) {
      const data: NotificationDeliveryData = {
        notificationId: row.id,
        ...deliveryFacts(row),
        digestId: digest,
        attempts: row.attempts,
        ...(reason !== undefined ? { reason } : {}),
      };
      const eventId = type === 'NotificationSent' ? sentEventId(row.id) : failedEventId(row.id);
      await this.events.append(notificationsStream(row.parentId), 'any', [{ eventId, type, data }], { schoolId: row.schoolId, actor: SYSTEM_ACTOR, correlationId: row.id });
    }
  }
}

const REINSTATED_BEFORE_NOTICE = 'reinstated before the notice went';

/** What the voiding rule reads of the operation a notification is about. */
const sourceOf = (row: OutboxRow) => ({ eventId: row.sourceEventId, type: row.sourceType, recordedAt: row.sourceRecordedAt, actor: { accountId: row.sourceActor } });


/** Claimed rows by message: a digest's members together (by its id, or its key while it has none), the rest alone. */
function groupsOf(rows: readonly OutboxRow[]): OutboxRow[][] {
  const groups = new Map<string, OutboxRow[]>();
  for (const row of rows) {
    const key = row.digestKey === null ? row.id : `${row.digestKey}|${row.digestId ?? 'new'}`;
    groups.set(key, [...(groups.get(key) ?? []), row]);
  }
  return [...groups.values()];
}

function messageFacts(source: StoredEvent, school: SchoolState, studentName: string): MessageFacts {
  const d = source.data as Record<string, unknown>;
  const group = typeof d.groupId === 'string' ? school.groups[d.groupId] : undefined;
  const period = typeof d.periodId === 'string' ? school.periods[d.periodId] : undefined;
  return {
    type: source.type,
    data: d,
    schoolName: school.name,
    studentName,
    subjectName: group ? (school.subjects[group.subjectId]?.name ?? null) : null,
    periodName: period ? ((period as { name?: string }).name ?? null) : null,
  };
}
