import type { StoredEvent } from '../src/event-store/envelope';
import { emptyLedger, foldLedger, VoidingFacts } from '../src/security/domain/voiding';
import { DocEntry, projectBatch, StreamsNeeded } from './projection-step';
import { DocumentProjector } from './projector';

/** Order-sensitive on purpose: the values of the events that counted, in log order. */
const values: DocumentProjector<{ values: number[] }> = {
  name: 'values',
  version: 1,
  handles: ['Noted'],
  keys: (event) => [(event.data as { key: string }).key],
  evolve: (doc, event) => ({ values: [...(doc?.values ?? []), (event.data as { value: number }).value] }),
};

let seq = 0;
const event = (type: string, accountId: string, recordedAt: string, data: object, stream = 'journal-1'): StoredEvent => {
  seq += 1;
  return {
    eventId: `e${seq}`,
    type,
    schemaVersion: 1,
    stream,
    streamVersion: seq,
    schoolId: null,
    actor: { accountId, role: 'teacher', generation: 1 },
    recordedAt,
    correlationId: 'c',
    causationId: null,
    data,
    position: { major: BigInt(seq), minor: 0n },
    globalPosition: `${seq}.0`,
  };
};

describe('projectBatch: voiding applied in the projection layer', () => {
  const early = event('Noted', 'a1', '2026-09-10T07:00:00.000Z', { key: 'k', value: 1 });
  const late = event('Noted', 'a1', '2026-09-10T08:30:00.000Z', { key: 'k', value: 2 });
  const other = event('Noted', 'a2', '2026-09-10T08:40:00.000Z', { key: 'k', value: 3 });
  const report = event('CredentialCompromiseReported', 's', '2026-09-10T09:00:00.000Z', { incidentId: 'i1', accountId: 'a1', effectiveFrom: '2026-09-10T08:00:00.000Z', suspectedSince: null }, 'account-a1');
  const reinstate = event('OperationReinstated', 's', '2026-09-10T10:00:00.000Z', { incidentId: 'i1', accountId: 'a1', eventId: late.eventId }, 'account-a1');

  /** The runner's ledgers: the facts up to and including each fact, in log order. */
  const facts = VoidingFacts.of([report, reinstate]);
  const ledgerAfter = (fact: StoredEvent) => facts.upTo(fact.position);

  const folded = (): Map<string, DocEntry> => new Map([['k', { doc: { values: [1, 2, 3] }, sources: new Set(['journal-1']), changedAt: null }]]);

  it('given folded events, when a late report arrives, then the documents of its voided events are folded again without them', () => {
    const docs = folded();
    const ledger = projectBatch(values as DocumentProjector, docs, [report], emptyLedger(), {
      changed: new Map([[report.eventId, [late]]]),
      streams: new Map([['journal-1', [early, late, other]]]),
      ledgerAfter,
    });
    expect(docs.get('k')).toMatchObject({ doc: { values: [1, 3] }, changedAt: report.position });
    expect(ledger.windows('a1')).toHaveLength(1);
  });

  it('given a report, when its operation is reinstated, then it counts again in its place in log order', () => {
    const docs = new Map<string, DocEntry>([['k', { doc: { values: [1, 3] }, sources: new Set(['journal-1']), changedAt: null }]]);
    projectBatch(values as DocumentProjector, docs, [reinstate], foldLedger([report]), {
      changed: new Map([[reinstate.eventId, [late]]]),
      streams: new Map([['journal-1', [early, late, other]]]),
      ledgerAfter,
    });
    expect(docs.get('k')!.doc).toEqual({ values: [1, 2, 3] });
  });

  it('skips an event that is void on arrival', () => {
    const docs = new Map<string, DocEntry>();
    projectBatch(values as DocumentProjector, docs, [early, late], foldLedger([report]), { changed: new Map(), streams: new Map(), ledgerAfter });
    expect(docs.get('k')!.doc).toEqual({ values: [1] });
  });

  it('asks for a source stream it was not given rather than fold without it', () => {
    expect(() => projectBatch(values as DocumentProjector, folded(), [report], emptyLedger(), { changed: new Map([[report.eventId, [late]]]), streams: new Map(), ledgerAfter })).toThrow(StreamsNeeded);
  });
});
