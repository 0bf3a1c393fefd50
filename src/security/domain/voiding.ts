/**
 * Whether an event counts (SPEC §4, ARCHITECTURE.md "Voiding"): a pure function of the log.
 *
 *   void(e) ⇔ ∃ incident i: i.account = e.actor.account ∧ i.from ≤ e.recordedAt
 *             ∧ (i.closedAt undefined ∨ e.recordedAt < i.closedAt) ∧ e not reinstated
 *
 * where i.from = suspectedSince ?? effectiveFrom and i.closedAt is the moment the account's
 * credentials were reissued after the report. The facts are three kinds of account-stream events;
 * a ledger is their fold. Moments are RFC 3339 UTC with milliseconds, so they compare as strings.
 */

/** Event types that change what is void. They are never void themselves: the rule must rest on something. */
export const VOIDING_EVENT_TYPES = ['CredentialCompromiseReported', 'OperationReinstated', 'CredentialsReissued'] as const;

export interface VoidingEvent {
  readonly eventId: string;
  readonly type: string;
  readonly recordedAt: string;
  readonly data: unknown;
}

/** What the rule looks at in an event. */
export interface Voidable {
  readonly eventId: string;
  readonly type: string;
  readonly recordedAt: string;
  readonly actor: { readonly accountId: string };
}

export interface IncidentWindow {
  readonly incidentId: string;
  readonly accountId: string;
  /** suspectedSince ?? effectiveFrom: the first moment whose operations are void. */
  readonly from: string;
  /** The reissue that ended the incident; operations from then on count again. */
  readonly closedAt: string | null;
}

export interface VoidingLedger {
  /** Incidents by account, oldest first. */
  readonly byAccount: Readonly<Record<string, readonly IncidentWindow[]>>;
  /** Reinstated event ids, and by which incident's review. */
  readonly reinstated: Readonly<Record<string, string>>;
}

export const emptyLedger = (): VoidingLedger => ({ byAccount: {}, reinstated: {} });

export const isVoidingEvent = (type: string): boolean => (VOIDING_EVENT_TYPES as readonly string[]).includes(type);

/** A voiding event that can change the ledger: every report and reinstatement, a reissue only when it ends an incident. */
export const isVoidingFact = (event: { type: string; data: unknown }): boolean =>
  isVoidingEvent(event.type) && (event.type !== 'CredentialsReissued' || !!(event.data as { closesIncidentId?: string | null }).closesIncidentId);

/** The ledger after one more fact. Pure: a new ledger, the old one untouched. */
export function evolveLedger(ledger: VoidingLedger, event: VoidingEvent): VoidingLedger {
  switch (event.type) {
    case 'CredentialCompromiseReported': {
      const d = event.data as { incidentId: string; accountId: string; effectiveFrom: string; suspectedSince: string | null };
      const window: IncidentWindow = { incidentId: d.incidentId, accountId: d.accountId, from: d.suspectedSince ?? d.effectiveFrom, closedAt: null };
      return { ...ledger, byAccount: { ...ledger.byAccount, [d.accountId]: [...(ledger.byAccount[d.accountId] ?? []), window] } };
    }
    case 'CredentialsReissued': {
      const { accountId } = event.data as { accountId: string };
      const windows = ledger.byAccount[accountId];
      if (!windows?.some((w) => w.closedAt === null)) return ledger;
      return { ...ledger, byAccount: { ...ledger.byAccount, [accountId]: windows.map((w) => (w.closedAt === null ? { ...w, closedAt: event.recordedAt } : w)) } };
    }
    case 'OperationReinstated': {
      const d = event.data as { incidentId: string; eventId: string };
      return { ...ledger, reinstated: { ...ledger.reinstated, [d.eventId]: d.incidentId } };
    }
    default:
      return ledger;
  }
}

export const foldLedger = (events: readonly VoidingEvent[], start: VoidingLedger = emptyLedger()): VoidingLedger =>
  events.reduce((ledger, event) => (isVoidingEvent(event.type) ? evolveLedger(ledger, event) : ledger), start);

