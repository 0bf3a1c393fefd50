import { conflict, forbidden, invalid, noSuch } from '../../common/domain-error';

/**
 * Consent of one parent to the electronic processing of one student's personal data (seed 000,
 * 003 §8): stream `consent-<parentId>-<studentId>`. Granted or refused, on paper (registered by
 * the class teacher or a deputy) or electronically (by the parent themself), withdrawable; every
 * registration is an event, so the history stays. Without a granted consent the parent has no
 * electronic access to the diary, and the class teacher prints a paper extract instead.
 */
export const consentStream = (parentId: string, studentId: string) => `consent-${parentId}-${studentId}`;

export const CONSENT_FORMS = ['electronic', 'paper'] as const;
export type ConsentForm = (typeof CONSENT_FORMS)[number];

interface ConsentData {
  parentId: string;
  studentId: string;
  form: ConsentForm;
}

export type ConsentEvent =
  | { type: 'ConsentGranted'; data: ConsentData }
  | { type: 'ConsentRefused'; data: ConsentData }
  | { type: 'ConsentWithdrawn'; data: ConsentData };

export const CONSENT_EVENT_TYPES = ['ConsentGranted', 'ConsentRefused', 'ConsentWithdrawn'] as const;

export type ConsentStatus = 'none' | 'granted' | 'refused' | 'withdrawn';

/** One registration as the stream keeps it: which, when, by whom (to tell whether it is void). */
export interface ConsentEntry {
  eventId: string;
  type: ConsentEvent['type'];
  form: ConsentForm;
  at: string;
  by: string;
}

export interface ConsentState {
  /** The last registration that counts: the repository folds a voidable stream without void events. */
  status: ConsentStatus;
  form: ConsentForm | null;
  history: ConsentEntry[];
}

/** A stored event carries its envelope: the id, the moment and the actor the history keeps. */
export type ConsentEnvelope = ConsentEvent & { eventId?: string; recordedAt?: string; actor?: { accountId: string } };

const STATUS_OF: Record<ConsentEvent['type'], ConsentStatus> = { ConsentGranted: 'granted', ConsentRefused: 'refused', ConsentWithdrawn: 'withdrawn' };

/** Who registers it: the parent (electronic), or the school (class teacher, deputy: paper). */
export interface ConsentRegistrar {
  accountId: string;
  role: 'parent' | 'school';
}

export interface RecordConsent {
  type: 'RecordConsent';
  parentId: string;
  studentId: string;
  granted: boolean;
  form: ConsentForm;
  by: ConsentRegistrar;
  /** Facts from the school's structure, read when deciding. */
  studentKnown: boolean;
  linkedParents: readonly string[];
  /** Whether parentId names an account at all (else 404; an account not linked is a 400). */
  parentKnown: boolean;
}

export const initialConsentState = (): ConsentState => ({ status: 'none', form: null, history: [] });

export function decideConsent(command: RecordConsent, state: ConsentState): ConsentEvent[] {
  if (!command.studentKnown) throw noSuch('studentId', 'student of this school');
  if (!command.linkedParents.includes(command.parentId)) {
    throw command.parentKnown ? invalid('parentId', 'must be a parent linked to this student') : noSuch('parentId', 'account');
  }
  if (command.by.role === 'parent') {
    if (command.by.accountId !== command.parentId) throw forbidden('A parent registers only their own consent.');
    if (command.form !== 'electronic') throw invalid('form', 'must be "electronic" from a parent: a paper consent is registered by the class teacher or a deputy');
  } else if (command.form !== 'paper') {
    throw invalid('form', 'must be "paper" from the school: an electronic consent is given by the parent themself');
  }
  const data: ConsentData = { parentId: command.parentId, studentId: command.studentId, form: command.form };
  const { status } = state;
  if (command.granted) {
    if (status === 'granted') throw conflict('ALREADY_EXISTS', 'This consent is granted already.');
    return [{ type: 'ConsentGranted', data }];
  }
  if (status === 'granted') return [{ type: 'ConsentWithdrawn', data }];
  if (status !== 'none') throw conflict('ALREADY_EXISTS', 'This consent is refused already.');
  return [{ type: 'ConsentRefused', data }];
}

export function evolveConsent(state: ConsentState, event: ConsentEnvelope): ConsentState {
  if (!(event.type in STATUS_OF)) return state;
  const entry: ConsentEntry = { eventId: event.eventId ?? '', type: event.type, form: event.data.form, at: event.recordedAt ?? '', by: event.actor?.accountId ?? '' };
  return { status: STATUS_OF[event.type], form: event.data.form, history: [...state.history, entry] };
}

/**
 * Voidable (SPEC §4): decisions and the access check see only registrations that count, so a
 * consent given through a compromised account opens no diary, also after the reissue.
 */
export const consentDecider = { initialState: initialConsentState, evolve: evolveConsent, decide: decideConsent, voidable: true };
