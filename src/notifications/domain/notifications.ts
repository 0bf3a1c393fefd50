import { v5 as uuidv5 } from 'uuid';
import { Channel, NewsKind, NotificationSettings } from './notification-settings.decider';

/**
 * What is due to whom, and when (SPEC §5, seeds 000 and 003: parents hear of marks and absences by
 * e-mail and SMS). Pure: the outbox follower asks it per event of the log, the worker per delivery.
 */

/** Journal events a parent is told about, and as what. */
export const NEWS_EVENT_TYPES = ['MarkRecorded', 'MarkCorrected', 'AttendanceRecorded', 'AttendanceCorrected', 'DailyAbsenceRecorded', 'FinalMarkSet'] as const;

export interface NewsEvent {
  readonly eventId: string;
  readonly type: string;
  readonly data: unknown;
}

export interface News {
  readonly kind: NewsKind;
  readonly studentId: string;
}

interface NewsData {
  studentId?: string;
  after?: unknown;
  code?: unknown;
  value?: unknown;
}

/** The news an event is for a student's parents, or null (a lesson, a lock, an attendance cleared). */
export function newsOf(event: NewsEvent): News | null {
  if (!(NEWS_EVENT_TYPES as readonly string[]).includes(event.type)) return null;
  const d = event.data as NewsData;
  if (typeof d.studentId !== 'string') return null;
  switch (event.type) {
    case 'MarkRecorded':
    case 'MarkCorrected':
      return { kind: 'mark', studentId: d.studentId };
    case 'AttendanceRecorded':
    case 'DailyAbsenceRecorded':
      return { kind: 'absence', studentId: d.studentId };
    case 'AttendanceCorrected':
      // An absence struck out is news too: the parent was told of it.
      return { kind: 'absence', studentId: d.studentId };
    case 'FinalMarkSet':
      return { kind: 'final-mark', studentId: d.studentId };
    default:
      return null;
  }
}

/** Whether an account is a parent linked now to some student of the school (whose settings it may have). */
export const isParentInSchool = (parentLinks: Readonly<Record<string, readonly string[]>>, parentId: string): boolean =>
  Object.values(parentLinks).some((parents) => parents.includes(parentId));

/** One parent of the student as the follower finds them when the event is read. */
export interface ParentFacts {
  readonly parentId: string;
  /** Consent to electronic processing granted (SPEC §5): without it nothing is sent electronically. */
  readonly consentGiven: boolean;
  readonly settings: NotificationSettings | null;
}

export interface Recipient {
  readonly parentId: string;
  readonly channel: Channel;
}

const contactFor = (settings: NotificationSettings, channel: Channel): string | null => (channel === 'email' ? settings.email : settings.phone);

/** Whether this parent is to be told of this news on this channel: consent, a contact, and their choice. */
export function wants(parent: ParentFacts, kind: NewsKind, channel: Channel): boolean {
  const s = parent.settings;
  return parent.consentGiven && s !== null && s.kinds.includes(kind) && s.channels.includes(channel) && contactFor(s, channel) !== null;
}

export function recipientsOf(news: News, parents: readonly ParentFacts[]): Recipient[] {
  const recipients: Recipient[] = [];
  for (const parent of parents) for (const channel of ['email', 'sms'] as const) if (wants(parent, news.kind, channel)) recipients.push({ parentId: parent.parentId, channel });
  return recipients;
}

/** The namespace of notification ids (a random constant): an id is the same whoever computes it. */
const NOTIFICATION_NAMESPACE = '6f1c3f1e-6a55-4d6e-9d55-3b8f9a3e2c10';

/**
 * Stable across retries, restarts and re-reads of the log: the receiver deduplicates by it
 * (Message-ID of the e-mail, `Idempotency-Key` of the SMS webhook).
 */
export const notificationId = (sourceEventId: string, parentId: string, channel: Channel): string => uuidv5(`${sourceEventId}|${parentId}|${channel}`, NOTIFICATION_NAMESPACE);

/** The «запись аннулирована» message that follows a notification whose operation became void. */
export const voidNoticeId = (notificationIdOf: string): string => uuidv5(`${notificationIdOf}|void`, NOTIFICATION_NAMESPACE);

