import { WakeablePause } from '../common/wakeable-pause';
import { EventEmitter } from 'node:events';
import { EventStore } from './event-store.port';
import { comparePositions, Position, START } from './position';

export interface StreamFreshnessOptions {
  /** How long to wait between looks at the log when the last one found nothing. */
  readonly pollIntervalMs: number;
  /**
   * A cached state is trusted only while the last completed look at the log began less than this
   * long ago: the bound on how late a write of another process can reach a read of this one.
   */
  readonly windowMs: number;
  readonly batchSize?: number;
  readonly onError?: (error: unknown) => void;
}

interface Versioned {
  readonly stream: string;
  readonly streamVersion: number;
}

/** Streams tracked before the map is dropped and every cached state must be read again. */
const MAX_TRACKED_STREAMS = 100_000;

/**
 * Knows, for every stream, the newest version written that this process has heard of: its own
 * appends at once (`observe`, called by the store that made them), other processes' through a
 * follow of the global log (`readAll`, which never skips an event, so nothing goes unheard).
 *
 * A state folded from a stream's tail read is then known fresh for reads — with no round trip —
 * while its version is at least the newest heard of, the read began in the current epoch (after
 * the follow started, so everything older was in the read) and the follow looked at the log within
 * `windowMs`. Anything else (follow not started, failed, slow) answers "not known fresh", and the
 * caller reads the tail as before.
 */
export class StreamFreshness {
  private readonly newest = new Map<string, number>();
  private currentEpoch = 0;
  private following = false;
  private stopped = false;
  private lastLookBegan = -Infinity;
  private readonly sleeper = new WakeablePause();
  private loop?: Promise<void>;
  private followedTo: Position = START;
  private readonly looked = new EventEmitter();

  constructor(
    private readonly store: EventStore,
    private readonly options: StreamFreshnessOptions,
  ) {
    this.looked.setMaxListeners(0);
  }

  /** To be taken before a tail read: a state is trusted only in the epoch its read began in. */
  get epoch(): number {
    return this.currentEpoch;
  }

  /** Events just written by this process: known at once, before the writer answers. */
  observe(events: readonly Versioned[]): void {
    for (const event of events) {
      if ((this.newest.get(event.stream) ?? 0) < event.streamVersion) this.newest.set(event.stream, event.streamVersion);
    }
    if (this.newest.size > MAX_TRACKED_STREAMS) {
      this.newest.clear();
      this.currentEpoch++;
    }
  }

  /** True when a state of `stream` at `version`, read in `epoch`, includes every write heard of in time. */
  isFresh(stream: string, version: number, epoch: number): boolean {
    return (
      this.following &&
      epoch === this.currentEpoch &&
      performance.now() - this.lastLookBegan <= this.options.windowMs &&
      version >= (this.newest.get(stream) ?? 0)
    );
  }

  /** Resolves once the follow has heard of every event up to `position` (tests, diagnostics). */
  reached(position: Position): Promise<void> {
    return new Promise((resolve) => {
      const check = () => {
        if (!this.following || comparePositions(this.followedTo, position) < 0) return;
        this.looked.off('looked', check);
        resolve();
      };
      this.looked.on('looked', check);
      check();
    });
  }

  /** Follows the log from its head; on an error starts again (a new epoch) after a pause. */
  start(): void {
    if (this.loop) return;
    this.stopped = false;
    this.loop = this.run();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    this.following = false;
    this.sleeper.wake();
    await this.loop;
    this.loop = undefined;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        await this.follow();
      } catch (error) {
        this.following = false;
        this.currentEpoch++;
        this.options.onError?.(error);
        await this.pause(this.options.pollIntervalMs * 20);
      }
    }
  }

  private async follow(): Promise<void> {
    const began = performance.now();
    let position: Position = await this.store.head();
    // Reads begun from now on include every event up to the head: trust starts here.
    this.currentEpoch++;
    this.lastLookBegan = began;
    this.followedTo = position;
    this.following = true;
    const batchSize = this.options.batchSize ?? 1000;
    while (!this.stopped) {
      const lookBegan = performance.now();
      const events = await this.store.readAll(position, { limit: batchSize });
      this.observe(events);
      if (events.length > 0) position = events[events.length - 1].position;
      this.followedTo = position;
      this.looked.emit('looked');
      if (events.length === batchSize) continue; // behind: more to read before this look is complete
      this.lastLookBegan = lookBegan;
      await this.pause(this.options.pollIntervalMs);
    }
  }

  private pause(ms: number): Promise<void> {
    return this.sleeper.pause(ms);
  }
}
