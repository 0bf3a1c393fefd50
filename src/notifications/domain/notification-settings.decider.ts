import { conflict, invalid, noSuch } from '../../common/domain-error';

/**
 * How one parent wants to hear about their children (SPEC §5, seed 004 §4: the class teacher
 * enters the parents' e-mail and mobile phone at the start of the year; the parent may change
 * them and what they get): stream `notification-settings-<parentId>`, one event per change
 * carrying the whole settings, so the history stays and a fold is the last one that counts.
 * The contacts are the parent's personal data: sealed in the log (src/privacy).
 */
export const notificationSettingsStream = (parentId: string) => `notification-settings-${parentId}`;

export const CHANNELS = ['email', 'sms'] as const;
export type Channel = (typeof CHANNELS)[number];

/** What a parent may be told about: a new or corrected mark, an absence, a final mark. */
export const NEWS_KINDS = ['mark', 'absence', 'final-mark'] as const;
export type NewsKind = (typeof NEWS_KINDS)[number];

/** Local wall-clock times in the school's time zone, "HH:MM". */
export interface QuietHours {
  readonly from: string;
  readonly to: string;
}

export interface NotificationSettings {
  readonly parentId: string;
  readonly email: string | null;
  readonly phone: string | null;
  readonly channels: readonly Channel[];
  readonly kinds: readonly NewsKind[];
  /** Nothing is sent between these local times; what falls due then waits for their end. */
  readonly quietHours: QuietHours | null;
  /** One message a day at `digestAt` (local time) instead of one per event. */
  readonly digest: boolean;
  readonly digestAt: string;
}

export type NotificationSettingsEvent = { type: 'NotificationSettingsChanged'; data: NotificationSettings };
export const NOTIFICATION_SETTINGS_EVENT_TYPES = ['NotificationSettingsChanged'] as const;

export interface NotificationSettingsState {
  settings: NotificationSettings | null;
}

export interface ChangeNotificationSettings {
  type: 'ChangeNotificationSettings';
  parentId: string;
  /** Fields left out keep their current value (or the default, the first time). */
  email?: string | null;
  phone?: string | null;
  channels?: readonly Channel[];
  kinds?: readonly NewsKind[];
  quietHours?: QuietHours | null;
  digest?: boolean;
  digestAt?: string;
  /** Facts read when deciding: whether parentId is a parent of a student of this school. */
  parentOfSchool: boolean;
  parentKnown: boolean;
}

export const DEFAULT_DIGEST_AT = '19:00';

/** Before anything is set: no contact, so nothing can be sent. */
export const defaultSettings = (parentId: string): NotificationSettings => ({
  parentId,
  email: null,
  phone: null,
  channels: ['email'],
  kinds: [...NEWS_KINDS],
  quietHours: null,
  digest: false,
  digestAt: DEFAULT_DIGEST_AT,
});

export const initialNotificationSettingsState = (): NotificationSettingsState => ({ settings: null });

/** Field by field: a stored event comes back with its keys in RFC 8785 order, not the order written. */
const sameSettings = (a: NotificationSettings, b: NotificationSettings): boolean =>
  a.email === b.email &&
  a.phone === b.phone &&
  [...a.channels].sort().join() === [...b.channels].sort().join() &&
  [...a.kinds].sort().join() === [...b.kinds].sort().join() &&
  (a.quietHours?.from ?? null) === (b.quietHours?.from ?? null) &&
  (a.quietHours?.to ?? null) === (b.quietHours?.to ?? null) &&
  a.digest === b.digest &&
  a.digestAt === b.digestAt;

export function decideNotificationSettings(command: ChangeNotificationSettings, state: NotificationSettingsState): NotificationSettingsEvent[] {
  if (!command.parentOfSchool) throw command.parentKnown ? invalid('parentId', 'must be a parent linked to a student of this school') : noSuch('parentId', 'account');
  const current = state.settings ?? defaultSettings(command.parentId);
  const next: NotificationSettings = {
    parentId: command.parentId,
    email: command.email !== undefined ? command.email : current.email,
    phone: command.phone !== undefined ? command.phone : current.phone,
    channels: command.channels ? [...new Set(command.channels)] : current.channels,
    kinds: command.kinds ? [...new Set(command.kinds)] : current.kinds,
    quietHours: command.quietHours !== undefined ? command.quietHours : current.quietHours,
    digest: command.digest ?? current.digest,
    digestAt: command.digestAt ?? current.digestAt,
  };
  if (next.channels.includes('email') && next.email === null && command.channels?.includes('email')) throw invalid('email', 'is needed to be told by e-mail');
  if (next.channels.includes('sms') && next.phone === null && command.channels?.includes('sms')) throw invalid('phone', 'is needed to be told by SMS');
  if (next.quietHours && next.quietHours.from === next.quietHours.to) throw invalid('quietHours', 'must not start and end at the same time');
  if (state.settings && sameSettings(state.settings, next)) throw conflict('ALREADY_EXISTS', 'These notification settings are in force already.');
  return [{ type: 'NotificationSettingsChanged', data: next }];
}

export function evolveNotificationSettings(state: NotificationSettingsState, event: NotificationSettingsEvent): NotificationSettingsState {
  return event.type === 'NotificationSettingsChanged' ? { settings: event.data } : state;
}

/**
 * Voidable (SPEC §4): a contact entered through a compromised account counts for nothing, so no
 * child's marks go to an address an intruder typed in.
 */
export const notificationSettingsDecider = {
  initialState: initialNotificationSettingsState,
  evolve: evolveNotificationSettings,
  decide: decideNotificationSettings,
  voidable: true,
};
