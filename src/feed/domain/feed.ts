import { v5 as uuidv5 } from 'uuid';
import { comparePositions, formatPosition, parsePosition, Position, START } from '../../event-store/position';
import { Affected, changedBy, VoidingFacts, VoidingLedger } from '../../security/domain/voiding';

/**
 * The change feed (issue 17 item 4): a school's log as other systems mirror it. Pure: the caller
 * reads the events and the voiding facts; this file says which entries they make, in which order,
 * under which cursors and ids.
 *
 * - Every event of the scope is one entry, `void` judged under the facts up to its own position:
 *   the same prefix of the log always gives the same entry, whenever it is read.
 * - After each voiding fact (of any school: an account may be reported anywhere), one entry per
 *   earlier event of the scope whose voidness that fact changed (`Void` or `Reinstated`).
 *
 * So a mirror that applies events and flips the flag on change entries holds, at any cursor,
 * exactly the voidness the ledger of that prefix gives; at the head, the final one.
 */

/** An event as the feed reads it (a StoredEvent is one). */
export interface FeedSource {
  readonly eventId: string;
  readonly type: string;
  readonly stream: string;
  readonly schoolId: string | null;
  readonly position: Position;
  readonly recordedAt: string;
  readonly actor: { readonly accountId: string; readonly role: string };
  readonly data: unknown;
}

/**
 * A place in the feed: the entries at one log position, `index` 0 for the event there and 1, 2, …
 * for the change entries its fact made (per school). Written `<position>` or `<position>:<index>`.
 */
export interface FeedCursor {
  readonly position: Position;
  readonly index: number;
}

export interface EventEntry {
  readonly cursor: string;
  /** The event's id: the same in every read and on every channel (JetStream's Nats-Msg-Id). */
  readonly id: string;
  readonly kind: 'event';
  readonly type: string;
  readonly eventId: string;
  readonly stream: string;
  readonly schoolId: string | null;
  readonly position: string;
  readonly recordedAt: string;
  readonly actor: { readonly accountId: string; readonly role: string };
  readonly data: unknown;
  /** Void under the facts known up to this event's position (later facts flip it with change entries). */
  readonly void: boolean;
  readonly voidedBy: string | null;
}

export interface ChangeEntry {
  readonly cursor: string;
  /** UUIDv5 of (fact, event, kind of change): the same in every read. */
  readonly id: string;
  readonly kind: 'change';
  readonly type: 'Void' | 'Reinstated';
  /** The event whose voidness changed, with its type and stream (what filters and scopes look at). */
  readonly eventId: string;
  readonly eventType: string;
  readonly stream: string;
  readonly schoolId: string | null;
  /** Void: the incident that voids it now; Reinstated: the one that voided it until this fact. */
  readonly incidentId: string;
  /** The voiding fact (report, reissue, reinstatement) that changed it, and its position and moment. */
  readonly factEventId: string;
  readonly position: string;
  readonly recordedAt: string;
}

export type FeedEntry = EventEntry | ChangeEntry;

export const FEED_START: FeedCursor = { position: START, index: 0 };

/** Past every entry at a position: where a read that went through it resumes. Never shown to clients. */
const THROUGH = Number.MAX_SAFE_INTEGER;
export const throughCursor = (position: Position): FeedCursor => ({ position, index: THROUGH });

const CURSOR_PATTERN = /^(\d{1,20}\.\d{1,20})(?::([1-9]\d{0,8}))?$/;

/** Parses a cursor a client sends back; null for anything that is not one. */
export function parseCursor(text: string): FeedCursor | null {
  const match = CURSOR_PATTERN.exec(text);
  if (!match) return null;
  const position = parsePosition(match[1]);
  return position && { position, index: match[2] ? Number(match[2]) : 0 };
}

export function formatCursor(cursor: FeedCursor): string {
  if (cursor.index === THROUGH) throw new Error('a through-cursor is internal to a read');
  return cursor.index === 0 ? formatPosition(cursor.position) : `${formatPosition(cursor.position)}:${cursor.index}`;
}

export function compareCursors(a: FeedCursor, b: FeedCursor): number {
  return comparePositions(a.position, b.position) || Math.sign(a.index - b.index);
}

