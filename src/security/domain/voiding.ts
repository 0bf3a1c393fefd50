import { comparePositions, Position } from '../../event-store/position';

/**
 * Whether an event counts (SPEC §4, ARCHITECTURE.md "Voiding"): a pure function of the log.
 *
 *   void(e) ⇔ ∃ report r, valid: r.account = e.actor.account ∧ r.from ≤ e.recordedAt
 *             ∧ no valid reissue of that account after r (in log order) recorded ≤ e.recordedAt
 *             ∧ e is not reinstated by a valid reinstatement
 *
 * where r.from = suspectedSince ?? effectiveFrom. SPEC §4 says *every* operation of the account in
 * the window is void, so the facts themselves — reports, reissues, reinstatements — are judged by
 * the same rule: a report filed through a compromised account is void (its target's operations
 * count again), a reissue it made closes no window, a reinstatement it made reinstates nothing.
 *
 * Validity is then a fixpoint over the facts. Each fact depends only on the facts that could hold
 * it (reports on its actor, the reissues that could close them, reinstatements of it); the
 * dependency graph is resolved strongly connected component by component, dependencies first
 * (Tarjan), and inside a component by propagation: a fact is valid when nothing valid can hold it,
 * void when something valid surely does. A component that stays undecided is a cycle of accounts
 * reporting each other in flight; there the earliest fact in log order stands (it was filed before
 * the others could be). So the answer depends only on the set of facts and their log order — never
 * on the order they were read in — and any subset closed under dependencies (what a decision loads
 * from the writers' account streams) agrees with the whole log on its facts.
 *
 * Moments are RFC 3339 UTC with milliseconds, so they compare as strings.
 */

/** Event types that change what is void: the facts. They live in the account streams. */
export const VOIDING_EVENT_TYPES = ['CredentialCompromiseReported', 'OperationReinstated', 'CredentialsReissued'] as const;

/** A stored voiding event, as the rule reads it. */
export interface VoidingEvent {
  readonly eventId: string;
  readonly type: string;
  readonly recordedAt: string;
  readonly actor: { readonly accountId: string };
  readonly data: unknown;
}

/** What the rule looks at in any event. */
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
  /** The valid reissue that ended the incident; operations from then on count again. */
  readonly closedAt: string | null;
}

/** What is void, as far as some set of facts goes. */
export interface VoidingLedger {
  /** The incident that voids the event, or null when it counts. */
  voidedBy(event: Voidable): string | null;
  /** The incident whose window holds the event, reinstated or not (provenance and audits show both). */
  heldBy(event: Voidable): string | null;
  /** The valid incidents of an account, oldest first. */
  windows(accountId: string): readonly IncidentWindow[];
  /** Reinstated by a valid reinstatement. */
  isReinstated(eventId: string): boolean;
  /** Equal fingerprints, equal answers: a cached fold may be kept while it holds. */
  readonly fingerprint: string;
}

export const isVoidingEvent = (type: string): boolean => (VOIDING_EVENT_TYPES as readonly string[]).includes(type);

/** Every report, reissue and reinstatement is a fact: a reissue closes windows, and any of them may itself be void. */
export const isVoidingFact = (event: { type: string }): boolean => isVoidingEvent(event.type);

interface Fact {
  readonly index: number;
  readonly event: VoidingEvent;
  readonly position: Position;
  readonly kind: 'report' | 'reissue' | 'reinstatement';
  /** The account the fact is about (reported, reissued, whose operation is reinstated). */
  readonly target: string;
  /** report: the incident and the start of its window. */
  readonly incidentId: string;
  readonly from: string;
  /** reinstatement: the event it reinstates. */
  readonly reinstates: string;
}

const NONE: readonly Fact[] = [];

const KIND: Record<string, Fact['kind']> = { CredentialCompromiseReported: 'report', CredentialsReissued: 'reissue', OperationReinstated: 'reinstatement' };

const push = <K, V>(map: Map<K, V[]>, key: K, value: V) => {
  const list = map.get(key);
  if (list) list.push(value);
  else map.set(key, [value]);
};

/** Which events may change voidness when a fact joins: an account's operations from a moment on, and single events. */
export interface Affected {
  readonly accounts: readonly { readonly accountId: string; readonly recordedFrom: string }[];
  readonly eventIds: readonly string[];
}

/**
 * The voiding facts of a log, in log order, indexed by the account they concern, by their actor
 * and by the event they reinstate. Ledgers are views of a prefix (by position) or of the facts
 * known at a moment; each resolves lazily only what its questions touch, so a question costs the
 * facts about one account, not the whole history.
 */
