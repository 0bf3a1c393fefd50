import { forbidden, invalid, noSuch } from '../../common/domain-error';

/**
 * A parent's confirmation of having read a student's diary up to a date (seed 000, 003 §20),
 * stream `diary-acknowledgements-<studentId>`. It records the `version` of the diary of the week
 * of `upTo` as the service showed it when deciding, so an audit can prove what the parent saw and
 * whether the diary changed afterwards. The class teacher registers a paper signature.
 */
export const acknowledgementsStream = (studentId: string) => `diary-acknowledgements-${studentId}`;

export const ACKNOWLEDGEMENT_FORMS = ['electronic', 'paper'] as const;
export type AcknowledgementForm = (typeof ACKNOWLEDGEMENT_FORMS)[number];

export interface DiaryAcknowledgedData {
  acknowledgementId: string;
  studentId: string;
  parentId: string;
  upTo: string;
  /** Monday of the week of `upTo`: the diary week whose version is recorded. */
  weekOf: string;
  form: AcknowledgementForm;
  version: string;
}

export type AcknowledgementEvent = { type: 'DiaryAcknowledged'; data: DiaryAcknowledgedData };

export interface AcknowledgementsState {
  /** The last acknowledgement of each parent. */
  last: Record<string, { upTo: string; version: string; form: AcknowledgementForm }>;
}

export interface AcknowledgeDiary {
  type: 'AcknowledgeDiary';
  acknowledgementId: string;
  studentId: string;
  upTo: string;
  /** As sent: null when left out. */
  form: AcknowledgementForm | null;
  parentId: string | null;
  by: { accountId: string; role: 'parent' | 'class-teacher' };
  /** Facts read when deciding: the school's links, its today, and the diary as served now. */
  linkedParents: readonly string[];
  /** Whether a parentId given names an account at all (else 404; one not linked is a 400). */
  parentKnown: boolean;
  today: string;
  weekOf: string;
  version: string;
}

export const initialAcknowledgementsState = (): AcknowledgementsState => ({ last: {} });

function whoSigned(command: AcknowledgeDiary): { parentId: string; form: AcknowledgementForm } {
  if (command.by.role === 'parent') {
    if (command.form === 'paper') throw invalid('form', 'must be "electronic" from a parent: a paper signature is registered by the class teacher');
    if (command.parentId !== null && command.parentId !== command.by.accountId) {
      throw command.parentKnown ? invalid('parentId', 'must be your own account: a parent acknowledges for themself') : noSuch('parentId', 'account');
    }
    if (!command.linkedParents.includes(command.by.accountId)) throw forbidden("Only the student's parents acknowledge this diary.");
    return { parentId: command.by.accountId, form: 'electronic' };
  }
  if (command.form !== 'paper') throw invalid('form', 'must be "paper": the class teacher registers a paper signature');
  if (command.parentId !== null) {
    if (!command.linkedParents.includes(command.parentId)) {
      throw command.parentKnown ? invalid('parentId', 'must be a parent linked to this student') : noSuch('parentId', 'account');
    }
    return { parentId: command.parentId, form: 'paper' };
  }
  if (command.linkedParents.length === 0) throw invalid('parentId', 'cannot be found: the student has no linked parent');
  if (command.linkedParents.length > 1) throw invalid('parentId', 'is required: the student has several linked parents');
  return { parentId: command.linkedParents[0], form: 'paper' };
}

export function decideAcknowledgement(command: AcknowledgeDiary, _state: AcknowledgementsState): AcknowledgementEvent[] {
  if (command.upTo > command.today) throw invalid('upTo', `must not be after today (${command.today})`);
  // Every confirmation is a fact of its own, a repeated one too: it says the parent read it again
  // (and a repeat after a voided one must not be refused on the strength of the void one).
  const { parentId, form } = whoSigned(command);
  return [
    {
      type: 'DiaryAcknowledged',
      data: { acknowledgementId: command.acknowledgementId, studentId: command.studentId, parentId, upTo: command.upTo, weekOf: command.weekOf, form, version: command.version },
    },
  ];
}

export function evolveAcknowledgements(state: AcknowledgementsState, event: AcknowledgementEvent): AcknowledgementsState {
  if (event.type !== 'DiaryAcknowledged') return state;
  const { parentId, upTo, version, form } = event.data;
  return { last: { ...state.last, [parentId]: { upTo, version, form } } };
}

export const acknowledgementsDecider = {
  initialState: initialAcknowledgementsState,
  evolve: evolveAcknowledgements,
  decide: decideAcknowledgement,
  voidable: true,
};
