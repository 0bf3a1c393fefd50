import type { AdvisoryLocks } from '../database/advisory-locks';
import { WakeablePause } from './wakeable-pause';

export interface BackgroundLoopOptions {
  /** One turn of the work; true when it did some (the next turn comes at once), false when idle. */
  readonly turn: () => Promise<boolean>;
  /** How long to wait after an idle turn. */
  readonly idleMs: () => number;
  /** The longest pause after failures (they double from 100 ms). */
  readonly retryMaxMs?: number;
  /** A turn failed; the loop waits `retryInMs` and tries again (state in memory is to be read again). */
  readonly onError?: (error: unknown, retryInMs: number) => void;
  /** A turn succeeded after failures. */
  readonly onRecovered?: () => void;
}

/**
 * The service's background work (the ledger's builder, the notification outbox's follower and
 * worker, the feed's publisher): turns until stopped, at once while there is work, a pause when
 * idle, doubling pauses after errors; `wake` cuts a pause short; `stop` waits for the turn in hand.
 */
export class BackgroundLoop {
  private stopped = true;
  private running?: Promise<void>;
  private readonly sleeper = new WakeablePause();
  /** Why the last turn failed, in the error's words, while it keeps failing. */
  failure: string | null = null;

  constructor(private readonly options: BackgroundLoopOptions) {}

  get active(): boolean {
    return !this.stopped;
  }

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.running = this.loop();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.sleeper.wake();
    await this.running;
    this.running = undefined;
  }

  wake(): void {
    this.sleeper.wake();
  }

  private async loop(): Promise<void> {
    let backoff = 100;
    while (!this.stopped) {
      let busy: boolean;
      try {
        busy = await this.options.turn();
        if (this.failure) this.options.onRecovered?.();
        this.failure = null;
        backoff = 100;
      } catch (error) {
        this.failure = error instanceof Error ? error.message : String(error);
        this.options.onError?.(error, backoff);
        await this.sleeper.pause(backoff);
        backoff = Math.min(backoff * 2, this.options.retryMaxMs ?? 30_000);
        continue;
      }
      if (!busy) await this.sleeper.pause(this.options.idleMs());
    }
  }
}

/**
 * Who of several instances on one database does a piece of work: the holder of an advisory lock
 * (none given: this process, alone). Asked every turn, so a process takes over as soon as the
 * holder's session ends; `onChange` is told when this process starts or stops leading (what it
 * holds in memory may then be behind what the leader wrote).
 */
export class Leadership {
  private leading = false;

  constructor(
    private readonly locks: AdvisoryLocks | undefined,
    private readonly key: number,
    private readonly onChange?: (leading: boolean) => void,
  ) {}

  get isLeading(): boolean {
    return this.leading;
  }

  async lead(): Promise<boolean> {
    const leading = !this.locks || this.locks.holds(this.key) || (await this.locks.tryLock(this.key));
    if (leading !== this.leading) {
      this.leading = leading;
      this.onChange?.(leading);
    }
    return leading;
  }

  async release(): Promise<void> {
    if (this.leading) await this.locks?.unlock(this.key);
    this.leading = false;
  }
}
