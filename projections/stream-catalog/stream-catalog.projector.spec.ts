import fc from 'fast-check';
import type { StoredEvent } from '../../src/event-store/envelope';
import { bothFolds } from '../../test/support/in-place';
import { foldDocuments } from '../projector';
import { streamCatalog } from './stream-catalog.projector';

const event = (stream: string, streamVersion: number, type: string, recordedAt: string): StoredEvent => ({
  eventId: `e-${stream}-${streamVersion}`,
  type,
  schemaVersion: 1,
  stream,
  streamVersion,
  schoolId: 'school-1',
  actor: { accountId: 'a', role: 'teacher', generation: 1 },
  recordedAt,
  correlationId: 'c',
  causationId: null,
  data: {},
  position: { major: 1n, minor: BigInt(streamVersion) },
  globalPosition: `1.${streamVersion}`,
});

describe('stream-catalog projector', () => {
  it('given no events, when a stream starts, then it is catalogued with one event', () => {
    const docs = foldDocuments(streamCatalog, [event('journal-1', 1, 'LessonRecorded', '2026-09-01T06:00:00.000Z')]);
    expect(docs.get('journal-1')).toEqual({
      stream: 'journal-1',
      schoolId: 'school-1',
      version: 1,
      events: 1,
      firstRecordedAt: '2026-09-01T06:00:00.000Z',
      lastRecordedAt: '2026-09-01T06:00:00.000Z',
      lastType: 'LessonRecorded',
      types: { LessonRecorded: 1 },
    });
  });

  it('given a catalogued stream, when more events arrive, then counts, version and times move on', () => {
    const docs = foldDocuments(streamCatalog, [
      event('journal-1', 1, 'LessonRecorded', '2026-09-01T06:00:00.000Z'),
      event('journal-2', 1, 'LessonRecorded', '2026-09-01T06:00:01.000Z'),
      event('journal-1', 2, 'MarkRecorded', '2026-09-01T06:05:00.000Z'),
      event('journal-1', 3, 'MarkRecorded', '2026-09-01T06:06:00.000Z'),
    ]);
    expect(docs.get('journal-1')).toMatchObject({
      version: 3,
      events: 3,
      firstRecordedAt: '2026-09-01T06:00:00.000Z',
      lastRecordedAt: '2026-09-01T06:06:00.000Z',
      lastType: 'MarkRecorded',
      types: { LessonRecorded: 1, MarkRecorded: 2 },
    });
    expect(docs.get('journal-2')).toMatchObject({ version: 1, events: 1 });
  });

  it('folded in place (a rebuild), equals the pure fold, and the pure fold never changes the entry it is given', () => {
    const step = fc.record({ stream: fc.constantFrom('journal-1', 'journal-2', 'account-1'), type: fc.constantFrom('LessonRecorded', 'MarkRecorded', 'AccessDenied'), school: fc.constantFrom<string | null>('school-1', null) });
    fc.assert(
      fc.property(fc.array(step, { maxLength: 60 }), (steps) => {
        const versions = new Map<string, number>();
        const events = steps.map(({ stream, type, school }, i) => {
          versions.set(stream, (versions.get(stream) ?? 0) + 1);
          return { ...event(stream, versions.get(stream)!, type, new Date(Date.UTC(2026, 8, 1) + i * 1000).toISOString()), schoolId: school };
        });
        const { inPlace, pure } = bothFolds(streamCatalog, events);
        expect(inPlace).toEqual(pure);
        expect(pure).toEqual(foldDocuments(streamCatalog, events));
      }),
      { numRuns: 300 },
    );
  });
});