/** A day's digest for one parent and channel, and the notifications it carries. */
export const digestId = (digestKey: string, notificationIds: readonly string[]): string => uuidv5(`${digestKey}|${[...notificationIds].sort().join(',')}`, NOTIFICATION_NAMESPACE);

/** The events the worker writes back into the log, each once per notification. */
export const sentEventId = (id: string): string => uuidv5(`${id}|sent`, NOTIFICATION_NAMESPACE);
export const failedEventId = (id: string): string => uuidv5(`${id}|failed`, NOTIFICATION_NAMESPACE);

/** Local wall-clock parts of a moment in a time zone. */
export function localParts(timeZone: string, moment: Date): { date: string; minutes: number } {
  const parts = new Intl.DateTimeFormat('en-CA', { timeZone, year: 'numeric', month: '2-digit', day: '2-digit', hour: '2-digit', minute: '2-digit', hourCycle: 'h23' }).formatToParts(moment);
  const get = (type: string) => parts.find((p) => p.type === type)!.value;
  return { date: `${get('year')}-${get('month')}-${get('day')}`, minutes: Number(get('hour')) * 60 + Number(get('minute')) };
}

const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

const addDays = (date: string, days: number): string => new Date(Date.parse(`${date}T00:00:00Z`) + days * 86_400_000).toISOString().slice(0, 10);

/** The moment a local date and time ("HH:MM") is in a time zone (the first, on a DST fold). */
export function momentAt(timeZone: string, date: string, hhmm: string): Date {
  const wanted = Date.parse(`${date}T${hhmm}:00Z`);
  let guess = wanted;
  // Two corrections by the zone's offset at the guess settle it (offsets change at most twice a day).
  for (let i = 0; i < 3; i++) {
    const local = localParts(timeZone, new Date(guess));
    const localAsUtc = Date.parse(`${local.date}T00:00:00Z`) + local.minutes * 60_000;
    guess += wanted - localAsUtc;
  }
  return new Date(guess);
}

/** Whether a local time of day is within quiet hours (which may span midnight). */
export function inQuietHours(quiet: { from: string; to: string }, minutes: number): boolean {
  const from = minutesOf(quiet.from);
  const to = minutesOf(quiet.to);
  return from < to ? minutes >= from && minutes < to : minutes >= from || minutes < to;
}

export interface DeliveryPlan {
  /** Not to be sent before this moment. */
  readonly dueAt: Date;
  /** Set when the parent takes a daily digest: which one it joins (`<parentId>:<channel>:<date>`). */
  readonly digestKey: string | null;
}

/**
 * When a notification may go: at once; at the end of the parent's quiet hours if it falls in them
 * (in the school's time zone); or, for a digest, at the next digest time.
 */
export function deliveryPlan(now: Date, settings: NotificationSettings, recipient: Recipient, timeZone: string): DeliveryPlan {
  const local = localParts(timeZone, now);
  if (settings.digest) {
    const date = local.minutes < minutesOf(settings.digestAt) ? local.date : addDays(local.date, 1);
    // A digest time inside the quiet hours waits for their end too.
    return { dueAt: quietEnd(momentAt(timeZone, date, settings.digestAt), settings, timeZone), digestKey: `${recipient.parentId}:${recipient.channel}:${date}` };
  }
  return { dueAt: quietEnd(now, settings, timeZone), digestKey: null };
}

/** `now`, or the end of the quiet hours `now` falls in. */
export function quietEnd(now: Date, settings: NotificationSettings, timeZone: string): Date {
  const quiet = settings.quietHours;
  if (!quiet) return now;
  const local = localParts(timeZone, now);
  if (!inQuietHours(quiet, local.minutes)) return now;
  const to = minutesOf(quiet.to);
  const date = local.minutes < to ? local.date : addDays(local.date, 1);
  return momentAt(timeZone, date, quiet.to);
}

/**
 * The pause before attempt n + 1 after n failed: 2 s · 2^(n−1), at most an hour, jittered to
 * between half and all of it (`random` in [0, 1)) so a gateway coming back is not hit by all at once.
 */
export function retryDelayMs(failedAttempts: number, random: number): number {
  const full = Math.min(2_000 * 2 ** Math.max(0, failedAttempts - 1), 3_600_000);
  return Math.round(full / 2 + (full / 2) * random);
}
