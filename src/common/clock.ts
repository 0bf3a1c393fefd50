/** The only way the service reads time, so tests and domain code can be given one. */
export interface Clock {
  now(): Date;
}

export const CLOCK = Symbol('CLOCK');

export const systemClock: Clock = { now: () => new Date() };

/** A clock for tests and benchmarks: starts where told and moves only when asked. */
export class ManualClock implements Clock {
  private current: number;
  constructor(start: Date | string = '2026-09-01T06:00:00.000Z') {
    this.current = new Date(start).getTime();
  }
  now(): Date {
    return new Date(this.current);
  }
  advance(milliseconds: number): void {
    this.current += milliseconds;
  }
  set(moment: Date | string): void {
    this.current = new Date(moment).getTime();
  }
}

/** RFC 3339 UTC with milliseconds, the one format moments travel in. */
export const toMoment = (date: Date): string => date.toISOString();
