import fc from 'fast-check';
import { changedBy, emptyLedger, foldLedger, isVoid, VoidingEvent, VoidingFacts, voidedBy } from './voiding';

let n = 0;
const report = (by: string, on: string, recordedAt: string, from: string, incidentId = `i${++n}`): VoidingEvent => ({
  eventId: `r-${incidentId}`,
  type: 'CredentialCompromiseReported',
  recordedAt,
  actor: { accountId: by },
  data: { incidentId, accountId: on, effectiveFrom: from, suspectedSince: null },
});
const reissue = (by: string, of: string, recordedAt: string): VoidingEvent => ({ eventId: `x${++n}`, type: 'CredentialsReissued', recordedAt, actor: { accountId: by }, data: { accountId: of } });
const reinstatement = (by: string, incidentId: string, accountId: string, eventId: string, recordedAt: string): VoidingEvent => ({
  eventId: `ri${++n}`,
  type: 'OperationReinstated',
  recordedAt,
  actor: { accountId: by },
  data: { incidentId, accountId, eventId },
});
const op = (eventId: string, recordedAt: string, accountId = 'a1', type = 'MarkRecorded') => ({ eventId, type, recordedAt, actor: { accountId } });
const t = (hour: number, minute = 0) => `2026-09-10T${String(hour).padStart(2, '0')}:${String(minute).padStart(2, '0')}:00.000Z`;