/** The incidents whose window holds the event (its account, its moment), reinstated or not. */
export function windowsHolding(ledger: VoidingLedger, event: Voidable): IncidentWindow[] {
  const windows = ledger.byAccount[event.actor.accountId];
  if (!windows || isVoidingEvent(event.type)) return [];
  return windows.filter((w) => w.from <= event.recordedAt && (w.closedAt === null || event.recordedAt < w.closedAt));
}

/** The incident whose window holds the event, reinstated or not (provenance and audits show both). */
export const heldBy = (ledger: VoidingLedger, event: Voidable): string | null => windowsHolding(ledger, event)[0]?.incidentId ?? null;

/** The incident that voids the event, or null when it counts. */
export function voidedBy(ledger: VoidingLedger, event: Voidable): string | null {
  const windows = windowsHolding(ledger, event);
  if (windows.length === 0 || ledger.reinstated[event.eventId] !== undefined) return null;
  return windows[0].incidentId;
}

export const isVoid = (ledger: VoidingLedger, event: Voidable): boolean => voidedBy(ledger, event) !== null;

/**
 * Which events may change state when `fact` joins the ledger: the account's operations recorded from
 * this moment on (`accountId`, `recordedFrom`), or one event (`eventId`). Null: none can.
 * The caller fetches those and keeps the ones whose state really changed (see changedBy).
 */
export function affectedBy(before: VoidingLedger, fact: VoidingEvent): { accountId: string; recordedFrom: string; eventId?: string } | null {
  switch (fact.type) {
    case 'CredentialCompromiseReported': {
      const d = fact.data as { accountId: string; effectiveFrom: string; suspectedSince: string | null };
      return { accountId: d.accountId, recordedFrom: d.suspectedSince ?? d.effectiveFrom };
    }
    case 'CredentialsReissued': {
      const { accountId } = fact.data as { accountId: string };
      // Only operations recorded at or after the reissue can start counting again (in-flight ones).
      return before.byAccount[accountId]?.some((w) => w.closedAt === null) ? { accountId, recordedFrom: fact.recordedAt } : null;
    }
    case 'OperationReinstated': {
      const d = fact.data as { accountId: string; eventId: string };
      const windows = before.byAccount[d.accountId] ?? [];
      if (windows.length === 0) return null;
      return { accountId: d.accountId, recordedFrom: windows.map((w) => w.from).sort()[0], eventId: d.eventId };
    }
    default:
      return null;
  }
}

/** Of the candidates, those whose voidness differs between the two ledgers. */
export function changedBy<E extends Voidable>(before: VoidingLedger, after: VoidingLedger, candidates: readonly E[]): E[] {
  return candidates.filter((event) => isVoid(before, event) !== isVoid(after, event));
}

/** An account's incidents as its stream folds them (see account.decider). */
export interface AccountIncidents {
  readonly accountId: string;
  readonly incidents: Readonly<
    Record<string, { incidentId: string; effectiveFrom: string; suspectedSince: string | null; closedAt: string | null; reinstated: Readonly<Record<string, unknown>> }>
  >;
}

/** The ledger of some accounts, from their own streams: what decisions and audits read, never behind a write. */
export function ledgerOfAccounts(accounts: readonly AccountIncidents[]): VoidingLedger {
  const byAccount: Record<string, IncidentWindow[]> = {};
  const reinstated: Record<string, string> = {};
  for (const account of accounts) {
    const incidents = Object.values(account.incidents);
    if (incidents.length === 0) continue;
    byAccount[account.accountId] = incidents.map((i) => ({ incidentId: i.incidentId, accountId: account.accountId, from: i.suspectedSince ?? i.effectiveFrom, closedAt: i.closedAt }));
    for (const incident of incidents) for (const eventId of Object.keys(incident.reinstated)) reinstated[eventId] = incident.incidentId;
  }
  return { byAccount, reinstated };
}