export class VoidingFacts {
  private readonly facts: Fact[] = [];
  private readonly byId = new Map<string, Fact>();
  private readonly reportsOn = new Map<string, Fact[]>();
  private readonly reissuesOf = new Map<string, Fact[]>();
  private readonly byActor = new Map<string, Fact[]>();
  private readonly reinstatementsOf = new Map<string, Fact[]>();
  private readonly views = new Map<string, LedgerView>();

  /** Facts in log order (`position` orders them; without one, the order given). */
  static of(events: readonly (VoidingEvent & { position?: Position })[]): VoidingFacts {
    const facts = new VoidingFacts();
    events.forEach((event, i) => {
      if (isVoidingEvent(event.type)) facts.append(event, event.position ?? { major: BigInt(i + 1), minor: 0n });
    });
    return facts;
  }

  get size(): number {
    return this.facts.length;
  }

  has(eventId: string): boolean {
    return this.byId.has(eventId);
  }

  /** Adds the next fact of the log; one already known is ignored. Facts must come in log order. */
  append(event: VoidingEvent, position: Position): void {
    if (!isVoidingEvent(event.type) || this.byId.has(event.eventId)) return;
    const last = this.facts.at(-1);
    if (last && comparePositions(position, last.position) <= 0) throw new Error(`voiding fact ${event.eventId} out of log order`);
    const d = event.data as { accountId?: string; incidentId?: string; effectiveFrom?: string; suspectedSince?: string | null; eventId?: string };
    const fact: Fact = {
      index: this.facts.length,
      event,
      position,
      kind: KIND[event.type],
      target: d.accountId ?? '',
      incidentId: d.incidentId ?? '',
      from: d.suspectedSince ?? d.effectiveFrom ?? '',
      reinstates: event.type === 'OperationReinstated' ? (d.eventId ?? '') : '',
    };
    this.facts.push(fact);
    this.byId.set(event.eventId, fact);
    push(this.byActor, event.actor.accountId, fact);
    if (fact.kind === 'report') push(this.reportsOn, fact.target, fact);
    else if (fact.kind === 'reissue') push(this.reissuesOf, fact.target, fact);
    else push(this.reinstatementsOf, fact.reinstates, fact);
    // Moment views may now include the new fact; prefix views of earlier counts stay true.
    for (const key of [...this.views.keys()]) if (key.startsWith('t')) this.views.delete(key);
  }

  /** The ledger of every fact known. */
  all(): VoidingLedger {
    return this.prefix(this.facts.length);
  }

  /** The ledger of the facts at (`inclusive`) or before a position. */
  upTo(position: Position, inclusive = true): VoidingLedger {
    let low = 0;
    let high = this.facts.length;
    while (low < high) {
      const mid = (low + high) >> 1;
      const order = comparePositions(this.facts[mid].position, position);
      if (order < 0 || (inclusive && order === 0)) low = mid + 1;
      else high = mid;
    }
    return this.prefix(low);
  }

  /** The ledger of the facts recorded at or before a moment (API.md `asOf`: later voids not applied). */
  asOf(moment: string): VoidingLedger {
    // Moment views are dropped on every append, so the moment and the facts known name the answer.
    return this.view(`t${moment}`, (f) => f.event.recordedAt <= moment, () => `t${moment}:${this.facts.length}`);
  }

  private prefix(count: number): VoidingLedger {
    return this.view(`p${count}`, (f) => f.index < count, () => `p${count}:${count === 0 ? '' : this.facts[count - 1].event.eventId}`);
  }

  private view(key: string, includes: (fact: Fact) => boolean, fingerprint: () => string): LedgerView {
    let view = this.views.get(key);
    if (!view) {
      view = new LedgerView(this, includes, fingerprint());
      this.views.set(key, view);
      // A handful of recent views is all the runner and the asOf reads ask for at a time.
      if (this.views.size > 64) this.views.delete(this.views.keys().next().value as string);
    }
    return view;
  }