describe('the voiding rule', () => {
  const first = report('security', 'a1', t(9), t(8), 'i1');
  const ledger = foldLedger([first, reissue('sysadmin', 'a1', t(11))]);

  it('given a report and a reissue, then the account’s operations recorded in [effectiveFrom, reissue) are void', () => {
    expect(isVoid(ledger, op('e1', '2026-09-10T07:59:59.999Z'))).toBe(false);
    expect(voidedBy(ledger, op('e2', t(8)))).toBe('i1');
    expect(isVoid(ledger, op('e3', '2026-09-10T10:59:59.999Z'))).toBe(true);
    expect(isVoid(ledger, op('e4', t(11)))).toBe(false);
    expect(ledger.windows('a1')).toEqual([{ incidentId: 'i1', accountId: 'a1', from: t(8), closedAt: t(11) }]);
  });

  it('never voids another account', () => {
    expect(isVoid(ledger, op('e5', t(8, 30), 'a2'))).toBe(false);
  });

  it('starts at suspectedSince when given, and spares what was reinstated', () => {
    const early = { ...first, data: { ...(first.data as object), suspectedSince: '2026-09-09T00:00:00.000Z' } };
    const earlier = foldLedger([early, reinstatement('security', 'i1', 'a1', 'e7', t(12))]);
    expect(isVoid(earlier, op('e8', '2026-09-09T12:00:00.000Z'))).toBe(true);
    expect(isVoid(earlier, op('e7', '2026-09-09T12:00:00.000Z'))).toBe(false);
    expect(earlier.heldBy(op('e7', '2026-09-09T12:00:00.000Z'))).toBe('i1');
  });

  describe('given facts filed through a compromised account (issue 12 point 3)', () => {
    it('when the reporter is itself reported from before its report, then its report is void and its target’s operations count again', () => {
      const intruder = report('rogue', 'director', t(9), t(8), 'fake');
      const caught = report('security', 'rogue', t(10), t(7), 'real');
      const facts = foldLedger([intruder, caught]);
      expect(voidedBy(facts, intruder)).toBe('real');
      expect(isVoid(facts, op('d1', t(8, 30), 'director'))).toBe(false);
      expect(facts.windows('director')).toEqual([]);
      // Before the real report was known, the fake one voided the director's work.
      expect(isVoid(foldLedger([intruder]), op('d1', t(8, 30), 'director'))).toBe(true);
    });

    it('a reissue made through a compromised account closes no window; a valid one after it does', () => {
      const facts = foldLedger([report('security', 'a1', t(9), t(8), 'i1'), report('security', 'rogue', t(9, 30), t(8, 30), 'i2'), reissue('rogue', 'a1', t(10)), reissue('sysadmin', 'a1', t(12))]);
      expect(isVoid(facts, op('e1', t(11)))).toBe(true);
      expect(isVoid(facts, op('e2', t(12)))).toBe(false);
      expect(facts.windows('a1')[0].closedAt).toBe(t(12));
    });

    it('a reinstatement made through a compromised account reinstates nothing', () => {
      const facts = foldLedger([report('security', 'a1', t(9), t(8), 'i1'), reinstatement('rogue', 'i1', 'a1', 'e1', t(10)), report('security', 'rogue', t(11), t(9, 30), 'i2')]);
      expect(isVoid(facts, op('e1', t(8, 30)))).toBe(true);
      expect(facts.isReinstated('e1')).toBe(false);
    });

    it('a fact is never held by itself: an account may report its own leak', () => {
      const own = report('a1', 'a1', t(9), t(8), 'self');
      const facts = foldLedger([own]);
      expect(isVoid(facts, own)).toBe(false);
      expect(isVoid(facts, op('e1', t(8, 30)))).toBe(true);
    });

    it('two accounts reporting each other in flight: the report filed first stands', () => {
      const aOnB = report('a', 'b', t(9), t(8), 'ab');
      const bOnA = report('b', 'a', t(9, 1), t(8), 'ba');
      const facts = foldLedger([aOnB, bOnA]);
      expect(isVoid(facts, aOnB)).toBe(false);
      expect(voidedBy(facts, bOnA)).toBe('ab');
      expect(isVoid(facts, op('e1', t(8, 30), 'b'))).toBe(true);
      expect(isVoid(facts, op('e2', t(8, 30), 'a'))).toBe(false);
    });
  });

  it('names what a fact may change: the accounts whose windows move, and the events it reinstates', () => {
    const facts = new VoidingFacts();
    const pos = (i: number) => ({ major: BigInt(i), minor: 0n });
    const onDirector = report('rogue', 'director', t(9), t(8), 'fake');
    facts.append(onDirector, pos(1));
    facts.append(reinstatement('rogue', 'x', 'a1', 'e9', t(9, 10)), pos(2));
    const caught = report('security', 'rogue', t(10), t(7), 'real');
    facts.append(caught, pos(3));
    const affected = facts.affectedBy(caught.eventId)!;
    expect(affected.accounts).toEqual(expect.arrayContaining([{ accountId: 'rogue', recordedFrom: t(7) }, { accountId: 'director', recordedFrom: t(8) }]));
    expect(affected.eventIds).toEqual(['e9']);
    const before = facts.upTo(pos(3), false);
    const after = facts.upTo(pos(3));
    expect(changedBy(before, after, [op('d1', t(8, 30), 'director'), op('d2', t(7, 30), 'director'), onDirector]).map((e) => e.eventId)).toEqual(['d1', onDirector.eventId]);
  });

  it('asOf: the facts recorded by then, later ones not applied', () => {
    const facts = VoidingFacts.of([report('security', 'a1', t(9), t(8), 'i1'), reissue('sysadmin', 'a1', t(11))]);
    expect(isVoid(facts.asOf(t(8, 59)), op('e1', t(8, 30)))).toBe(false);
    expect(isVoid(facts.asOf(t(9)), op('e1', t(8, 30)))).toBe(true);
    expect(isVoid(facts.asOf(t(10)), op('e2', t(11, 30)))).toBe(true);
    expect(isVoid(facts.asOf(t(11)), op('e2', t(11, 30)))).toBe(false);
    expect(isVoid(emptyLedger(), op('e1', t(8, 30)))).toBe(false);
  });
});