/** Change ids live in their own UUIDv5 namespace (a fixed random UUID). */
const CHANGE_ID_NAMESPACE = '5b0f7c7e-3f2a-4d47-9a52-6f7e0c1d2b90';
export const changeEntryId = (factEventId: string, eventId: string, type: ChangeEntry['type']): string => uuidv5(`${factEventId}/${eventId}/${type}`, CHANGE_ID_NAMESPACE);

/** Which earlier events a read must bring for the facts of its range: the events they may change. */
export interface Lookback {
  readonly accounts: readonly { readonly accountId: string; readonly recordedFrom: string }[];
  readonly eventIds: readonly string[];
}

/**
 * Every voiding fact of the log up to some position, in log order, as the feed needs them: the
 * ledger of any prefix, the facts of a range, and what each may change. Grows by appends only
 * (facts come in log order), and a prefix's answers never change as later facts join, so one
 * instance may serve reads that stop at different positions.
 */
export class FeedFacts {
  private readonly list: FeedSource[] = [];
  readonly ledger = new VoidingFacts();

  static of(facts: readonly FeedSource[]): FeedFacts {
    const known = new FeedFacts();
    for (const fact of facts) known.append(fact);
    return known;
  }

  /** The next fact of the log; one known already is ignored. */
  append(fact: FeedSource): void {
    if (this.ledger.has(fact.eventId)) return;
    this.ledger.append(fact, fact.position);
    if (this.ledger.has(fact.eventId)) this.list.push(fact);
  }

  get size(): number {
    return this.list.length;
  }

  /** The facts whose change entries may come after `after`, at or before `upTo`. */
  between(after: FeedCursor, upTo: Position): FeedSource[] {
    return this.list.filter((f) => compareCursors(throughCursor(f.position), after) > 0 && comparePositions(f.position, upTo) <= 0);
  }

  /** What the facts of a range may change: the accounts' operations from a moment on, and single events. */
  lookback(after: FeedCursor, upTo: Position): Lookback {
    const accounts = new Map<string, string>();
    const eventIds = new Set<string>();
    for (const fact of this.between(after, upTo)) {
      const affected = this.ledger.affectedBy(fact.eventId);
      for (const { accountId, recordedFrom } of affected?.accounts ?? []) {
        const known = accounts.get(accountId);
        if (known === undefined || recordedFrom < known) accounts.set(accountId, recordedFrom);
      }
      for (const id of affected?.eventIds ?? []) eventIds.add(id);
    }
    return { accounts: [...accounts].map(([accountId, recordedFrom]) => ({ accountId, recordedFrom })), eventIds: [...eventIds] };
  }

  /** The ledger of the facts at or before a position (`inclusive`). */
  upTo(position: Position, inclusive = true): VoidingLedger {
    return this.ledger.upTo(position, inclusive);
  }
}

export interface FeedRange {
  /** The scope's events after `after.position`, up to `upTo`, in log order (earlier ones are skipped). */
  readonly events: readonly FeedSource[];
  /** Events of the scope before the range that its facts may change (at least those `lookback` names; more is harmless). */
  readonly earlier: readonly FeedSource[];
  readonly after: FeedCursor;
  readonly upTo: Position;
}

const affects = (affected: Affected, event: FeedSource): boolean =>
  affected.eventIds.includes(event.eventId) || affected.accounts.some((a) => a.accountId === event.actor.accountId && event.recordedAt >= a.recordedFrom);

