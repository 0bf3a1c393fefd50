import type { StoredEvent } from '../../src/event-store/envelope';
import { DocumentProjector } from '../projector';

export interface IncidentRow {
  id: string;
  accountId: string;
  effectiveFrom: string;
  suspectedSince: string | null;
  reportedAt: string;
  reportedBy: string;
  note: string | null;
  status: 'open' | 'closed';
  closedAt: string | null;
  reinstatedCount: number;
}

/** A school's incidents (the list route), keyed by school. */
export interface SchoolIncidentsDoc {
  incidents: Record<string, IncidentRow>;
}

export const incidents: DocumentProjector<SchoolIncidentsDoc> = {
  name: 'incidents',
  version: 1,
  handles: ['CredentialCompromiseReported', 'CredentialsReissued', 'OperationReinstated'],
  keys: (event: StoredEvent) => {
    const data = event.data as { closesIncidentId?: string | null };
    if (!event.schoolId) return [];
    return event.type === 'CredentialsReissued' && !data.closesIncidentId ? [] : [event.schoolId];
  },
  evolve(doc, event) {
    const list = { ...(doc?.incidents ?? {}) };
    if (event.type === 'CredentialCompromiseReported') {
      const d = event.data as { incidentId: string; accountId: string; effectiveFrom: string; suspectedSince: string | null; reportedBy: string; note: string | null };
      list[d.incidentId] = {
        id: d.incidentId,
        accountId: d.accountId,
        effectiveFrom: d.effectiveFrom,
        suspectedSince: d.suspectedSince,
        reportedAt: event.recordedAt,
        reportedBy: d.reportedBy,
        note: d.note,
        status: 'open',
        closedAt: null,
        reinstatedCount: 0,
      };
    } else if (event.type === 'CredentialsReissued') {
      const id = (event.data as { closesIncidentId: string }).closesIncidentId;
      if (list[id]) list[id] = { ...list[id], status: 'closed', closedAt: event.recordedAt };
    } else {
      const id = (event.data as { incidentId: string }).incidentId;
      if (list[id]) list[id] = { ...list[id], reinstatedCount: list[id].reinstatedCount + 1 };
    }
    return { incidents: list };
  },
};
