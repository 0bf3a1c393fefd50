import { BeforeApplicationShutdown, Inject, Injectable, Logger, OnModuleInit } from '@nestjs/common';
import { CLOCK, Clock } from '../common/clock';
import { Actor } from '../event-store/envelope';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';

/** Repeats of one denial within this long are one event with their count. */
export const DENIAL_WINDOW_MS = 60_000;
/** How often closed windows are looked for. */
const SWEEP_EVERY_MS = 1_000;
/** Open windows kept at most; past it the oldest is written out early. */
const MAX_OPEN_WINDOWS = 10_000;

/** One refusal, as the `AccessDenied` event tells it. */
export interface Denial {
  readonly accountId: string;
  readonly action: string;
  /** `GET /api/v1/schools/:schoolId/…`: the route's pattern, never the raw path. */
  readonly route: string;
  readonly reason: string;
  readonly targetSchoolId: string | null;
}

interface Window {
  readonly stream: string;
  readonly schoolId: string | null;
  readonly denial: Denial;
  readonly actor: Actor;
  readonly openedAt: number;
  repeats: number;
  firstRepeatAt?: string;
  lastRepeatAt?: string;
  lastCorrelationId?: string;
}

/**
 * Appends `AccessDenied` events without letting a scripted client grow the log without bound: the
 * first refusal of an (account, route, action, reason) in a school's stream is appended at once
 * (`count: 1`); its repeats within the next minute are counted in memory and appended as one event
 * (`count`, `firstAt`, `lastAt`) when the minute closes, and whatever is pending on shutdown.
 * Each instance coalesces its own refusals; a process killed mid-window loses that window's
 * repeats from the log (the log lines keep them), never the first refusal.
 */
@Injectable()
export class DenialLog implements OnModuleInit, BeforeApplicationShutdown {
  private readonly logger = new Logger('access');
  private readonly windows = new Map<string, Window>();
  private sweeper?: NodeJS.Timeout;
  private closing = false;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {}

  onModuleInit(): void {
    this.sweeper = setInterval(() => void this.flush((window) => this.clock.now().getTime() - window.openedAt >= DENIAL_WINDOW_MS), SWEEP_EVERY_MS);
    this.sweeper.unref();
  }

  async beforeApplicationShutdown(): Promise<void> {
    this.closing = true;
    clearInterval(this.sweeper);
    await this.flush(() => true);
  }

  /** Records a refusal in the school stream `access-denied-<school>` (`region` for accounts of no school). */
  async record(denial: Denial, inSchool: string | null, actor: Actor, correlationId: string): Promise<void> {
    const stream = `access-denied-${inSchool ?? 'region'}`;
    const key = JSON.stringify([stream, denial.accountId, denial.route, denial.action, denial.reason, denial.targetSchoolId]);
    const now = this.clock.now();
    const open = this.windows.get(key);
    if (open && now.getTime() - open.openedAt < DENIAL_WINDOW_MS && !this.closing) {
      open.repeats += 1;
      open.firstRepeatAt ??= now.toISOString();
      open.lastRepeatAt = now.toISOString();
      open.lastCorrelationId = correlationId;
      return;
    }
    // Every change to the windows happens before the first await, so concurrent refusals never overwrite one another's window.
    const writes: Promise<void>[] = [];
    if (open) writes.push(this.close(key, open));
    if (!this.closing) {
      this.windows.set(key, { stream, schoolId: inSchool, denial, actor, openedAt: now.getTime(), repeats: 0 });
      if (this.windows.size > MAX_OPEN_WINDOWS) writes.push(this.flush((_, index) => index === 0));
    }
    writes.push(this.append(stream, inSchool, actor, correlationId, { ...denial, count: 1 }));
    await Promise.all(writes);
  }

  /** Writes out (and forgets) the windows `which` picks. */
  private async flush(which: (window: Window, index: number) => boolean): Promise<void> {
    const picked = [...this.windows].filter(([, window], index) => which(window, index));
    await Promise.all(picked.map(([key, window]) => this.close(key, window)));
  }

  /** Forgets the window at once (before any await), then appends its repeats, if any. */
  private async close(key: string, window: Window): Promise<void> {
    if (this.windows.get(key) === window) this.windows.delete(key);
    if (window.repeats === 0) return;
    const data = { ...window.denial, count: window.repeats, firstAt: window.firstRepeatAt, lastAt: window.lastRepeatAt };
    await this.append(window.stream, window.schoolId, window.actor, window.lastCorrelationId!, data);
  }

  private async append(stream: string, schoolId: string | null, actor: Actor, correlationId: string, data: Denial & { count: number }): Promise<void> {
    try {
      await this.store.append(stream, 'any', [{ type: 'AccessDenied', data }], { schoolId, actor, correlationId });
    } catch (error) {
      // The refusal stands even if it could not be recorded; this line keeps what the event would have said.
      this.logger.error({ err: error, stream, denial: data }, 'could not record a denial');
    }
  }
}
