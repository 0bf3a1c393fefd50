import { deciderSpec } from '../../common/testing/given-when-then';
import { AcknowledgeDiary, AcknowledgementEvent, acknowledgementsDecider } from './acknowledgement.decider';

const spec = deciderSpec(acknowledgementsDecider);
const ack = (over: Partial<AcknowledgeDiary> = {}): AcknowledgeDiary => ({
  type: 'AcknowledgeDiary',
  acknowledgementId: 'a1',
  studentId: 's1',
  upTo: '2026-09-11',
  form: null,
  parentId: null,
  by: { accountId: 'p1', role: 'parent' },
  linkedParents: ['p1'],
  parentKnown: true,
  today: '2026-09-12',
  weekOf: '2026-09-07',
  version: 'v1',
  ...over,
});
const acknowledged = (over: Partial<AcknowledgementEvent['data']> = {}): AcknowledgementEvent => ({
  type: 'DiaryAcknowledged',
  data: { acknowledgementId: 'a1', studentId: 's1', parentId: 'p1', upTo: '2026-09-11', weekOf: '2026-09-07', form: 'electronic', version: 'v1', ...over },
});
const classTeacher = { accountId: 't1', role: 'class-teacher' as const };

describe('diary acknowledgement decider', () => {
  it('given nothing, when a linked parent acknowledges, then DiaryAcknowledged with the version shown (electronic by default)', () => {
    spec.given([]).when(ack()).then([acknowledged()]);
    spec.given([]).when(ack({ form: 'electronic', parentId: 'p1' })).then([acknowledged()]);
  });

  it('given nothing, when the class teacher registers a paper signature, then DiaryAcknowledged on paper for the only parent', () => {
    spec.given([]).when(ack({ by: classTeacher, form: 'paper' })).then([acknowledged({ form: 'paper' })]);
  });

  it('refuses the class teacher without form "paper" (400 form), and a parent with form "paper"', () => {
    spec.given([]).when(ack({ by: classTeacher })).thenRefuses('VALIDATION_FAILED', 'form');
    spec.given([]).when(ack({ by: classTeacher, form: 'electronic' })).thenRefuses('VALIDATION_FAILED', 'form');
    spec.given([]).when(ack({ form: 'paper' })).thenRefuses('VALIDATION_FAILED', 'form');
  });

  it('needs parentId from the class teacher when the student has several parents, and a linked one', () => {
    spec.given([]).when(ack({ by: classTeacher, form: 'paper', linkedParents: ['p1', 'p2'] })).thenRefuses('VALIDATION_FAILED', 'parentId');
    spec.given([]).when(ack({ by: classTeacher, form: 'paper', linkedParents: ['p1', 'p2'], parentId: 'p2' })).then([acknowledged({ form: 'paper', parentId: 'p2' })]);
    spec.given([]).when(ack({ by: classTeacher, form: 'paper', parentId: 'p3' })).thenRefuses('VALIDATION_FAILED', 'parentId');
    spec.given([]).when(ack({ by: classTeacher, form: 'paper', parentId: 'p3', parentKnown: false })).thenRefuses('NOT_FOUND', 'parentId');
    spec.given([]).when(ack({ by: classTeacher, form: 'paper', parentId: 'p9' })).thenRefuses('VALIDATION_FAILED', 'parentId');
    spec.given([]).when(ack({ by: classTeacher, form: 'paper', linkedParents: [] })).thenRefuses('VALIDATION_FAILED', 'parentId');
  });

  it("refuses a parent acknowledging for someone else, or a child not theirs", () => {
    spec.given([]).when(ack({ parentId: 'p2', linkedParents: ['p1', 'p2'] })).thenRefuses('VALIDATION_FAILED', 'parentId');
    spec.given([]).when(ack({ parentId: 'p9', parentKnown: false })).thenRefuses('NOT_FOUND', 'parentId');
    spec.given([]).when(ack({ linkedParents: ['p2'] })).thenRefuses('FORBIDDEN');
  });

  it('refuses an upTo after today', () => {
    spec.given([]).when(ack({ upTo: '2026-09-13' })).thenRefuses('VALIDATION_FAILED', 'upTo');
  });

  it('given an acknowledgement, when the same parent acknowledges again, then a new DiaryAcknowledged (each confirmation is a fact)', () => {
    spec.given([acknowledged()]).when(ack({ acknowledgementId: 'a2' })).then([acknowledged({ acknowledgementId: 'a2' })]);
    spec.given([acknowledged()]).when(ack({ acknowledgementId: 'a2', version: 'v2' })).then([acknowledged({ acknowledgementId: 'a2', version: 'v2' })]);
  });
});