  /**
   * What may change voidness when the fact with this id joins the facts before it: the facts that
   * depend on it, transitively, and through them the accounts whose windows or reinstatements move.
   */
  affectedBy(eventId: string): Affected | null {
    const fact = this.byId.get(eventId);
    if (!fact) return null;
    const reached = new Set<Fact>([fact]);
    const queue = [fact];
    const accounts = new Map<string, string>();
    const eventIds = new Set<string>();
    const widen = (accountId: string, from: string) => {
      const known = accounts.get(accountId);
      if (known === undefined || from < known) accounts.set(accountId, from);
    };
    while (queue.length > 0) {
      const g = queue.shift()!;
      let dependents: Fact[] = [];
      if (g.kind === 'report') {
        widen(g.target, g.from);
        dependents = (this.byActor.get(g.target) ?? []).filter((f) => f.event.recordedAt >= g.from);
      } else if (g.kind === 'reissue') {
        widen(g.target, g.event.recordedAt);
        dependents = (this.byActor.get(g.target) ?? []).filter((f) => f.event.recordedAt >= g.event.recordedAt);
      } else {
        eventIds.add(g.reinstates);
        const reinstated = this.byId.get(g.reinstates);
        if (reinstated) dependents = [reinstated];
      }
      for (const f of dependents) {
        if (f.index > fact.index || reached.has(f)) continue;
        reached.add(f);
        queue.push(f);
      }
    }
    return { accounts: [...accounts].map(([accountId, recordedFrom]) => ({ accountId, recordedFrom })), eventIds: [...eventIds] };
  }

  /** @internal for LedgerView */
  lookup(eventId: string): Fact | undefined {
    return this.byId.get(eventId);
  }
  /** @internal */
  reportsAbout(accountId: string): readonly Fact[] {
    return this.reportsOn.get(accountId) ?? NONE;
  }
  /** @internal */
  reissuesAbout(accountId: string): readonly Fact[] {
    return this.reissuesOf.get(accountId) ?? [];
  }
  /** @internal */
  reinstatementsAbout(eventId: string): readonly Fact[] {
    return this.reinstatementsOf.get(eventId) ?? [];
  }
}

/** One ledger: the facts a predicate includes, each fact's validity resolved once, when first asked. */
class LedgerView implements VoidingLedger {
  /** true: the fact counts; false: it is void. */
  private readonly valid = new Map<Fact, boolean>();

  constructor(
    private readonly facts: VoidingFacts,
    private readonly includes: (fact: Fact) => boolean,
    readonly fingerprint: string,
  ) {}

  voidedBy(event: Voidable): string | null {
    // Nothing can hold an event whose account was never reported (the case of almost every event).
    if (this.facts.reportsAbout(event.actor.accountId).length === 0) return null;
    const fact = this.factOf(event);
    if (fact) return this.isValid(fact) ? null : (this.heldBy(event) ?? this.attackers(fact)[0]?.incidentId ?? null);
    const incident = this.heldBy(event);
    return incident !== null && !this.isReinstated(event.eventId) ? incident : null;
  }

  heldBy(event: Voidable): string | null {
    for (const r of this.facts.reportsAbout(event.actor.accountId)) {
      if (!this.includes(r) || r.event.eventId === event.eventId || r.from > event.recordedAt) continue;
      if (this.isValid(r) && !this.closedFor(r, event)) return r.incidentId;
    }
    return null;
  }

  windows(accountId: string): IncidentWindow[] {
    return this.facts
      .reportsAbout(accountId)
      .filter((r) => this.includes(r) && this.isValid(r))
      .map((r) => {
        const closer = this.facts.reissuesAbout(accountId).find((q) => q.index > r.index && this.includes(q) && this.isValid(q));
        return { incidentId: r.incidentId, accountId, from: r.from, closedAt: closer ? closer.event.recordedAt : null };
      });
  }

  isReinstated(eventId: string): boolean {
    return this.facts.reinstatementsAbout(eventId).some((i) => this.includes(i) && i.event.eventId !== eventId && this.isValid(i));
  }

  private factOf(event: Voidable): Fact | undefined {
    const fact = this.facts.lookup(event.eventId);
    return fact && this.includes(fact) ? fact : undefined;
  }

  /** A valid reissue of the account after the report, recorded no later than the event: the window was closed for it. */
  private closedFor(report: Fact, event: Voidable): boolean {
    return this.closers(report, event).some((q) => this.isValid(q));
  }

  private closers(report: Fact, event: Voidable): Fact[] {
    return this.facts
      .reissuesAbout(report.target)
      .filter((q) => q.index > report.index && q.event.recordedAt <= event.recordedAt && q.event.eventId !== event.eventId && this.includes(q));
  }

  /** Reports whose window could hold the fact (validity not asked yet). */
  private attackers(fact: Fact): Fact[] {
    return this.facts.reportsAbout(fact.event.actor.accountId).filter((r) => r !== fact && this.includes(r) && r.from <= fact.event.recordedAt);
  }

  private reinstaters(fact: Fact): Fact[] {
    return this.facts.reinstatementsAbout(fact.event.eventId).filter((i) => i !== fact && this.includes(i));
  }

