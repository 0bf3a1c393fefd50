import { Position } from '../src/event-store/position';
import { VoidingEvent, VoidingFacts } from '../src/security/domain/voiding';
import { BenchContext, envInt, Section } from './context';
import { formatRatio, latencySummary, ratio, Row } from './report';

/**
 * Issue 14 point 4: the voiding ledger's cost must not grow with every fact. A teacher is reported,
 * then N of their operations are reinstated one by one (the facts a long review produces). For each
 * size: what the runner pays when one more fact joins (append it, find what it affects, answer the
 * questions of the batch), and what an `asOf` read pays (the ledger at a past moment, then 100
 * questions). The reference is the ledger as it was before (one object folded from every fact,
 * maps copied per fact), doing the same work in the same run.
 */
export const voidingLedgerSection: Section = {
  name: 'voiding-ledger',
  async run(ctx: BenchContext): Promise<Row[]> {
    const sizes = (process.env.BENCH_VOIDING_LEDGER_SIZES ?? '1000,2000,4000,16000').split(',').map(Number);
    const samples = envInt('BENCH_VOIDING_LEDGER_SAMPLES', 20);
    const referenceUpTo = envInt('BENCH_VOIDING_LEDGER_REFERENCE_UP_TO', 4000);
    const rows: Row[] = [];
    // Counted so the work cannot be optimised away; each joining fact reinstates one of the questions' events.
    let changed = 0;
    const bar = ctx.progress('voiding-ledger', sizes.length);
    for (const size of sizes) {
      const facts = workload(size + samples);
      const known = facts.slice(0, size);
      const joining = facts.slice(size, size + samples);
      const questions = Array.from({ length: 100 }, (_, i) => operation(i * 7 + 1));

      // The runner: one fact joins the facts known; what it affects is found and the batch's questions answered.
      const ledger = VoidingFacts.of([]);
      known.forEach((f, i) => ledger.append(f, at(i)));
      const runner = time(joining, (fact, i) => {
        ledger.append(fact, at(size + i));
        ledger.affectedBy(fact.eventId);
        const before = ledger.upTo(at(size + i), false);
        const after = ledger.upTo(at(size + i));
        changed += questions.filter((q) => before.voidedBy(q) !== after.voidedBy(q)).length;
      });
      const reference =
        size <= referenceUpTo
          ? time(joining.slice(0, Math.min(3, samples)), (fact, i) => {
              const before = referenceFold(facts.slice(0, size + i));
              const after = referenceFold(facts.slice(0, size + i + 1));
              changed += questions.filter((q) => referenceVoidedBy(before, q) !== referenceVoidedBy(after, q)).length;
            })
          : null;
      rows.push(row(`one fact joins ${size.toLocaleString('en')} facts, 100 questions`, samples, runner, reference));

      // asOf: the ledger of the facts known at a past moment, then 100 questions.
      const moments = Array.from({ length: samples }, (_, i) => facts[Math.floor(((i + 1) * size) / (samples + 1))].recordedAt);
      const asOf = time(moments, (moment) => {
        const view = ledger.asOf(moment);
        for (const q of questions) view.voidedBy(q);
      });
      const asOfReference =
        size <= referenceUpTo
          ? time(moments.slice(0, Math.min(3, samples)), (moment) => {
              const view = referenceFold(facts.filter((f) => f.recordedAt <= moment));
              for (const q of questions) referenceVoidedBy(view, q);
            })
          : null;
      rows.push(row(`asOf among ${size.toLocaleString('en')} facts, 100 questions`, samples, asOf, asOfReference));
      bar.increment();
    }
    bar.stop();
    ctx.note(`questions whose answer a joining fact changed: ${changed}`);
    ctx.note(`reference: the ledger before issue 14 (one object folded from every fact, maps copied per fact), run up to ${referenceUpTo.toLocaleString('en')} facts`);
    return rows;
  },
};

const TEACHER = 'teacher';
const minute = (i: number) => new Date(Date.UTC(2026, 8, 1) + i * 60_000).toISOString();
const at = (i: number): Position => ({ major: BigInt(i + 1), minor: 0n });
const operation = (i: number) => ({ eventId: `op${i}`, type: 'MarkRecorded', recordedAt: minute(i), actor: { accountId: TEACHER } });

/** A report on the teacher from the first minute, then reinstatements of their operations. */
function workload(count: number): VoidingEvent[] {
  const report: VoidingEvent = {
    eventId: 'report',
    type: 'CredentialCompromiseReported',
    recordedAt: minute(0),
    actor: { accountId: 'security' },
    data: { incidentId: 'i1', accountId: TEACHER, effectiveFrom: minute(0), suspectedSince: null },
  };
  const reinstatements = Array.from({ length: count - 1 }, (_, i) => ({
    eventId: `ri${i}`,
    type: 'OperationReinstated',
    recordedAt: minute(i + 1),
    actor: { accountId: 'security' },
    data: { incidentId: 'i1', accountId: TEACHER, eventId: `op${i * 2}` },
  }));
  return [report, ...reinstatements];
}

function time<T>(items: readonly T[], work: (item: T, index: number) => void): number[] {
  return items.map((item, i) => {
    const t0 = performance.now();
    work(item, i);
    return performance.now() - t0;
  });
}

function row(what: string, count: number, latencies: number[], reference: number[] | null): Row {
  const ours = latencySummary(latencies);
  const ref = reference ? latencySummary(reference) : null;
  return {
    scenario: what,
    samples: count,
    'per s': 1000 / ours.p50,
    'p50 ms': ours.p50,
    'p99 ms': ours.p99,
    'reference p50 ms': ref?.p50 ?? null,
    'reference p99 ms': ref?.p99 ?? null,
    'reference ÷ ours (p50)': formatRatio(ratio(ref?.p50, ours.p50)),
  };
}

// The ledger as it was before issue 14: kept here only as the benchmark's reference.
interface ReferenceLedger {
  byAccount: Record<string, { incidentId: string; from: string; closedAt: string | null }[]>;
  reinstated: Record<string, string>;
}

function referenceFold(facts: readonly VoidingEvent[]): ReferenceLedger {
  return facts.reduce<ReferenceLedger>(
    (ledger, event) => {
      const d = event.data as { incidentId: string; accountId: string; effectiveFrom: string; suspectedSince: string | null; eventId: string };
      if (event.type === 'CredentialCompromiseReported') {
        return { ...ledger, byAccount: { ...ledger.byAccount, [d.accountId]: [...(ledger.byAccount[d.accountId] ?? []), { incidentId: d.incidentId, from: d.suspectedSince ?? d.effectiveFrom, closedAt: null }] } };
      }
      if (event.type === 'OperationReinstated') return { ...ledger, reinstated: { ...ledger.reinstated, [d.eventId]: d.incidentId } };
      return ledger;
    },
    { byAccount: {}, reinstated: {} },
  );
}

function referenceVoidedBy(ledger: ReferenceLedger, event: { eventId: string; recordedAt: string; actor: { accountId: string } }): string | null {
  const windows = (ledger.byAccount[event.actor.accountId] ?? []).filter((w) => w.from <= event.recordedAt && (w.closedAt === null || event.recordedAt < w.closedAt));
  if (windows.length === 0 || ledger.reinstated[event.eventId] !== undefined) return null;
  return windows[0].incidentId;
}
