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
  /** Filed through a compromised account: it voids nothing (the incident that voids it). */
  void: boolean;
  voidedBy: string | null;
}

/** A school's incidents (the list route), keyed by school. */
export interface SchoolIncidentsDoc {
  incidents: Record<string, IncidentRow>;
}

export const incidents: DocumentProjector<SchoolIncidentsDoc> = {
  name: 'incidents',
  // 2: reports filed through a compromised account are listed, marked void; any valid reissue closes the account's open incident.
  version: 2,
  handles: ['CredentialCompromiseReported', 'CredentialsReissued', 'OperationReinstated'],
  seesVoid: true,
  keys: (event: StoredEvent) => (event.schoolId ? [event.schoolId] : []),
  evolve(doc, event, _key, voidedBy) {
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
        void: voidedBy !== null,
        voidedBy,
      };
      return { incidents: list };
    }
    // What a compromised account reissued or reinstated counts for nothing.
    if (voidedBy !== null) return { incidents: list };
    if (event.type === 'CredentialsReissued') {
      const { accountId } = event.data as { accountId: string };
      for (const row of Object.values(list)) if (row.accountId === accountId && row.status === 'open') list[row.id] = { ...row, status: 'closed', closedAt: event.recordedAt };
    } else {
      const id = (event.data as { incidentId: string }).incidentId;
      if (list[id]) list[id] = { ...list[id], reinstatedCount: list[id].reinstatedCount + 1 };
    }
    return { incidents: list };
  },
};
