import type { StoredEvent } from '../../src/event-store/envelope';
import type { AcknowledgementEvent, AcknowledgementForm } from '../../src/parents/domain/acknowledgement.decider';
import { DocumentProjector } from '../projector';

/** One student's diary acknowledgements, in log order, keyed by the student's id. */
export interface AcknowledgementsDoc {
  studentId: string;
  items: {
    acknowledgementId: string;
    eventId: string;
    parentId: string;
    upTo: string;
    weekOf: string;
    form: AcknowledgementForm;
    version: string;
    /** When it was recorded, and by whom (the parent, or the class teacher for a paper signature). */
    at: string;
    by: string;
  }[];
}

/** A plain fold: voided events are left out by the runner before they reach it. */
export function evolveAcknowledgements(current: AcknowledgementsDoc | null, stored: StoredEvent): AcknowledgementsDoc {
  const event = stored as unknown as AcknowledgementEvent;
  const doc = current ?? { studentId: event.data.studentId, items: [] };
  if (event.type !== 'DiaryAcknowledged') return doc;
  const { acknowledgementId, parentId, upTo, weekOf, form, version } = event.data;
  return { ...doc, items: [...doc.items, { acknowledgementId, eventId: stored.eventId, parentId, upTo, weekOf, form, version, at: stored.recordedAt, by: stored.actor.accountId }] };
}

export const acknowledgements: DocumentProjector<AcknowledgementsDoc> = {
  name: 'acknowledgements',
  version: 1,
  handles: ['DiaryAcknowledged'],
  keys: (event) => (event.type === 'DiaryAcknowledged' ? [(event.data as { studentId: string }).studentId] : []),
  evolve: evolveAcknowledgements,
};
