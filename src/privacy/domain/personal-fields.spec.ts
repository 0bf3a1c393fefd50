import { CURRENT_SCHEMA_VERSIONS } from '../../event-schemas';
import { isSealed, NOT_PERSONAL, PERSONAL_FIELDS, personOf } from './personal-fields';

describe('personal fields', () => {
  it('every event type the service stores is either sealed or said to hold no personal data, never both', () => {
    for (const type of Object.keys(CURRENT_SCHEMA_VERSIONS)) {
      const places = [type in PERSONAL_FIELDS, type in NOT_PERSONAL].filter(Boolean).length;
      expect({ type, places }).toEqual({ type, places: 1 });
    }
    for (const type of [...Object.keys(PERSONAL_FIELDS), ...Object.keys(NOT_PERSONAL)]) expect(CURRENT_SCHEMA_VERSIONS).toHaveProperty(type);
  });

  it('names, birth dates and logins are always sealed', () => {
    expect(PERSONAL_FIELDS.StudentAdmitted.fields.map((f) => f.name)).toEqual(['fullName', 'birthDate']);
    expect(PERSONAL_FIELDS.AccountCreated.fields.map((f) => f.name)).toEqual(['login', 'fullName']);
  });

  it('given an event, the person it concerns is named by its id field, or none', () => {
    expect(personOf('StudentAdmitted', { studentId: 's1', fullName: 'x' })?.ref).toBe('student:s1');
    expect(personOf('AssignmentEnded', { teacherId: 't1', reason: 'x' })?.ref).toBe('account:t1');
    expect(personOf('MarkRecorded', { studentId: 's1' })).toBeNull();
    expect(personOf('StudentAdmitted', { fullName: 'x' })).toBeNull();
  });

  it('a sealed value is the object only the vault makes, never a string a client could send', () => {
    expect(isSealed({ $sealed: 'aes-256-gcm/v1', person: 'student:s1', iv: 'a', data: 'b' })).toBe(true);
    expect(isSealed('{"$sealed":"aes-256-gcm/v1"}')).toBe(false);
    expect(isSealed({ $sealed: 'aes-256-gcm/v1', person: 'student:s1', iv: 'a' })).toBe(false);
    expect(isSealed({ $sealed: 'other', person: 'student:s1', iv: 'a', data: 'b' })).toBe(false);
    expect(isSealed(null)).toBe(false);
  });
});
