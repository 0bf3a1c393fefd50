import fc from 'fast-check';
import { comparePositions, Position } from '../../event-store/position';
import { changeEntryId, compareCursors, FEED_START, FeedCursor, feedEntries, FeedEntry, FeedFacts, FeedSource, formatCursor, mirror, parseCursor, passes, throughCursor } from './feed';

const A = 'school-a';
const B = 'school-b';
const at = (n: number): Position => ({ major: BigInt(n), minor: 0n });
const t = (minute: number) => new Date(Date.UTC(2026, 8, 10, 8, minute)).toISOString();

let positions = 0;
type Over = Partial<FeedSource> & { accountId?: string };
const event = (over: Over = {}): FeedSource => {
  const n = ++positions;
  const { accountId = 'teacher', ...rest } = over;
  return {
    eventId: `e${n}`,
    type: 'MarkRecorded',
    stream: 'journal-g1-p1',
    schoolId: A,
    position: at(n),
    recordedAt: t(n),
    actor: { accountId, role: 'teacher' },
    data: { n },
    ...rest,
  };
};
const report = (on: string, from: string, over: Over = {}) =>
  event({ type: 'CredentialCompromiseReported', stream: `account-${on}`, accountId: 'security', data: { incidentId: `incident-${on}`, accountId: on, effectiveFrom: from, suspectedSince: null }, ...over });
const reissue = (of: string, over: Over = {}) => event({ type: 'CredentialsReissued', stream: `account-${of}`, accountId: 'sysadmin', data: { accountId: of }, ...over });
const reinstatement = (of: FeedSource, incidentId: string, over: Over = {}) =>
  event({ type: 'OperationReinstated', stream: `account-${of.actor.accountId}`, accountId: 'security', data: { incidentId, accountId: of.actor.accountId, eventId: of.eventId }, ...over });

const isFact = (e: FeedSource) => ['CredentialCompromiseReported', 'CredentialsReissued', 'OperationReinstated'].includes(e.type);

/** The whole feed of one school over a log, read at once. */
function given(log: readonly FeedSource[], school = A) {
  const facts = FeedFacts.of(log.filter(isFact));
  const scope = log.filter((e) => e.schoolId === school);
  return {
    facts,
    scope,
    read: (after: FeedCursor = FEED_START, upTo: Position = log.at(-1)!.position): FeedEntry[] =>
      feedEntries(facts, { events: scope.filter((e) => comparePositions(e.position, after.position) > 0), earlier: lookedBack(facts, scope, after, upTo), after, upTo }),
  };
}

/** Exactly the earlier events a reader brings: those `lookback` names, at or before the resumed position. */
function lookedBack(facts: FeedFacts, scope: readonly FeedSource[], after: FeedCursor, upTo: Position): FeedSource[] {
  const { accounts, eventIds } = facts.lookback(after, upTo);
  return scope.filter(
    (e) => comparePositions(e.position, after.position) <= 0 && (eventIds.includes(e.eventId) || accounts.some((a) => a.accountId === e.actor.accountId && e.recordedAt >= a.recordedFrom)),
  );
}

const summary = (entries: readonly FeedEntry[]) => entries.map((e) => (e.kind === 'event' ? `${e.cursor} ${e.type} ${e.eventId}${e.void ? ' void' : ''}` : `${e.cursor} ${e.type} ${e.eventId}`));