/** Generated facts among a few accounts, each with its operations: the rule's invariants. */
describe('property: the ledger', () => {
  const accounts = ['a', 'b', 'c', 'd'];
  const fact = fc.oneof(
    fc.record({ kind: fc.constant('report' as const), by: fc.constantFrom(...accounts), on: fc.constantFrom(...accounts), back: fc.nat(6) }),
    fc.record({ kind: fc.constant('reissue' as const), by: fc.constantFrom(...accounts), on: fc.constantFrom(...accounts) }),
    fc.record({ kind: fc.constant('reinstate' as const), by: fc.constantFrom(...accounts), pick: fc.nat(40) }),
    fc.record({ kind: fc.constant('op' as const), by: fc.constantFrom(...accounts) }),
  );
  type Generated = { facts: VoidingEvent[]; ops: ReturnType<typeof op>[] };
  type Step = typeof fact extends fc.Arbitrary<infer T> ? T : never;
  const build = (steps: Step[]): Generated => {
    const facts: VoidingEvent[] = [];
    const ops: ReturnType<typeof op>[] = [];
    const at = (i: number) => new Date(Date.UTC(2026, 8, 10, 8, i)).toISOString();
    steps.forEach((step, i) => {
      if (step.kind === 'report') facts.push(report(step.by, step.on, at(i), at(Math.max(0, i - step.back)), `g${i}`));
      else if (step.kind === 'reissue') facts.push(reissue(step.by, step.on, at(i)));
      else if (step.kind === 'op') ops.push(op(`o${i}`, at(i), step.by));
      else {
        const reports = facts.filter((f) => f.type === 'CredentialCompromiseReported');
        const targets = [...ops, ...facts];
        if (reports.length === 0 || targets.length === 0) return;
        const r = reports[step.pick % reports.length];
        const target = targets[step.pick % targets.length];
        facts.push(reinstatement(step.by, (r.data as { incidentId: string }).incidentId, target.actor.accountId, target.eventId, at(i)));
      }
    });
    return { facts, ops };
  };
  const everything = (g: Generated) => [...g.ops, ...g.facts];

  it('answers the same, however the facts were read: appended one by one with questions in between, or all at once', () => {
    fc.assert(
      fc.property(fc.array(fact, { maxLength: 40 }), fc.array(fc.nat(40), { maxLength: 10 }), (steps, probes) => {
        const g = build(steps);
        const incremental = new VoidingFacts();
        g.facts.forEach((f, i) => {
          incremental.append(f, { major: BigInt(i + 1), minor: 0n });
          // Ask questions of the growing ledger, so its memo is exercised.
          for (const p of probes) {
            const target = everything(g)[p % Math.max(1, everything(g).length)];
            if (target) incremental.all().voidedBy(target);
          }
        });
        const whole = foldLedger(g.facts);
        for (const e of everything(g)) expect(incremental.all().voidedBy(e)).toBe(whole.voidedBy(e));
      }),
    );
  });

  it('a subset closed under “who filed it” agrees with the whole log on its accounts (what a decision loads)', () => {
    fc.assert(
      fc.property(fc.array(fact, { maxLength: 40 }), fc.constantFrom(...accounts), (steps, writer) => {
        const g = build(steps);
        const whole = foldLedger(g.facts);
        // The facts in the writer's stream, then in the streams of their actors, and so on.
        const reached = new Set([writer]);
        for (let grew = true; grew; ) {
          grew = false;
          for (const f of g.facts) {
            const target = (f.data as { accountId: string }).accountId;
            if (reached.has(target) && !reached.has(f.actor.accountId)) {
              reached.add(f.actor.accountId);
              grew = true;
            }
          }
        }
        const closed = foldLedger(g.facts.filter((f) => reached.has((f.data as { accountId: string }).accountId)));
        for (const e of everything(g).filter((x) => x.actor.accountId === writer)) expect(closed.voidedBy(e)).toBe(whole.voidedBy(e));
      }),
    );
  });

  it('an operation is void exactly when a valid report’s window holds it and it is not validly reinstated', () => {
    fc.assert(
      fc.property(fc.array(fact, { maxLength: 40 }), (steps) => {
        const g = build(steps);
        const ledger = foldLedger(g.facts);
        for (const e of g.ops) {
          const held = ledger.windows(e.actor.accountId).some((w) => w.from <= e.recordedAt && (w.closedAt === null || e.recordedAt < w.closedAt));
          expect(isVoid(ledger, e)).toBe(held && !ledger.isReinstated(e.eventId));
        }
      }),
    );
  });
});
