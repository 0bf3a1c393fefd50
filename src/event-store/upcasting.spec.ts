import { serviceEventSchemas } from '../event-schemas';
import { EventSchemaError, EventSchemas, Upcaster } from './upcasting';

const lift = (type: string, fromVersion: number): Upcaster => ({ type, fromVersion, upcast: (data) => ({ ...(data as object), [`v${fromVersion + 1}`]: true }) });

describe('event schemas', () => {
  it('stamps each type’s current version and lifts every older stored version along the chain', () => {
    const schemas = new EventSchemas({ current: { MarkRecorded: 3, LessonRecorded: 1 }, upcasters: [lift('MarkRecorded', 2), lift('MarkRecorded', 1)] });
    expect(schemas.currentVersion('MarkRecorded')).toBe(3);
    expect(schemas.currentVersion('LessonRecorded')).toBe(1);
    expect(schemas.upcast('MarkRecorded', 1, { value: 4 })).toEqual({ schemaVersion: 3, data: { value: 4, v2: true, v3: true } });
    expect(schemas.upcast('MarkRecorded', 2, { value: 4 })).toEqual({ schemaVersion: 3, data: { value: 4, v3: true } });
    expect(schemas.upcast('MarkRecorded', 3, { value: 4 })).toEqual({ schemaVersion: 3, data: { value: 4 } });
    expect(schemas.upcast('LessonRecorded', 1, { topic: 'Дроби' })).toEqual({ schemaVersion: 1, data: { topic: 'Дроби' } });
  });

  it('refuses, when built, a chain with a gap', () => {
    expect(() => new EventSchemas({ current: { MarkRecorded: 3 }, upcasters: [lift('MarkRecorded', 1)] })).toThrow(new EventSchemaError('MarkRecorded is at schema version 3, but no upcaster lifts version 2 to 3'));
    expect(() => new EventSchemas({ current: { MarkRecorded: 3 }, upcasters: [lift('MarkRecorded', 2)] })).toThrow(/no upcaster lifts version 1 to 2/);
  });

  it('refuses a current version above 1 without its chain, an upcaster past the current version, for an undeclared type, or twice', () => {
    expect(() => new EventSchemas({ current: { MarkRecorded: 2 } })).toThrow(/no upcaster lifts version 1 to 2/);
    expect(() => new EventSchemas({ current: { MarkRecorded: 2 }, upcasters: [lift('MarkRecorded', 1), lift('MarkRecorded', 2)] })).toThrow(/from version 2, past its current version 2/);
    expect(() => new EventSchemas({ current: { MarkRecorded: 1 }, upcasters: [lift('MarkRecorded', 0)] })).toThrow(/from version 0/);
    expect(() => new EventSchemas({ current: {}, upcasters: [lift('GradeRecorded', 1)] })).toThrow(/GradeRecorded, which declares no current schema version/);
    expect(() => new EventSchemas({ current: { MarkRecorded: 2 }, upcasters: [lift('MarkRecorded', 1), lift('MarkRecorded', 1)] })).toThrow(/two upcasters/);
    expect(() => new EventSchemas({ current: { MarkRecorded: 0 } })).toThrow(EventSchemaError);
  });

  it('refuses to stamp a type with no declared version; the open schemas of tests write it as version 1', () => {
    expect(() => new EventSchemas({ current: { MarkRecorded: 1 } }).currentVersion('GradeRecorded')).toThrow(/GradeRecorded declares no current schema version/);
    expect(EventSchemas.open().currentVersion('GradeRecorded')).toBe(1);
  });

  it("the service's own declaration is a valid one", () => {
    const schemas = serviceEventSchemas();
    expect(schemas.currentVersion('MarkRecorded')).toBe(1);
    expect(() => schemas.currentVersion('Probe')).toThrow(EventSchemaError);
  });
});
