import type { StoredEvent } from '../../src/event-store/envelope';
import { foldDocuments } from '../projector';
import { acknowledgements } from './acknowledgements.projector';

let position = 0;
const event = (type: string, data: object, by = 'p1', recordedAt = '2026-09-11T15:00:00.000Z'): StoredEvent => {
  position += 1;
  return {
    eventId: `e${position}`,
    type,
    schemaVersion: 1,
    stream: 'diary-acknowledgements-s1',
    streamVersion: position,
    schoolId: 'school-1',
    actor: { accountId: by, role: 'parent', generation: 1 },
    recordedAt,
    correlationId: 'c',
    causationId: null,
    data,
    position: { major: 1n, minor: BigInt(position) },
    globalPosition: `1.${position}`,
  };
};
const acked = (over: object = {}) => ({ acknowledgementId: 'a1', studentId: 's1', parentId: 'p1', upTo: '2026-09-11', weekOf: '2026-09-07', form: 'electronic', version: 'v1', ...over });

describe('acknowledgements projector', () => {
  it('given no acknowledgement, when a parent acknowledges, then the student has one item with the version read, when and by whom', () => {
    const first = event('DiaryAcknowledged', acked());
    const docs = foldDocuments(acknowledgements, [first]);
    expect(docs.get('s1')).toEqual({
      studentId: 's1',
      items: [{ acknowledgementId: 'a1', eventId: first.eventId, parentId: 'p1', upTo: '2026-09-11', weekOf: '2026-09-07', form: 'electronic', version: 'v1', at: '2026-09-11T15:00:00.000Z', by: 'p1' }],
    });
  });

  it('keeps every acknowledgement in log order (a paper one by the class teacher too) and ignores other events', () => {
    const docs = foldDocuments(acknowledgements, [
      event('DiaryAcknowledged', acked()),
      event('MarkRecorded', { studentId: 's1' }),
      event('DiaryAcknowledged', acked({ acknowledgementId: 'a2', form: 'paper', version: 'v2', parentId: 'p2' }), 't1'),
    ]);
    expect(docs.get('s1')!.items.map((i) => [i.acknowledgementId, i.parentId, i.form, i.by])).toEqual([
      ['a1', 'p1', 'electronic', 'p1'],
      ['a2', 'p2', 'paper', 't1'],
    ]);
    expect(docs.size).toBe(1);
  });
});