describe('the change feed', () => {
  beforeEach(() => (positions = 0));

  it('given marks and then a report on their teacher, when read, then each mark is an entry and the report is followed by Void entries for those in its window', () => {
    const before = event();
    const inWindow = event();
    const later = event();
    const reported = report('teacher', inWindow.recordedAt);
    const entries = given([before, inWindow, later, reported]).read();
    expect(summary(entries)).toEqual(['1.0 MarkRecorded e1', '2.0 MarkRecorded e2', '3.0 MarkRecorded e3', '4.0 CredentialCompromiseReported e4', '4.0:1 Void e2', '4.0:2 Void e3']);
    expect(entries[4]).toEqual({
      cursor: '4.0:1',
      id: changeEntryId('e4', 'e2', 'Void'),
      kind: 'change',
      type: 'Void',
      eventId: 'e2',
      eventType: 'MarkRecorded',
      stream: 'journal-g1-p1',
      schoolId: A,
      incidentId: 'incident-teacher',
      factEventId: 'e4',
      position: '4.0',
      recordedAt: reported.recordedAt,
    });
  });

  it('given a voided mark, when it is reinstated, then a Reinstated entry follows the reinstatement', () => {
    const mark = event();
    const reported = report('teacher', mark.recordedAt);
    const reinstated = reinstatement(mark, 'incident-teacher');
    const entries = given([mark, reported, reinstated]).read();
    expect(summary(entries)).toEqual(['1.0 MarkRecorded e1', '2.0 CredentialCompromiseReported e2', '2.0:1 Void e1', '3.0 OperationReinstated e3', '3.0:1 Reinstated e1']);
    expect(entries[4]).toMatchObject({ type: 'Reinstated', incidentId: 'incident-teacher', factEventId: 'e3', id: changeEntryId('e3', 'e1', 'Reinstated') });
  });

  it('given a report, when an operation of the account recorded in its window lands after it (in flight), then its own entry is void and no change entry follows', () => {
    const reported = report('teacher', t(0));
    const inFlight = event({ recordedAt: t(0) });
    const entries = given([reported, inFlight]).read();
    expect(entries).toHaveLength(2);
    expect(entries[1]).toMatchObject({ kind: 'event', eventId: inFlight.eventId, void: true, voidedBy: 'incident-teacher' });
  });

  it("given a report filed in another school, when this school's feed is read, then the report is not in it but its Void entries for this school's events are", () => {
    const mark = event();
    const elsewhere = report('teacher', mark.recordedAt, { schoolId: B });
    const otherSchoolsMark = event({ schoolId: B });
    const entries = given([mark, elsewhere, otherSchoolsMark]).read();
    expect(summary(entries)).toEqual(['1.0 MarkRecorded e1', '2.0:1 Void e1']);
  });

  it('given a report filed through a compromised account, when that account is reported from before it, then the report turns void and the marks it voided count again (Reinstated)', () => {
    const mark = event({ accountId: 'director' });
    const rogue = report('director', mark.recordedAt, { accountId: 'rogue' });
    const caught = report('rogue', t(0));
    const entries = given([mark, rogue, caught]).read();
    expect(summary(entries)).toEqual(['1.0 MarkRecorded e1', '2.0 CredentialCompromiseReported e2', '2.0:1 Void e1', '3.0 CredentialCompromiseReported e3', '3.0:1 Reinstated e1', '3.0:2 Void e2']);
  });

  it('given a report and then a reissue, when the account writes again, then the new operation counts and the reissue changes nothing before it', () => {
    const inWindow = event();
    const reported = report('teacher', inWindow.recordedAt);
    const reissued = reissue('teacher');
    const afterwards = event();
    expect(summary(given([inWindow, reported, reissued, afterwards]).read())).toEqual([
      '1.0 MarkRecorded e1',
      '2.0 CredentialCompromiseReported e2',
      '2.0:1 Void e1',
      '3.0 CredentialsReissued e3',
      '4.0 MarkRecorded e4',
    ]);
  });

  it('resumes in the middle of a fact’s changes, and after a position, with nothing repeated or missed', () => {
    const log = [event(), event(), event(), report('teacher', t(0)), event()];
    const feed = given(log);
    const all = feed.read();
    expect(summary(all).slice(3, 7)).toEqual(['4.0 CredentialCompromiseReported e4', '4.0:1 Void e1', '4.0:2 Void e2', '4.0:3 Void e3']);
    expect(feed.read(parseCursor('4.0:2')!)).toEqual(all.slice(6));
    expect(feed.read(parseCursor('4.0')!)).toEqual(all.slice(4));
    expect(feed.read(parseCursor('3.0')!)).toEqual(all.slice(3));
  });

  it('keeps a change entry when the type or stream of the event it changes passes the filter', () => {
    const entries = given([event(), event({ type: 'LessonRecorded', stream: 'journal-g2-p1' }), report('teacher', t(0))]).read();
    expect(summary(entries.filter((e) => passes({ types: new Set(['MarkRecorded']) }, e)))).toEqual(['1.0 MarkRecorded e1', '3.0:1 Void e1']);
    expect(summary(entries.filter((e) => passes({ streamPrefixes: ['journal-g2-'] }, e)))).toEqual(['2.0 LessonRecorded e2', '3.0:2 Void e2']);
  });

  describe('cursors', () => {
    it('are a position, or a position and the number of a change entry at it', () => {
      expect(parseCursor('12.3')).toEqual({ position: { major: 12n, minor: 3n }, index: 0 });
      expect(parseCursor('12.3:4')).toEqual({ position: { major: 12n, minor: 3n }, index: 4 });
      for (const bad of ['', '12', '12.3:0', '12.3:', '12.3:-1', 'x.1', '1.2:3:4', ' 1.2', '1.2:01']) expect(parseCursor(bad)).toBeNull();
      expect(formatCursor(parseCursor('12.3:4')!)).toBe('12.3:4');
      expect(() => formatCursor(throughCursor(at(1)))).toThrow();
    });

    it('order by position, then the event before its fact’s changes', () => {
      const sorted = ['1.0', '1.0:1', '1.0:2', '1.1', '2.0', '10.0:1'].map((c) => parseCursor(c)!);
      for (let i = 1; i < sorted.length; i++) expect(compareCursors(sorted[i - 1], sorted[i])).toBe(-1);
      expect(compareCursors(throughCursor(at(1)), parseCursor('1.0:99999')!)).toBe(1);
    });
  });

  describe('properties over generated logs (two schools, reports, reissues, reinstatements, in-flight writes)', () => {
    const accounts = ['t1', 't2', 't3', 'sec'];
    type Step =
      | { kind: 'op'; actor: number; school: number; lag: number; type: number }
      | { kind: 'report'; by: number; on: number; back: number; school: number; lag: number }
      | { kind: 'reissue'; by: number; of: number; school: number; lag: number }
      | { kind: 'reinstate'; by: number; pick: number; school: number; lag: number };
    const step: fc.Arbitrary<Step> = fc.oneof(
      { weight: 6, arbitrary: fc.record({ kind: fc.constant('op' as const), actor: fc.nat(3), school: fc.nat(1), lag: fc.nat(3), type: fc.nat(2) }) },
      { weight: 2, arbitrary: fc.record({ kind: fc.constant('report' as const), by: fc.nat(3), on: fc.nat(3), back: fc.nat(12), school: fc.nat(1), lag: fc.nat(2) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('reissue' as const), by: fc.nat(3), of: fc.nat(3), school: fc.nat(1), lag: fc.nat(2) }) },
      { weight: 1, arbitrary: fc.record({ kind: fc.constant('reinstate' as const), by: fc.nat(3), pick: fc.nat(1000), school: fc.nat(1), lag: fc.nat(2) }) },
    );

    /** A log from steps: moments mostly rise; `lag` records a write a few minutes before it lands (in flight). */
    function logOf(steps: readonly Step[]): FeedSource[] {
      const log: FeedSource[] = [];
      steps.forEach((s, i) => {
        const n = i + 1;
        const base = { eventId: `e${n}`, schoolId: [A, B][s.school], position: at(n), recordedAt: t(2 * n - s.lag), data: {} as unknown };
        const by = (k: number) => ({ accountId: accounts[k], role: 'teacher' });
        if (s.kind === 'op') log.push({ ...base, type: ['MarkRecorded', 'LessonRecorded', 'AttendanceRecorded'][s.type], stream: `journal-g${s.type}-p1`, actor: by(s.actor) });
        else if (s.kind === 'report')
          log.push({ ...base, type: 'CredentialCompromiseReported', stream: `account-${accounts[s.on]}`, actor: by(s.by), data: { incidentId: `i${n}`, accountId: accounts[s.on], effectiveFrom: t(2 * n - s.back), suspectedSince: null } });
        else if (s.kind === 'reissue') log.push({ ...base, type: 'CredentialsReissued', stream: `account-${accounts[s.of]}`, actor: by(s.by), data: { accountId: accounts[s.of] } });
        else {
          // Mostly operations of reported accounts, which may be void: a reinstatement of one then changes something.
          const reported = new Set(log.filter((e) => e.type === 'CredentialCompromiseReported').map((e) => (e.data as { accountId: string }).accountId));
          const reinstatable = log.filter((e) => e.type !== 'OperationReinstated');
          const likely = reinstatable.filter((e) => reported.has(e.actor.accountId));
          const earlier = likely.length > 0 && s.pick % 4 !== 0 ? likely : reinstatable;
          if (earlier.length === 0) return;
          const target = earlier[s.pick % earlier.length];
          log.push({ ...base, type: 'OperationReinstated', stream: `account-${target.actor.accountId}`, actor: by(s.by), data: { incidentId: 'any', accountId: target.actor.accountId, eventId: target.eventId } });
        }
      });
      // Positions stay dense after a skipped step.
      return log.map((e, i) => ({ ...e, position: at(i + 1) }));
    }

    /** Pages: each read up to a head that only moves on, of a random size, resumed from the last cursor it gave. */
    const pages = fc.array(fc.record({ head: fc.nat(60), limit: fc.integer({ min: 1, max: 7 }) }), { minLength: 1, maxLength: 40 });

    it('a consumer reading pages as the head moves, resuming at each page’s last cursor, gets exactly the feed read at once', () => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 50 }), pages, (steps, reads) => {
          const log = logOf(steps);
          if (log.length === 0) return;
          const feed = given(log);
          const whole = feed.read();
          const got: FeedEntry[] = [];
          let after = FEED_START;
          let head = 0;
          for (const { head: move, limit } of [...reads, { head: log.length, limit: 10_000 }]) {
            head = Math.min(log.length, Math.max(head, move));
            if (head === 0) continue;
            // A page reads its range up to the head, then keeps `limit` entries: the rest is read again next time.
            let page = feed.read(after, at(head));
            page = page.slice(0, limit);
            got.push(...page);
            if (page.length > 0) after = parseCursor(page.at(-1)!.cursor)!;
          }
          expect(summary(got)).toEqual(summary(whole));
          expect(got).toEqual(whole);
          expect(new Set(whole.map((e) => e.id)).size).toBe(whole.length);
          for (let i = 1; i < whole.length; i++) expect(compareCursors(parseCursor(whole[i - 1].cursor)!, parseCursor(whole[i].cursor)!)).toBe(-1);
        }),
        { numRuns: 300 },
      );
    });

    it('mirroring the feed (apply events, flip on change entries) gives, at every prefix, exactly what counts under that prefix’s ledger', () => {
      fc.assert(
        fc.property(fc.array(step, { minLength: 1, maxLength: 50 }), fc.nat(60), (steps, cut) => {
          const log = logOf(steps);
          if (log.length === 0) return;
          const head = Math.max(1, Math.min(log.length, cut));
          for (const school of [A, B]) {
            const feed = given(log, school);
            for (const upTo of [at(head), at(log.length)]) {
              const held = mirror(feed.read(FEED_START, upTo));
              const ledger = feed.facts.upTo(upTo);
              const expected = new Map(
                feed.scope.filter((e) => comparePositions(e.position, upTo) <= 0).map((e) => [e.eventId, { type: e.type, void: ledger.voidedBy(e) !== null }] as const),
              );
              expect(held).toEqual(expected);
            }
          }
        }),
        { numRuns: 300 },
      );
    });
  });
});