/** The feed's entries after `range.after`, through `range.upTo`, in cursor order. */
export function feedEntries(facts: FeedFacts, range: FeedRange): FeedEntry[] {
  const known = new Map<string, FeedSource>();
  for (const event of [...range.earlier, ...range.events]) known.set(event.eventId, event);
  const events = range.events.filter((e) => compareCursors({ position: e.position, index: 0 }, range.after) > 0 && comparePositions(e.position, range.upTo) <= 0);
  const factsInRange = facts.between(range.after, range.upTo);
  const entries: FeedEntry[] = [];
  let e = 0;
  let f = 0;
  while (e < events.length || f < factsInRange.length) {
    const order = e >= events.length ? 1 : f >= factsInRange.length ? -1 : comparePositions(events[e].position, factsInRange[f].position);
    // A fact of the scope is an event too: its own entry comes first, then the changes it made.
    if (order <= 0) entries.push(eventEntry(facts, events[e++]));
    if (order >= 0) {
      const fact = factsInRange[f++];
      // Resuming in the middle of a fact's changes (`after` = P:k): only those after k.
      const resumed = comparePositions(fact.position, range.after.position) === 0 ? range.after.index : 0;
      for (const change of changeEntries(facts, fact, known)) if (change.index > resumed) entries.push(change.entry);
    }
  }
  return entries;
}

function eventEntry(facts: FeedFacts, event: FeedSource): EventEntry {
  const voidedBy = facts.upTo(event.position).voidedBy(event);
  return {
    cursor: formatCursor({ position: event.position, index: 0 }),
    id: event.eventId,
    kind: 'event',
    type: event.type,
    eventId: event.eventId,
    stream: event.stream,
    schoolId: event.schoolId,
    position: formatPosition(event.position),
    recordedAt: event.recordedAt,
    actor: { accountId: event.actor.accountId, role: event.actor.role },
    data: event.data,
    void: voidedBy !== null,
    voidedBy,
  };
}

/** The earlier events of the scope whose voidness the fact changed, in log order, numbered per school. */
function changeEntries(facts: FeedFacts, fact: FeedSource, known: ReadonlyMap<string, FeedSource>): { index: number; entry: ChangeEntry }[] {
  const affected = facts.ledger.affectedBy(fact.eventId);
  if (!affected) return [];
  const candidates = [...known.values()].filter((e) => comparePositions(e.position, fact.position) < 0 && affects(affected, e));
  if (candidates.length === 0) return [];
  const before = facts.upTo(fact.position, false);
  const after = facts.upTo(fact.position, true);
  const changed = changedBy(before, after, candidates).sort((a, b) => comparePositions(a.position, b.position));
  const counts = new Map<string | null, number>();
  return changed.map((event) => {
    const index = (counts.get(event.schoolId) ?? 0) + 1;
    counts.set(event.schoolId, index);
    const voidedBy = after.voidedBy(event);
    const type = voidedBy !== null ? 'Void' : 'Reinstated';
    const entry: ChangeEntry = {
      cursor: formatCursor({ position: fact.position, index }),
      id: changeEntryId(fact.eventId, event.eventId, type),
      kind: 'change',
      type,
      eventId: event.eventId,
      eventType: event.type,
      stream: event.stream,
      schoolId: event.schoolId,
      incidentId: voidedBy ?? before.voidedBy(event)!,
      factEventId: fact.eventId,
      position: formatPosition(fact.position),
      recordedAt: fact.recordedAt,
    };
    return { index, entry };
  });
}

/** What of the school's feed a reader gets: every entry, or those of some event types and streams. */
export interface FeedFilter {
  readonly types?: ReadonlySet<string>;
  /** Stream name prefixes (a teacher's groups' journals); none: every stream. */
  readonly streamPrefixes?: readonly string[];
}

/** A change entry passes when the event it changes would. */
export function passes(filter: FeedFilter, entry: FeedEntry): boolean {
  const type = entry.kind === 'event' ? entry.type : entry.eventType;
  if (filter.types && !filter.types.has(type)) return false;
  return !filter.streamPrefixes || filter.streamPrefixes.some((prefix) => entry.stream.startsWith(prefix));
}

/**
 * What a mirror holds after applying entries: each event and whether it counts. How a consumer is
 * meant to use the feed, and what the tests hold it to.
 */
export function mirror(entries: readonly FeedEntry[]): Map<string, { type: string; void: boolean }> {
  const held = new Map<string, { type: string; void: boolean }>();
  for (const entry of entries) {
    if (entry.kind === 'event') held.set(entry.eventId, { type: entry.type, void: entry.void });
    else {
      const event = held.get(entry.eventId);
      if (event) event.void = entry.type === 'Void';
    }
  }
  return held;
}