  /** What a fact's validity depends on: the reports that could hold it, their closers, its reinstatements. */
  private dependencies(fact: Fact): Fact[] {
    const out = new Set<Fact>();
    for (const r of this.attackers(fact)) {
      out.add(r);
      for (const q of this.closers(r, fact.event)) out.add(q);
    }
    for (const i of this.reinstaters(fact)) out.add(i);
    return [...out];
  }

  private isValid(fact: Fact): boolean {
    const known = this.valid.get(fact);
    if (known !== undefined) return known;
    this.resolve(fact);
    return this.valid.get(fact)!;
  }

  /** Tarjan's strongly connected components over the unresolved dependencies of `seed`, dependencies first. */
  private resolve(seed: Fact): void {
    const order = new Map<Fact, number>();
    const low = new Map<Fact, number>();
    const stack: Fact[] = [];
    const onStack = new Set<Fact>();
    const visit = (v: Fact) => {
      order.set(v, order.size);
      low.set(v, order.get(v)!);
      stack.push(v);
      onStack.add(v);
      for (const w of this.dependencies(v)) {
        if (this.valid.has(w)) continue;
        if (!order.has(w)) {
          visit(w);
          low.set(v, Math.min(low.get(v)!, low.get(w)!));
        } else if (onStack.has(w)) {
          low.set(v, Math.min(low.get(v)!, order.get(w)!));
        }
      }
      if (low.get(v) === order.get(v)) {
        const component: Fact[] = [];
        let w: Fact;
        do {
          w = stack.pop()!;
          onStack.delete(w);
          component.push(w);
        } while (w !== v);
        this.settle(component);
      }
    };
    visit(seed);
  }

  /** Decides one component, whose dependencies outside it are decided already. */
  private settle(component: Fact[]): void {
    component.sort((a, b) => a.index - b.index);
    const local = new Map<Fact, boolean>();
    const status = (f: Fact) => this.valid.get(f) ?? local.get(f);
    for (;;) {
      for (let progress = true; progress; ) {
        progress = false;
        for (const f of component) {
          if (local.has(f)) continue;
          const verdict = this.judge(f, status);
          if (verdict !== undefined) {
            local.set(f, verdict);
            progress = true;
          }
        }
      }
      const undecided = component.find((f) => !local.has(f));
      if (!undecided) break;
      // Accounts that report each other in flight: the fact filed first stands.
      local.set(undecided, true);
    }
    for (const [f, verdict] of local) this.valid.set(f, verdict);
  }

  /** true: surely valid; false: surely void; undefined: depends on facts not decided yet. */
  private judge(fact: Fact, status: (f: Fact) => boolean | undefined): boolean | undefined {
    const reinstaters = this.reinstaters(fact);
    if (reinstaters.some((i) => status(i) === true)) return true;
    const reinstatementPending = reinstaters.some((i) => status(i) === undefined);
    let held = false;
    let maybeHeld = false;
    for (const r of this.attackers(fact)) {
      const reportValid = status(r);
      if (reportValid === false) continue;
      const closers = this.closers(r, fact.event);
      if (closers.some((q) => status(q) === true)) continue;
      if (reportValid === true && !closers.some((q) => status(q) === undefined)) held = true;
      else maybeHeld = true;
    }
    if (held) return reinstatementPending ? undefined : false;
    return maybeHeld ? undefined : true;
  }
}

const NO_FACTS = new VoidingFacts();

export const emptyLedger = (): VoidingLedger => NO_FACTS.all();

/** The ledger of these events' facts, taken in the order given (tests, small folds). */
export const foldLedger = (events: readonly (VoidingEvent & { position?: Position })[]): VoidingLedger => VoidingFacts.of(events).all();

/** The window holds the event: its account's, recorded from the window's start and before its end. */
export const windowHolds = (window: IncidentWindow, event: Voidable): boolean =>
  event.actor.accountId === window.accountId && window.from <= event.recordedAt && (window.closedAt === null || event.recordedAt < window.closedAt);

/** The incident that voids the event, or null when it counts. */
export const voidedBy = (ledger: VoidingLedger, event: Voidable): string | null => ledger.voidedBy(event);

export const isVoid = (ledger: VoidingLedger, event: Voidable): boolean => ledger.voidedBy(event) !== null;

/** The incident whose window holds the event, reinstated or not. */
export const heldBy = (ledger: VoidingLedger, event: Voidable): string | null => ledger.heldBy(event);

/** Of the candidates, those whose voidness differs between the two ledgers. */
export function changedBy<E extends Voidable>(before: VoidingLedger, after: VoidingLedger, candidates: readonly E[]): E[] {
  return candidates.filter((event) => isVoid(before, event) !== isVoid(after, event));
}
