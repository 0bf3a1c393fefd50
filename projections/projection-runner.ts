import { EventEmitter } from 'node:events';
import { DataSource, EntityManager } from 'typeorm';
import { AdvisoryLocks, LocalLocks, VIEWS_LEADER_LOCK } from '../src/database/advisory-locks';
import type { StoredEvent } from '../src/event-store/envelope';
import type { EventStore, Subscription } from '../src/event-store/event-store.port';
import { comparePositions, formatPosition, parsePosition, Position, START } from '../src/event-store/position';
import { changedBy, isVoidingFact, VoidingFacts, VoidingLedger } from '../src/security/domain/voiding';
import { DocEntry, keysOfBatch, projectBatch, StepInput, StreamsNeeded } from './projection-step';
import { DocumentProjector, handlesEvent } from './projector';
import { describeFailure, FailureReport, RebuildSuperseded, retryDelay, ViewFoldError } from './runner-failure';
import { factPosition, VOIDING_FACTS, voidingFacts, VoidingFactsDoc } from './voiding-facts/voiding-facts.projector';
import { KeyFilter } from './key-filter';
import { WriteBackCache } from './write-back-cache';
import { RebuildBySchool } from './rebuild-by-school';
import { DocumentChunk, DocumentRow, serializeRows, writeChunks } from './view-rows';

export interface RunnerLogger {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface RunnerOptions {
  readonly batchSize?: number;
  /** Events per batch of a rebuild (it reads the log from the start; default 1000). */
  readonly rebuildBatchSize?: number;
  readonly pollIntervalMs?: number;
  readonly logger?: RunnerLogger;
  /** Called after each committed batch: events applied, and the position reached. */
  readonly onBatch?: (events: number, position: Position) => void;
  /** Who leads the views and who builds a rebuild (`Database.locks()`); default: this process only. */
  readonly locks?: AdvisoryLocks;
  /** Retries after an error: the first after about `retryBaseMs`, doubling up to `retryMaxMs`, jittered. */
  readonly retryBaseMs?: number;
  readonly retryMaxMs?: number;
  /** How the runner waits before a retry (tests watch the delays); default: a timer `stop` cuts short. */
  readonly sleep?: (ms: number) => Promise<void>;
  /** A rebuild folds in memory up to this many bytes (estimated) before it writes (default 256 MiB). */
  readonly rebuildMemoryBytes?: number;
  /** …or this many events (default 200,000): how much a rebuild that stops redoes, and how often its progress moves. */
  readonly rebuildFlushEvents?: number;
  /**
   * After flushes have written this many document rows (default 20,000), `ANALYZE view_document`.
   * A first build fills the table faster than autovacuum looks at it, and a planner that still
   * thinks it tiny scans a whole generation for each batch's lookup by key (seen at 5M events:
   * 0.8 s a batch, the first build slowing to ~1,000 ev/s).
   */
  readonly analyzeAfterRows?: number;
  /**
   * A rebuild reads the log school by school up to its head, then on in the log's order (default
   * true where the store can: `EventStore.schools`; see `RebuildBySchool`). False: in the log's
   * order from the start (what the tests compare it with).
   */
  readonly rebuildBySchool?: boolean;
}

/** What a generation of one view is to this process: its rows, code version and progress. */
export interface ServedView {
  readonly generation: number;
  readonly version: number;
  readonly position: Position;
}

/** A rebuild under way, as /health shows it. */
export interface RebuildProgress {
  readonly generation: number;
  readonly views: readonly string[];
  readonly eventsApplied: number;
  /** Events in the log when the rebuild began (null: unknown, on EventStoreDB). */
  readonly eventsTotal: number | null;
  readonly percent: number | null;
  /** From the rate this process saw it go at; null until it has seen it move. */
  readonly etaSeconds: number | null;
  /** Its last error, when it is waiting to try again. */
  readonly failure?: string;
}

export interface RunnerStatus {
  /** leader: this process writes the views; follower: another does, this one reads their positions. */
  readonly role: 'leader' | 'follower' | 'stopped';
  /** The last error while the runner retries (null when all is well). */
  readonly failure: (FailureReport & { readonly attempts: number; readonly since: string; readonly retryInMs: number }) | null;
  /** Errors retried since start (the /metrics counter). */
  readonly retries: number;
  readonly rebuilds: readonly RebuildProgress[];
  /** Views whose serving generation this code cannot write (another version): they wait for their rebuild. */
  readonly frozen: readonly string[];
}

/** `npm run rebuild` as an object: a shadow generation this runner builds and then switches reads to. */
export interface Rebuild {
  readonly generation: number;
  readonly views: readonly string[];
  /** Applies one batch; false once the rebuild has reached the head of the log. */
  step(): Promise<boolean>;
  /** Builds up to the head and switches reads to it, in one transaction; then drops the old rows. */
  finish(): Promise<void>;
  /** Stops without switching: the leader of the views resumes it later. */
  release(): Promise<void>;
}

type LaneState = 'serving' | 'building' | 'scratch';

/** The generation of one projection this runner writes. */
interface Lane {
  readonly generation: number;
  readonly state: LaneState;
  readonly version: number;
}

interface CheckpointRow {
  name: string;
  generation: number;
  version: number;
  position: string;
  state: LaneState | 'retired';
  events_applied: string;
  events_total: string | null;
  build_upto: string | null;
  build_after: string | null;
}

const CHECKPOINT_COLUMNS = 'name, generation, version, position, state, events_applied::text, events_total::text, build_upto, build_after';
/** How often the leader looks at the checkpoints for what others did (a CLI's switch, a rebuild left behind). */
const LEADER_LOOK_MS = 1000;
const DELETE_CHUNK = 5000;
/** Events a rebuild reads at once: with the documents in memory a batch costs its fold, ~10 ms per 1,000. */
const REBUILD_BATCH = 1000;
/** Events a rebuild by school reads at once (one index range of one school). */
const SCHOOL_BATCH = 500;

/** Events of one view folded between two turns given to requests (~2-5 ms of a diary's fold). */
const FOLD_SLICE = 200;
const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));

/**
 * The one place that writes views. It reads the global log once for all projectors and, per
 * batch, folds the events into the documents they touch and saves those documents together with
 * every projector's checkpoint in one transaction: a crash loses or repeats nothing.
 *
 * Each projection's rows and checkpoint belong to a generation (docs/architecture.md,
 * "Generations"). Reads see the serving one; a rebuild (a version bump, `npm run rebuild`) writes
 * a new one beside it and switches reads over in one transaction once it has caught up. Of all the
 * processes on one database, the one holding the leader lock runs the live pass and the rebuilds;
 * the others follow the checkpoints. Errors are retried with back-off.
 */
export class ProjectionRunner {
  /** This pass's position per lane. */
  private readonly positions = new Map<string, Position>();
  private readonly progress = new EventEmitter();
  private subscription?: Subscription;
  /** Every voiding fact this pass has read, in log order, indexed (its generation's `voiding-facts` view, in memory). */
  private facts = new VoidingFacts();
  /** The views, the voiding facts first: every other view's voids are read from them. */
  readonly projectors: readonly DocumentProjector[];
  /** The generations this pass writes, by projection. */
  private lanes = new Map<string, Lane>();
  /** A commit found one of its generations switched or retired: the pass must look again. */
  private lanesLost = false;
  /** A rebuild's pass: documents folded in memory across batches, written with the checkpoints once per flush. */
  private writeBack?: WriteBackCache;
  /** The live pass far behind the head (full batches): folded in memory like a rebuild until it catches up. */
  private catchingUp?: WriteBackCache;
  /** Commits and flushes of this pass, one at a time (a flush may come from the supervisor). */
  private writing: Promise<unknown> = Promise.resolve();
  /** A rebuild's flush being written in the background (`flushNow`). */
  private flight?: Flight;
  /** A rebuild's first stretch, school by school up to the head when it began (then the pass goes on in the log's order). */
  private bySchool?: RebuildBySchool;
  /** The next batch, read while the one before is folded (a rebuild's pass). */
  private prefetched?: { from: Position; events: Promise<StoredEvent[]> };
  private lastFoldAt = 0;
  /** Lanes whose generation was empty when this pass took it, with every key the pass wrote to it since. */
  private readonly writtenKeys = new Map<string, KeyFilter>();
  /** Events each lane folded since the last flush (its checkpoint's `events_applied` moves by them). */
  private readonly unflushed = new Map<string, number>();
  /** Where each lane's stored checkpoint is (a rebuild's pass: the last flush). */
  private readonly flushedAt = new Map<string, Position>();
  /** Each lane's `events_applied` as of the last flush. */
  private readonly appliedAtFlush = new Map<string, number>();

  // What this process knows of every projection (leader and followers alike).
  private readonly served = new Map<string, ServedView>();
  private readonly rebuilds = new Map<number, { views: string[]; applied: number; total: number | null; first?: { at: number; applied: number }; last?: { at: number; applied: number } }>();
  private factsAt = '';

  // The supervisor: leadership, retries, rebuilds (the root runner only).
  private readonly locks: AdvisoryLocks;
  private leading = false;
  private stopping = true;
  private supervisor?: Promise<void>;
  private wakeSupervisor?: () => void;
  private liveError?: unknown;
  private liveSince = 0;
  /** The live pass had nothing to write (every view waits for a rebuild): not prepared again until something moves. */
  private laneless = false;
  private ticks = 0;
  private paused = 0;
  private liveOps: Promise<unknown> = Promise.resolve();
  private readonly building = new Map<number, Promise<void>>();
  private readonly buildFailures = new Map<number, { attempts: number; notBefore: number; reason: string }>();
  private attempts = 0;
  private retried = 0;
  private failure: RunnerStatus['failure'] = null;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    projectors: readonly DocumentProjector[],
    private readonly options: RunnerOptions = {},
  ) {
    this.progress.setMaxListeners(0);
    this.projectors = [voidingFacts as DocumentProjector, ...projectors.filter((p) => p.name !== VOIDING_FACTS)];
    const names = new Set(this.projectors.map((p) => p.name));
    if (names.size !== this.projectors.length) throw new Error('two projectors share a name');
    this.locks = options.locks ?? new LocalLocks(dataSource);
  }

  /** The voids known at a moment: the facts recorded by then (API.md `asOf`: later voids not applied). */
  ledgerAsOf(moment: Date): VoidingLedger {
    return this.facts.asOf(moment.toISOString());
  }

  /** What is void as far as the views have read the log. */
  ledger(): VoidingLedger {
    return this.facts.all();
  }

  /**
   * Takes the lead of the views if no other process has it (then prepares the checkpoints,
   * starting rebuilds for changed versions, and follows the log), else follows the checkpoints;
   * keeps trying, with back-off after errors, until `stop`.
   */
  async start(): Promise<void> {
    if (this.supervisor) return;
    this.stopping = false;
    let retryIn: number | undefined;
    try {
      await this.tick();
    } catch (error) {
      await this.stopLive();
      retryIn = await this.recordFailure(error);
    }
    this.supervisor = this.supervise(retryIn);
  }

  /** Drains the batch in hand, whose checkpoint is then saved, stops following and lets go of the lead. */
  async stop(): Promise<void> {
    this.stopping = true;
    this.wakeSupervisor?.();
    await this.supervisor;
    this.supervisor = undefined;
    await this.stopLive();
    await Promise.all(this.building.values());
    this.leading = false;
    await this.locks.close();
  }

  /** Where a view has got to (its serving generation); without a name, the lowest of all views. */
  position(view?: string): Position {
    if (view) return this.served.get(view)?.position ?? START;
    let lowest: Position | undefined;
    for (const projector of this.projectors) {
      const position = this.served.get(projector.name)?.position ?? START;
      if (!lowest || comparePositions(position, lowest) < 0) lowest = position;
    }
    return lowest ?? START;
  }

  /** Changes whenever what a view's reads may see changes: its generation or its position. */
  stamp(view: string): string {
    const served = this.served.get(view);
    return served ? `${served.generation}@${formatPosition(served.position)}` : 'none';
  }

  /** Resolves true once the named views (all when none named) include `target`, false after `timeoutMs`. */
  async waitFor(target: Position, timeoutMs: number, views?: readonly string[]): Promise<boolean> {
    const names = views ?? this.projectors.map((p) => p.name);
    const reached = () => names.every((name) => comparePositions(this.position(name), target) >= 0);
    if (reached()) return true;
    return new Promise<boolean>((resolve) => {
      const check = () => {
        if (!reached()) return;
        finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (done: boolean) => {
        clearTimeout(timer);
        this.progress.off('advanced', check);
        resolve(done);
      };
      this.progress.on('advanced', check);
    });
  }

  /** The first event a live view has not seen yet, if any: how far behind the views are. */
  async oldestUnprocessed(): Promise<StoredEvent | undefined> {
    const frozen = new Set(this.frozenViews());
    let lowest: Position | undefined;
    for (const projector of this.projectors) {
      if (frozen.has(projector.name)) continue;
      const position = this.position(projector.name);
      if (!lowest || comparePositions(position, lowest) < 0) lowest = position;
    }
    if (!lowest) return undefined;
    const [next] = await this.store.readAll(lowest, { limit: 1 });
    return next;
  }

  /** Role, last error, rebuilds under way (their progress read afresh). */
  async status(): Promise<RunnerStatus> {
    try {
      await this.refresh(false);
    } catch {
      // The checkpoints could not be read: the last known progress is shown, and the error is the runner's.
    }
    const now = performance.now();
    const rebuilds = [...this.rebuilds].map(([generation, r]): RebuildProgress => {
      const rate = r.first && r.last && r.last.at > r.first.at ? ((r.last.applied - r.first.applied) / (r.last.at - r.first.at)) * 1000 : 0;
      const total = r.total === null ? null : Math.max(r.total, r.applied);
      const failure = this.buildFailures.get(generation);
      return {
        generation,
        views: r.views,
        eventsApplied: r.applied,
        eventsTotal: total,
        percent: total === null ? null : total === 0 ? 99.9 : Math.min(99.9, Math.floor((r.applied / total) * 1000) / 10),
        etaSeconds: total !== null && rate > 0 ? Math.ceil((total - r.applied) / rate) : null,
        ...(failure && failure.notBefore > now ? { failure: failure.reason } : {}),
      };
    });
    return {
      role: this.stopping ? 'stopped' : this.leading ? 'leader' : 'follower',
      failure: this.failure,
      retries: this.retried,
      rebuilds,
      frozen: this.frozenViews(),
    };
  }

  /**
   * Starts a rebuild of the named views (all when none named) into a new generation beside the
   * serving one, which keeps serving reads until the rebuild has caught up. It is built by the
   * leader of the views, or by `catchUp`. Rebuilding the voiding facts rebuilds every view.
   */
  async reset(names?: readonly string[]): Promise<number> {
    return (await this.createRebuild(names, false)).generation;
  }

  /** A rebuild of the named views (all when none named) that this runner builds itself (the CLI). */
  async rebuild(names?: readonly string[]): Promise<Rebuild> {
    const { generation, views } = await this.createRebuild(names, true);
    const pass = this.passFor(views);
    try {
      await pass.loadRebuild(generation);
    } catch (error) {
      await this.locks.unlock(generation);
      throw error;
    }
    const batchSize = this.options.rebuildBatchSize ?? REBUILD_BATCH;
    let ended = false;
    const end = async () => {
      ended = true;
      await this.locks.unlock(generation);
    };
    return {
      generation,
      views,
      step: async () => {
        if (ended) throw new Error('this rebuild has ended');
        return pass.applyOneBatch(batchSize);
      },
      finish: async () => {
        if (ended) throw new Error('this rebuild has ended');
        try {
          await this.finishRebuild(pass, () => false);
        } finally {
          await end();
        }
        await this.refresh(false);
        await this.collectRetired();
      },
      release: async () => {
        if (ended) return;
        try {
          await pass.flush();
        } finally {
          await end();
        }
      },
    };
  }

  /** Applies everything up to the head of the log now, rebuilds included, then returns (tests, benches). */
  async catchUp(): Promise<void> {
    await this.prepareLive();
    const batchSize = this.options.batchSize ?? 1000;
    await this.applyUntilHead(batchSize);
    let switched = false;
    for (const rebuild of await this.rebuildsToRun()) {
      if (!(await this.locks.tryLock(rebuild.generation))) continue;
      try {
        const pass = this.passFor(rebuild.views);
        await pass.loadRebuild(rebuild.generation);
        switched = (await this.finishRebuild(pass, () => false)) || switched;
      } catch (error) {
        if (!(error instanceof RebuildSuperseded)) throw error;
      } finally {
        await this.locks.unlock(rebuild.generation);
      }
    }
    if (switched) {
      await this.collectRetired();
      await this.prepareLive();
      await this.applyUntilHead(batchSize);
    }
    await this.refresh(false);
  }

  // --- the supervisor -------------------------------------------------------------------------

  private async supervise(retryIn?: number): Promise<void> {
    if (retryIn !== undefined) await this.backOff(retryIn);
    while (!this.stopping) {
      try {
        await this.tick();
      } catch (error) {
        await this.stopLive();
        await this.backOff(await this.recordFailure(error));
        continue;
      }
      await this.pause(this.leading ? LEADER_LOOK_MS : (this.options.pollIntervalMs ?? 50));
    }
  }

  /** One look: errors of the live pass, leadership, what others switched, rebuilds to run. */
  private async tick(): Promise<void> {
    this.ticks++;
    if (this.liveError !== undefined) {
      const error = this.liveError;
      this.liveError = undefined;
      throw error;
    }
    await this.refresh(true);
    if (this.leading && !this.locks.holds(VIEWS_LEADER_LOCK)) {
      this.options.logger?.info({}, 'lost the lead of the views (its database session ended): following until it can be taken again');
      this.leading = false;
      await this.stopLive();
    }
    if (!this.leading && (await this.locks.tryLock(VIEWS_LEADER_LOCK))) {
      this.leading = true;
      this.options.logger?.info({}, 'this process now writes the views');
      // Rows a switch retired but a process that died did not get to delete.
      void this.collectRetired().catch(() => undefined);
    }
    if (!this.leading) {
      this.clearFailure();
      return;
    }
    // The live pass caught up on a full batch and the log ended there: nothing comes to flush it.
    if (this.catchingUp && performance.now() - this.lastFoldAt > 500) await this.flushCatchUp();
    if (this.subscription && (this.lanesLost || this.lanesMoved())) await this.stopLive();
    if (!this.subscription && (!this.laneless || this.lanesMoved())) await this.startLive();
    // Healthy again once the live pass has run through a whole look without an error (or has nothing to write).
    if (!this.subscription || this.liveSince < this.ticks) this.clearFailure();
    this.startRebuilds();
  }

  private async backOff(ms: number): Promise<void> {
    if (this.stopping) return;
    await (this.options.sleep ? this.options.sleep(ms) : this.pause(ms));
  }

  private async recordFailure(error: unknown): Promise<number> {
    this.attempts++;
    this.retried++;
    const report = describeFailure(error);
    const delay = retryDelay(this.attempts, this.options.retryBaseMs ?? 100, this.options.retryMaxMs ?? 30_000);
    this.failure = { ...report, attempts: this.attempts, since: this.failure?.since ?? new Date().toISOString(), retryInMs: delay };
    this.options.logger?.error({ err: error, attempt: this.attempts, retryInMs: delay }, `the views stopped: ${report.reason}; trying again in ${delay} ms`);
    return delay;
  }

  private clearFailure(): void {
    if (this.failure) this.options.logger?.info({ attempts: this.attempts }, 'the views are running again');
    this.failure = null;
    this.attempts = 0;
  }

  private pause(ms: number): Promise<void> {
    if (this.stopping) return Promise.resolve();
    return new Promise((resolve) => {
      const timer = setTimeout(done, ms);
      const wake = () => done();
      function done() {
        clearTimeout(timer);
        resolve();
      }
      this.wakeSupervisor = wake;
    });
  }

  private serially<T>(work: () => Promise<T>): Promise<T> {
    const next = this.liveOps.then(work, work);
    this.liveOps = next.catch(() => undefined);
    return next;
  }

  /** Prepares the lanes (serving generations this code writes) and follows the log from the lowest. */
  private startLive(): Promise<void> {
    return this.serially(async () => {
      if (this.subscription || this.paused > 0 || !this.leading || this.stopping) return;
      await this.prepareLive();
      this.laneless = this.lanes.size === 0;
      if (this.laneless) return;
      const subscription = this.store.subscribe(this.lowestLane(), (events, resumeAfter) => this.applyBatch(events, resumeAfter), {
        batchSize: this.options.batchSize ?? 1000,
        pollIntervalMs: this.options.pollIntervalMs ?? 50,
      });
      this.subscription = subscription;
      this.liveSince = this.ticks;
      subscription.done.then(
        () => undefined,
        (error: unknown) => {
          if (this.subscription !== subscription) return;
          this.liveError = error;
          this.wakeSupervisor?.();
        },
      );
    });
  }

  private stopLive(): Promise<void> {
    return this.serially(async () => {
      const subscription = this.subscription;
      this.subscription = undefined;
      await subscription?.stop();
      // What the pass folded in memory while catching up is written; if it cannot be, it is dropped
      // and the next pass starts again from the stored checkpoints (which never moved without it).
      await this.flushCatchUp().catch(() => (this.catchingUp = undefined));
    });
  }

  /** Runs `work` with the live pass stopped (the batch in hand finished): nothing moves the serving generations meanwhile. */
  private async pausingLive<T>(work: () => Promise<T>): Promise<T> {
    this.paused++;
    try {
      await this.stopLive();
      return await work();
    } finally {
      this.paused--;
      this.wakeSupervisor?.();
    }
  }

  /**
   * The serving generations moved under the live pass: one it writes was switched or retired (a
   * rebuild elsewhere caught up), or one it could not write is now of this code's version.
   */
  private lanesMoved(): boolean {
    const frozen = new Set(this.frozenViews());
    for (const projector of this.projectors) {
      const served = this.served.get(projector.name);
      const lane = this.lanes.get(projector.name);
      // A view at the start that this pass does not write waits for its first build (a rebuild by school), not for this pass.
      const waiting = served !== undefined && comparePositions(served.position, START) === 0;
      if (lane ? served !== undefined && served.generation !== lane.generation : served !== undefined && !frozen.has(projector.name) && !waiting) return true;
    }
    return false;
  }

  /** Starts, in the background, each rebuild this code can build that nobody builds now. */
  private startRebuilds(): void {
    void this.rebuildsToRun().then((rebuilds) => {
      for (const rebuild of rebuilds) {
        if (this.building.has(rebuild.generation) || this.stopping || !this.leading) continue;
        const failed = this.buildFailures.get(rebuild.generation);
        if (failed && failed.notBefore > performance.now()) continue;
        const run = this.runRebuild(rebuild.generation, rebuild.views).finally(() => this.building.delete(rebuild.generation));
        this.building.set(rebuild.generation, run);
      }
    }, () => undefined);
  }

  private async runRebuild(generation: number, views: string[]): Promise<void> {
    // Another process (a CLI's `npm run rebuild`) may be building it: then it is theirs.
    if (!(await this.locks.tryLock(generation).catch(() => false))) return;
    try {
      const pass = this.passFor(views);
      await pass.loadRebuild(generation);
      this.options.logger?.info({ generation, views }, 'building a rebuild of the views beside the serving ones');
      const switched = await this.finishRebuild(pass, () => this.stopping || !this.leading, true);
      this.buildFailures.delete(generation);
      if (!switched) return;
      this.options.logger?.info({ generation, views }, 'the rebuild caught up: reads switched to it');
      await this.refresh(true);
      await this.collectRetired();
    } catch (error) {
      if (error instanceof RebuildSuperseded) return;
      const attempts = (this.buildFailures.get(generation)?.attempts ?? 0) + 1;
      const delay = retryDelay(attempts, this.options.retryBaseMs ?? 100, this.options.retryMaxMs ?? 30_000);
      const { reason } = describeFailure(error);
      this.buildFailures.set(generation, { attempts, notBefore: performance.now() + delay, reason });
      this.retried++;
      this.options.logger?.error({ err: error, generation, attempt: attempts, retryInMs: delay }, `a rebuild of the views stopped: ${reason}; trying again in ${delay} ms`);
    } finally {
      await this.locks.unlock(generation).catch(() => undefined);
    }
  }

  /**
   * Builds `pass` (a rebuild) to the head, then switches reads to it. The switch needs the rebuild
   * to be at least as far as the generation it replaces; with `pauseLive` the live pass stands still
   * for that last step, else (another process's live pass) it is tried again until it holds.
   */
  private async finishRebuild(pass: ProjectionRunner, shouldStop: () => boolean, pauseLive = false): Promise<boolean> {
    const batchSize = this.options.rebuildBatchSize ?? REBUILD_BATCH;
    const stopped = async () => {
      // What was folded in memory is kept: the next build of it resumes from there.
      await pass.flush();
      return false;
    };
    for (;;) {
      while (await pass.applyOneBatch(batchSize)) if (shouldStop()) return stopped();
      if (shouldStop()) return stopped();
      const lastStep = async () => {
        while (await pass.applyOneBatch(batchSize));
        return pass.trySwitch();
      };
      if (await (pauseLive ? this.pausingLive(lastStep) : lastStep())) return true;
    }
  }

  /** Builds under way whose every generation this code writes (same versions), oldest first. */
  private async rebuildsToRun(): Promise<{ generation: number; views: string[] }[]> {
    const rows: CheckpointRow[] = await this.dataSource.query(`SELECT ${CHECKPOINT_COLUMNS} FROM projection_checkpoint WHERE state IN ('building', 'scratch') ORDER BY generation`);
    const byGeneration = new Map<number, CheckpointRow[]>();
    for (const row of rows) byGeneration.set(row.generation, [...(byGeneration.get(row.generation) ?? []), row]);
    const versions = new Map(this.projectors.map((p) => [p.name, p.version]));
    return [...byGeneration]
      .filter(([, lanes]) => lanes.some((l) => l.state === 'building') && lanes.every((l) => versions.get(l.name) === l.version))
      .map(([generation, lanes]) => ({ generation, views: lanes.filter((l) => l.state === 'building').map((l) => l.name) }));
  }

  /** A pass of its own for a rebuild of `views` (the voiding facts come with it, built or as scratch). */
  private passFor(views: readonly string[]): ProjectionRunner {
    const pass = new ProjectionRunner(
      this.dataSource,
      this.store,
      this.projectors.filter((p) => views.includes(p.name)),
      { ...this.options, locks: this.locks },
    );
    pass.writeBack = pass.newCache();
    return pass;
  }

  /** Reads the checkpoints: the serving generations, the rebuilds and (following) the voiding facts. */
  private async refresh(withFacts: boolean): Promise<void> {
    // With the serving voiding facts: the position of their document, which moves only when a fact came.
    const rows: (CheckpointRow & { facts_at: string | null })[] = await this.dataSource.query(
      `SELECT ${CHECKPOINT_COLUMNS},
              (SELECT v.position FROM view_document v WHERE c.state = 'serving' AND v.projection = c.name AND v.generation = c.generation AND v.key = 'all') AS facts_at
         FROM projection_checkpoint c WHERE state IN ('serving', 'building')`,
    );
    // A follower takes the voiding facts the leader folded, for its asOf reads and audit marks:
    // before the positions move, so that whoever waited for a position finds its voids.
    const factsRow = rows.find((row) => row.state === 'serving' && row.name === VOIDING_FACTS);
    if (withFacts && !this.leading && factsRow) {
      const at = `${factsRow.generation}@${factsRow.facts_at ?? ''}`;
      if (at !== this.factsAt) {
        this.facts = await this.loadFacts(this.dataSource.manager, factsRow.generation);
        this.factsAt = at;
      }
    }
    const now = performance.now();
    const seen = new Set<number>();
    for (const row of rows) {
      if (row.state === 'serving') {
        this.noteServed(row.name, row.generation, row.version, parsePosition(row.position) ?? START);
        continue;
      }
      seen.add(row.generation);
      const applied = Number(row.events_applied);
      const known = this.rebuilds.get(row.generation);
      const views = [...new Set([...(known?.views ?? []), row.name])].sort();
      const sample = { at: now, applied };
      this.rebuilds.set(row.generation, { views, applied, total: row.events_total === null ? null : Number(row.events_total), first: known?.first ?? sample, last: sample });
    }
    for (const generation of this.rebuilds.keys()) if (!seen.has(generation)) this.rebuilds.delete(generation);
    this.progress.emit('advanced');
  }

  private noteServed(name: string, generation: number, version: number, position: Position): void {
    const known = this.served.get(name);
    // Only forward: a look at the table may cross a commit or a switch of this process, and a
    // switch always goes to a newer generation (a rebuild replaces any older one of its views).
    if (known && (generation < known.generation || (generation === known.generation && comparePositions(known.position, position) >= 0))) return;
    this.served.set(name, { generation, version, position });
  }

  /**
   * Views whose serving generation was made by another version of the code (or the voiding facts'
   * was), and views not built yet whose first build (a rebuild) is under way: both wait for a switch.
   */
  private frozenViews(): string[] {
    const facts = this.served.get(VOIDING_FACTS);
    const factsFrozen = facts !== undefined && facts.version !== voidingFacts.version;
    const building = new Set([...this.rebuilds.values()].flatMap((r) => r.views));
    return this.projectors
      .filter((p) => {
        const served = this.served.get(p.name);
        if (served === undefined) return false;
        return factsFrozen || served.version !== p.version || (comparePositions(served.position, START) === 0 && building.has(p.name));
      })
      .map((p) => p.name);
  }

  // --- generations ----------------------------------------------------------------------------

  /**
   * The live lanes: for each view the serving generation, made where there is none (a new
   * database or a new projector: nothing to keep serving, so it is built in place), and written by
   * this pass when its version is this code's. A view of another version keeps serving as it is
   * while a rebuild of this code's version is built beside it (started here if there is none).
   */
  private async prepareLive(): Promise<void> {
    const stale: string[] = [];
    let factsStale = false;
    let factsUnbuilt = false;
    const unbuiltViews = new Set<string>();
    // A view made now on a log that has events (a first start on a long log, a new view) is built
    // by a rebuild by school beside its empty serving generation, not by this pass from position 0
    // (5M events in the log's order: 277-320 s and 5 GiB); and one at the start whose build is under
    // way waits for it. A view made while the log was empty is this pass's, as before.
    const bySchool = this.options.rebuildBySchool !== false && this.store.schools !== undefined && comparePositions(await this.store.head(), START) > 0;
    await this.dataSource.transaction(async (manager) => {
      const made: { name: string }[] = await manager.query(
        `INSERT INTO projection_checkpoint (name, generation, version, position, state, updated_at)
         SELECT p.name, nextval('projection_generation'), p.version, $3, 'serving', now() FROM unnest($1::text[], $2::int[]) AS p(name, version)
         ON CONFLICT (name) WHERE state = 'serving' DO NOTHING RETURNING name`,
        [this.projectors.map((p) => p.name), this.projectors.map((p) => p.version), formatPosition(START)],
      );
      const building: { name: string }[] = await manager.query(`SELECT DISTINCT name FROM projection_checkpoint WHERE state = 'building'`);
      const firstBuild = new Set([...made, ...building].map((row) => row.name));
      const rows: CheckpointRow[] = await manager.query(`SELECT ${CHECKPOINT_COLUMNS} FROM projection_checkpoint WHERE state = 'serving' AND name = ANY($1)`, [
        this.projectors.map((p) => p.name),
      ]);
      const serving = new Map(rows.map((row) => [row.name, row]));
      const facts = serving.get(VOIDING_FACTS)!;
      factsStale = facts.version !== voidingFacts.version;
      this.lanes = new Map();
      this.positions.clear();
      const unbuilt = (row: CheckpointRow) => bySchool && firstBuild.has(row.name) && comparePositions(parsePosition(row.position) ?? START, START) === 0;
      factsUnbuilt = !factsStale && unbuilt(facts);
      for (const projector of this.projectors) {
        const row = serving.get(projector.name)!;
        this.noteServed(row.name, row.generation, row.version, parsePosition(row.position) ?? START);
        if (unbuilt(row)) unbuiltViews.add(projector.name);
        if (factsStale || factsUnbuilt || row.version !== projector.version || unbuilt(row)) {
          stale.push(projector.name);
          continue;
        }
        this.lanes.set(projector.name, { generation: row.generation, state: 'serving', version: projector.version });
        this.positions.set(projector.name, parsePosition(row.position) ?? START);
        this.noteEmptiness(projector.name, parsePosition(row.position) ?? START);
        this.flushedAt.set(projector.name, parsePosition(row.position) ?? START);
        this.appliedAtFlush.set(projector.name, Number(row.events_applied));
      }
      this.facts = factsStale ? new VoidingFacts() : await this.loadFacts(manager, facts.generation);
      this.factsAt = '';
      this.lanesLost = false;
      this.catchingUp = undefined;
    });
    if (stale.length === 0) return;
    const underWay = new Set((await this.rebuildsToRun()).flatMap((r) => r.views));
    const all = factsStale || factsUnbuilt;
    const missing = all ? (underWay.has(VOIDING_FACTS) ? [] : this.projectors.map((p) => p.name)) : stale.filter((name) => !underWay.has(name));
    if (missing.length === 0) return;
    this.options.logger?.info(
      { projections: missing },
      missing.every((name) => unbuiltViews.has(name))
        ? 'views not built yet on a log that has events: building them school by school beside the empty ones, which answer reads until then'
        : 'projection version changed: rebuilding it beside the serving one, which serves reads until then',
    );
    await this.createRebuild(all ? undefined : missing, false);
  }

  /**
   * A new generation for the named views (all when none named, or when the voiding facts are
   * named), with the voiding facts as scratch when they are not rebuilt. A rebuild of the same
   * views still under way is replaced. With `lock`, this runner holds the rebuild before anyone
   * can see it.
   */
  private async createRebuild(names: readonly string[] | undefined, lock: boolean): Promise<{ generation: number; views: string[] }> {
    const unknown = (names ?? []).filter((name) => !this.projectors.some((p) => p.name === name));
    if (unknown.length > 0) throw new Error(`no projection named ${unknown.join(', ')}`);
    const all = !names || names.includes(VOIDING_FACTS);
    const views = this.projectors.filter((p) => all || names.includes(p.name)).map((p) => p.name);
    const [{ generation }]: { generation: number }[] = await this.dataSource.query(`SELECT nextval('projection_generation')::int AS generation`);
    if (lock && !(await this.locks.tryLock(generation))) throw new Error(`generation ${generation} is locked by another session`);
    const total = this.store.kind === 'eventstoredb' ? null : Number((await this.dataSource.query(`SELECT count(*)::text AS n FROM event_log`))[0].n);
    const pass = this.passFor(views);
    await this.dataSource.transaction(async (manager) => {
      await manager.query(`UPDATE projection_checkpoint SET state = 'retired', updated_at = now() WHERE state = 'building' AND name = ANY($1)`, [views]);
      await manager.query(
        `UPDATE projection_checkpoint SET state = 'retired', updated_at = now()
          WHERE state = 'scratch' AND generation NOT IN (SELECT generation FROM projection_checkpoint WHERE state = 'building')`,
      );
      await manager.query(
        `INSERT INTO projection_checkpoint (name, generation, version, position, state, events_total, updated_at)
         SELECT l.name, $1, l.version, $2, l.state, $3, now() FROM unnest($4::text[], $5::int[], $6::text[]) AS l(name, version, state)`,
        [
          generation,
          formatPosition(START),
          total,
          pass.projectors.map((p) => p.name),
          pass.projectors.map((p) => p.version),
          pass.projectors.map((p) => (views.includes(p.name) ? 'building' : 'scratch')),
        ],
      );
    });
    return { generation, views };
  }

  /** This pass becomes the rebuild into `generation`: its lanes, positions and voiding facts. */
  private async loadRebuild(generation: number): Promise<void> {
    const rows: CheckpointRow[] = await this.dataSource.query(
      `SELECT ${CHECKPOINT_COLUMNS} FROM projection_checkpoint WHERE generation = $1 AND state IN ('building', 'scratch')`,
      [generation],
    );
    const byName = new Map(rows.map((row) => [row.name, row]));
    this.lanes = new Map();
    this.positions.clear();
    for (const projector of this.projectors) {
      const row = byName.get(projector.name);
      if (!row || row.version !== projector.version) throw new RebuildSuperseded(generation);
      this.lanes.set(projector.name, { generation, state: row.state as LaneState, version: projector.version });
      this.positions.set(projector.name, parsePosition(row.position) ?? START);
      this.noteEmptiness(projector.name, parsePosition(row.position) ?? START);
      this.flushedAt.set(projector.name, parsePosition(row.position) ?? START);
      this.appliedAtFlush.set(projector.name, Number(row.events_applied));
    }
    this.facts = await this.loadFacts(this.dataSource.manager, generation);
    // At the start (or part way through its schools): the first stretch goes school by school.
    const first = byName.get(this.projectors[0].name)!;
    const atStart = [...byName.values()].every((row) => comparePositions(parsePosition(row.position) ?? START, START) === 0);
    if (this.options.rebuildBySchool !== false && this.store.schools && atStart) {
      this.bySchool = new RebuildBySchool(
        this.dataSource,
        this.store,
        this.projectors,
        [...this.lanes].map(([name, lane]) => ({ name, ...lane })),
        { upTo: first.build_upto === null ? null : parsePosition(first.build_upto), after: first.build_after, applied: Number(first.events_applied) },
        {
          memoryBytes: this.options.rebuildMemoryBytes ?? 256 * 1024 * 1024,
          batchSize: this.options.rebuildBatchSize ?? SCHOOL_BATCH,
          onEvents: (events, position) => {
            this.options.onBatch?.(events, position);
            this.progress.emit('advanced');
          },
        },
      );
    }
  }

  /**
   * Switches reads to this rebuild, in one transaction, if it is at least as far as each serving
   * generation it replaces (the serving rows are locked, so none moves meanwhile): the old ones
   * are retired (their rows deleted after), the scratch voiding facts too.
   */
  private async trySwitch(): Promise<boolean> {
    await this.flush();
    const [generation] = new Set([...this.lanes.values()].map((lane) => lane.generation));
    const views = [...this.lanes].filter(([, lane]) => lane.state === 'building').map(([name]) => name);
    const outcome = await this.dataSource.transaction(async (manager) => {
      const mine: { name: string; position: string }[] = await manager.query(
        `SELECT name, position FROM projection_checkpoint WHERE generation = $1 AND state IN ('building', 'scratch') ORDER BY name FOR UPDATE`,
        [generation],
      );
      if (mine.length !== this.lanes.size) return 'superseded';
      let at: Position | undefined;
      for (const row of mine) {
        const position = parsePosition(row.position) ?? START;
        if (!at || comparePositions(position, at) < 0) at = position;
      }
      const serving: { position: string }[] = await manager.query(
        `SELECT position FROM projection_checkpoint WHERE state = 'serving' AND name = ANY($1) ORDER BY name FOR UPDATE`,
        [views],
      );
      if (serving.some((row) => comparePositions(parsePosition(row.position) ?? START, at!) > 0)) return 'behind';
      await manager.query(`UPDATE projection_checkpoint SET state = 'retired', updated_at = now() WHERE state = 'serving' AND name = ANY($1)`, [views]);
      await manager.query(
        `UPDATE projection_checkpoint SET state = CASE state WHEN 'building' THEN 'serving' ELSE 'retired' END, updated_at = now() WHERE generation = $1`,
        [generation],
      );
      return 'switched';
    });
    if (outcome === 'superseded') throw new RebuildSuperseded(generation);
    return outcome === 'switched';
  }

  /** Deletes the rows of retired generations, a chunk per statement (reads never see them). */
  private async collectRetired(): Promise<void> {
    const retired: { name: string; generation: number }[] = await this.dataSource.query(`SELECT name, generation FROM projection_checkpoint WHERE state = 'retired'`);
    for (const { name, generation } of retired) {
      for (;;) {
        const [{ n }]: { n: number }[] = await this.dataSource.query(
          `WITH gone AS (DELETE FROM view_document WHERE ctid IN (SELECT ctid FROM view_document WHERE projection = $1 AND generation = $2 LIMIT ${DELETE_CHUNK}) RETURNING 1)
           SELECT count(*)::int AS n FROM gone`,
          [name, generation],
        );
        if (n < DELETE_CHUNK) break;
      }
      await this.dataSource.query(`DELETE FROM projection_checkpoint WHERE name = $1 AND generation = $2 AND state = 'retired'`, [name, generation]);
    }
  }

  /** The voiding facts a generation has folded, indexed for the ledger. */
  private async loadFacts(manager: EntityManager, generation: number): Promise<VoidingFacts> {
    const [row]: { doc: VoidingFactsDoc }[] = await manager.query(`SELECT doc FROM view_document WHERE projection = $1 AND generation = $2 AND key = 'all'`, [
      VOIDING_FACTS,
      generation,
    ]);
    const facts = new VoidingFacts();
    for (const fact of row?.doc.facts ?? []) facts.append(fact, factPosition(fact));
    return facts;
  }

  private lowestLane(): Position {
    let lowest: Position | undefined;
    for (const name of this.lanes.keys()) {
      const position = this.positions.get(name) ?? START;
      if (!lowest || comparePositions(position, lowest) < 0) lowest = position;
    }
    return lowest ?? START;
  }

  /** Reads and applies one batch from the lowest lane (a rebuild's first stretch: one school); false when the log had nothing more. */
  private async applyOneBatch(batchSize: number): Promise<boolean> {
    if (this.bySchool) return this.applyOneSchool(this.bySchool);
    const from = this.lowestLane();
    const ahead = this.prefetched;
    this.prefetched = undefined;
    const events = ahead && comparePositions(ahead.from, from) === 0 ? await ahead.events : await this.store.readAll(from, { limit: batchSize });
    if (events.length === 0) {
      await this.flushCatchUp();
      return false;
    }
    const reached = events[events.length - 1].position;
    if (events.length === batchSize) {
      // A full batch: the log has more. It is read while this batch is folded (a rebuild, or a live
      // pass catching up): the database works while this process does. A read made earlier is as
      // good as one made later (it never skips an event; at most it stops sooner).
      const next = this.store.readAll(reached, { limit: batchSize });
      next.catch(() => undefined);
      this.prefetched = { from: reached, events: next };
    }
    await this.applyBatch(events, reached);
    if (this.lanesLost && [...this.lanes.values()].every((lane) => lane.state !== 'serving')) {
      throw new RebuildSuperseded([...this.lanes.values()][0]?.generation ?? 0);
    }
    return true;
  }

  /**
   * One school of a rebuild's first stretch. Once every school is written the lanes are at the
   * stretch's end, with its voiding facts, and the pass goes on in the log's order from there.
   */
  private async applyOneSchool(stage: RebuildBySchool): Promise<boolean> {
    if (await stage.step()) return true;
    this.bySchool = undefined;
    for (const name of this.lanes.keys()) {
      this.positions.set(name, stage.upTo);
      this.flushedAt.set(name, stage.upTo);
      this.appliedAtFlush.set(name, stage.eventsApplied);
      this.unflushed.delete(name);
      // The generation is no longer empty: documents missing from memory are asked of the database.
      this.writtenKeys.delete(name);
    }
    this.facts = stage.voidingFacts;
    this.progress.emit('advanced');
    return true;
  }

  private async applyUntilHead(batchSize: number): Promise<void> {
    while (this.lanes.size > 0 && (await this.applyOneBatch(batchSize)));
  }

  // --- one batch ------------------------------------------------------------------------------

  /**
   * One batch, in one transaction. What a re-fold needs from the log (the events a voiding fact
   * changes, whole source streams) is read first, outside the transaction: PGlite is one session.
   */
  private async applyBatch(events: readonly StoredEvent[], reached: Position): Promise<void> {
    const extraStreams = new Set<string>();
    for (let attempt = 1; ; attempt++) {
      const plan = await this.plan(events, extraStreams);
      try {
        await this.commit(events, reached, plan);
        break;
      } catch (error) {
        if (!(error instanceof StreamsNeeded) || attempt >= 5) throw error;
        for (const stream of error.streams) extraStreams.add(stream);
      }
    }
    this.progress.emit('advanced');
    this.options.onBatch?.(events.length, reached);
  }

  private async plan(events: readonly StoredEvent[], extraStreams: ReadonlySet<string>): Promise<BatchPlan> {
    const batchFacts = events.filter(isVoidingFact);
    // Facts are facts of the log: known once read, whether or not this batch commits (a retry reads the same).
    for (const fact of batchFacts) this.facts.append(fact, fact.position);
    const ledgerAfter = (fact: StoredEvent) => this.facts.upTo(fact.position, true);
    const changed = new Map<string, StoredEvent[]>();
    const streams = new Map<string, readonly StoredEvent[]>();
    if (batchFacts.length === 0 && extraStreams.size === 0) return { changed, streams, ledgerAfter };

    const queries = new Map<string, Promise<StoredEvent[]>>();
    const ask = (key: string, query: () => Promise<StoredEvent[]>) => {
      if (!queries.has(key)) queries.set(key, query());
      return queries.get(key)!;
    };
    for (const fact of batchFacts) {
      const affected = this.facts.affectedBy(fact.eventId);
      if (!affected) continue;
      const found = await Promise.all([
        ...affected.accounts.map(({ accountId, recordedFrom }) => ask(`${accountId} ${recordedFrom}`, () => this.store.query({ accountId, recordedFrom }))),
        ...(affected.eventIds.length > 0 ? [ask(`ids ${affected.eventIds.join(',')}`, () => this.store.query({ eventIds: affected.eventIds }))] : []),
      ]);
      const candidates = new Map<string, StoredEvent>();
      for (const e of found.flat()) if (comparePositions(e.position, fact.position) < 0) candidates.set(e.eventId, e);
      changed.set(fact.eventId, changedBy(this.facts.upTo(fact.position, false), ledgerAfter(fact), [...candidates.values()]));
    }

    // The documents those events touch, per view, and every stream they were or will be folded from
    // (a rebuild's flush still being written holds some of those rows: read them once it has committed).
    await this.settleFlush(true);
    const needed = new Set(extraStreams);
    const allChanged = [...changed.values()].flat();
    for (const projector of this.projectors) {
      const keys = keysOfBatch(projector, allChanged);
      if (keys.size === 0) continue;
      for (const e of allChanged) if (handlesEvent(projector, e.type)) needed.add(e.stream);
      for (const e of events) if (handlesEvent(projector, e.type) && projector.keys(e).some((k) => keys.has(k))) needed.add(e.stream);
      // This pass's generation only: without it the key is no use to the primary key (projection, generation, key)
      // and the whole projection is scanned (1.4 s of a report's 2.8 s on a 1M-event log).
      const lane = this.lanes.get(projector.name);
      const rows: { sources: string[] }[] = lane
        ? await this.dataSource.query(`SELECT sources FROM view_document WHERE projection = $1 AND generation = $2 AND key = ANY($3::text[])`, [
            projector.name,
            lane.generation,
            [...keys],
          ])
        : [];
      for (const row of rows) for (const stream of row.sources) needed.add(stream);
      // A rebuild's documents not written yet.
      if (this.writeBack) for (const key of keys) for (const stream of this.writeBack.sourcesOf(projector.name, key) ?? []) needed.add(stream);
    }
    await Promise.all([...needed].map(async (stream) => streams.set(stream, await this.store.readStream(stream))));
    return { changed, streams, ledgerAfter };
  }

  private commit(events: readonly StoredEvent[], reached: Position, plan: BatchPlan): Promise<void> {
    return this.exclusive(async () => {
      if (this.writeBack) return this.foldInMemory(this.writeBack, events, reached, plan);
      // A full batch: the log has more. Fold in memory until a batch comes short (the head), as a
      // rebuild does; readers of these views wait (`atLeast`) for a flush, which comes at least
      // every `rebuildFlushEvents` events. At the head, every batch commits on its own again.
      const full = events.length >= (this.options.batchSize ?? 1000);
      if (full || this.catchingUp) {
        this.catchingUp ??= this.newCache();
        await this.foldInMemory(this.catchingUp, events, reached, plan);
        if (!full) await this.flushNow(this.catchingUp);
        return;
      }
      return this.commitBatch(events, reached, plan);
    });
  }

  private exclusive<T>(work: () => Promise<T>): Promise<T> {
    const next = this.writing.then(work, work);
    this.writing = next.catch(() => undefined);
    return next;
  }

  private newCache(): WriteBackCache {
    return new WriteBackCache(this.options.rebuildMemoryBytes ?? 256 * 1024 * 1024, this.options.rebuildFlushEvents ?? 200_000);
  }

  /** Writes what the live pass folded in memory while it caught up (at the head, on stop, from the supervisor). */
  private flushCatchUp(): Promise<void> {
    return this.exclusive(async () => {
      if (this.catchingUp) await this.flushNow(this.catchingUp);
    });
  }

  private async commitBatch(events: readonly StoredEvent[], reached: Position, plan: BatchPlan): Promise<void> {
    const lanes = [...this.lanes];
    const committed = await this.dataSource.transaction(async (manager) => {
      // A second runner on the same generation waits here and then skips what this one applied.
      const checkpoints = await lockCheckpoints(manager, lanes);
      const from = new Map(checkpoints.map((c) => [c.name, parsePosition(c.position) ?? START]));
      const reachedPositions = new Map<string, Position>();
      const applied = new Map<string, number>();
      for (const projector of this.projectors) {
        const lane = this.lanes.get(projector.name);
        const start = from.get(projector.name);
        if (!lane || !start) continue;
        if (comparePositions(start, reached) >= 0) {
          reachedPositions.set(projector.name, start);
          continue;
        }
        const fresh = events.filter((e) => comparePositions(e.position, start) > 0);
        const ledger = this.facts.upTo(start, true);
        await this.applyToProjector(manager, projector, lane.generation, fresh, ledger, plan);
        reachedPositions.set(projector.name, reached);
        applied.set(projector.name, fresh.length);
      }
      const moved = [...reachedPositions].filter(([name, position]) => comparePositions(position, from.get(name) ?? START) > 0);
      if (moved.length > 0) {
        await manager.query(
          `UPDATE projection_checkpoint AS c SET position = m.position, events_applied = c.events_applied + m.applied, updated_at = now()
             FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[]) AS m(name, generation, position, applied)
            WHERE c.name = m.name AND c.generation = m.generation`,
          [
            moved.map(([name]) => name),
            moved.map(([name]) => this.lanes.get(name)!.generation),
            moved.map(([, position]) => formatPosition(position)),
            moved.map(([name]) => applied.get(name) ?? 0),
          ],
        );
      }
      return reachedPositions;
    });
    for (const [name] of lanes) {
      if (committed.has(name)) continue;
      this.lanes.delete(name);
      this.lanesLost = true;
    }
    for (const [name, position] of committed) {
      this.positions.set(name, position);
      this.flushedAt.set(name, position);
      const lane = this.lanes.get(name)!;
      if (lane.state === 'serving') this.noteServed(name, lane.generation, lane.version, position);
    }
    if (this.lanesLost) this.wakeSupervisor?.();
  }

  /**
   * A rebuild's batch: folded into the documents held in memory (loaded once, when first touched),
   * the positions moved in memory only; written with the checkpoints by `flush` when the cache is
   * full, at the head before the switch, and when the rebuild stops. Only one process builds a
   * generation (its advisory lock), so nobody else moves these checkpoints meanwhile; `flush` checks.
   */
  private async foldInMemory(cache: WriteBackCache, events: readonly StoredEvent[], reached: Position, plan: BatchPlan): Promise<void> {
    await this.settleFlush(false);
    // A batch with no voiding fact folds the cached documents in place: if it fails half way the
    // cache is dropped whole (`spoil`), the pass starting again from its stored checkpoints. With a
    // fact, into copies: a batch that needs more streams (StreamsNeeded) runs again from the same cache.
    const inPlace = !events.some(isVoidingFact);
    try {
      await this.foldBatchInMemory(cache, events, reached, plan, inPlace);
    } catch (error) {
      if (inPlace) this.spoil(cache);
      throw error;
    }
    cache.folded(events.length);
    this.lastFoldAt = performance.now();
    // The live pass keeps its cache across a flush made because it was full: the next batches find
    // their documents in it instead of reading them back (it is dropped at the head, where every
    // batch commits on its own again).
    if (cache.full) return this.flushNow(cache, cache === this.writeBack, true);
    // While a flush is written its transaction holds these checkpoints: it writes the count itself.
    if (cache !== this.writeBack || this.flight) return;
    // Progress for /health and the CLI between flushes: the count only (the position moves with the documents).
    const lanes = [...this.lanes];
    await this.dataSource.query(
      `UPDATE projection_checkpoint AS c SET events_applied = m.applied, updated_at = now()
         FROM unnest($1::text[], $2::int[], $3::bigint[]) AS m(name, generation, applied)
        WHERE c.name = m.name AND c.generation = m.generation AND c.state IN ('building', 'scratch')`,
      [lanes.map(([name]) => name), lanes.map(([, lane]) => lane.generation), lanes.map(([name]) => this.appliedSoFar(name))],
    );
  }

  /**
   * A cache a batch failed half way into: never written. The live pass's is dropped (the pass
   * starts again from the stored checkpoints: `prepareLive`); a rebuild's pass is dropped whole.
   */
  private spoil(cache: WriteBackCache): void {
    cache.spoil();
    if (cache === this.catchingUp) this.catchingUp = undefined;
  }

  private async foldBatchInMemory(cache: WriteBackCache, events: readonly StoredEvent[], reached: Position, plan: BatchPlan, inPlace: boolean): Promise<void> {
    const results: { projector: DocumentProjector; docs: Map<string, DocEntry>; applied: number }[] = [];
    for (const projector of this.projectors) {
      const start = this.positions.get(projector.name);
      if (!this.lanes.has(projector.name) || !start || comparePositions(start, reached) >= 0) continue;
      const fresh = events.filter((e) => comparePositions(e.position, start) > 0);
      const docs = await this.workingDocs(cache, projector, fresh, plan);
      // A rebuild shares the process with HTTP: requests get their turn between two slices of a
      // view's fold (a slice folded after the one before it is the same fold: the ledger carries on).
      let ledger = this.facts.upTo(start, true);
      for (let from = 0; docs.size > 0 && from < fresh.length; from += FOLD_SLICE) {
        const slice = fresh.slice(from, from + FOLD_SLICE);
        const before = ledger;
        ledger = this.fold(projector, slice, () => projectBatch(projector, docs, slice, before, plan, inPlace));
        await yieldToRequests();
      }
      results.push({ projector, docs, applied: fresh.length });
    }
    for (const { projector, docs, applied } of results) {
      for (const [key, entry] of docs) if (entry.changedAt) cache.changed(projector.name, key, entry);
      this.positions.set(projector.name, reached);
      this.unflushed.set(projector.name, (this.unflushed.get(projector.name) ?? 0) + applied);
    }
  }

  /**
   * Called with a lane's stored position before this pass takes it (again). At the start, the
   * generation has no rows (they are written with the checkpoint), so what this pass writes from
   * now on is all it holds. Later, the filter stays good only while the stored position is the one
   * this pass itself last wrote (nobody else wrote the lane meanwhile).
   */
  private noteEmptiness(name: string, stored: Position): void {
    if (comparePositions(stored, START) === 0) this.writtenKeys.set(name, new KeyFilter());
    else if (comparePositions(stored, this.flushedAt.get(name) ?? START) !== 0) this.writtenKeys.delete(name);
  }

  /** A rebuild's lane: events applied, flushed or not (after a restart it may count again what was redone). */
  private appliedSoFar(name: string): number {
    return (this.appliedAtFlush.get(name) ?? 0) + (this.unflushed.get(name) ?? 0);
  }

  /** Copies of the documents a batch touches, from the cache, the rows of the missing ones loaded first. */
  private async workingDocs(cache: WriteBackCache, projector: DocumentProjector, events: readonly StoredEvent[], plan: BatchPlan): Promise<Map<string, DocEntry>> {
    const keys = this.fold(projector, events, () => keysOfBatch(projector, events));
    for (const fact of events) {
      const changed = plan.changed.get(fact.eventId);
      if (changed) for (const key of this.fold(projector, events, () => keysOfBatch(projector, changed))) keys.add(key);
    }
    const generation = this.lanes.get(projector.name)!.generation;
    let missing = [...keys].filter((key) => !cache.has(projector.name, key));
    // A generation empty when this pass took it holds only what the pass wrote: a key it never wrote is a new document.
    const written = this.writtenKeys.get(projector.name);
    if (written) {
      for (const key of missing) if (!written.mayHave(key)) cache.loaded(projector.name, key, null, [], 0);
      missing = missing.filter((key) => written.mayHave(key));
    }
    if (missing.length > 0) {
      // A document dropped from the cache may be in a flush still being written: read it once that has committed.
      await this.settleFlush(true);
      const rows: { key: string; doc: object; sources: string[]; bytes: number }[] = await this.dataSource.query(
        `SELECT key, doc, sources, pg_column_size(doc) AS bytes FROM view_document WHERE projection = $1 AND generation = $2 AND key = ANY($3::text[])`,
        [projector.name, generation, missing],
      );
      const found = new Set<string>();
      for (const row of rows) {
        cache.loaded(projector.name, row.key, row.doc, row.sources, Number(row.bytes));
        found.add(row.key);
      }
      for (const key of missing) if (!found.has(key)) cache.loaded(projector.name, key, null, [], 0);
    }
    return new Map([...keys].map((key) => [key, cache.working(projector.name, key)!]));
  }

  /**
   * Writes a rebuild's changed documents and moves its checkpoints to where its batches got, in one
   * transaction. A checkpoint that is no longer this rebuild's (retired, replaced) or that another
   * process moved is not written: its lane is dropped, as `commit` does.
   */
  async flush(): Promise<void> {
    await this.exclusive(async () => {
      await this.bySchool?.settle();
      if (this.writeBack) await this.flushNow(this.writeBack);
    });
  }

  /**
   * Writes the cache's changed documents and moves the checkpoints to where its batches got, in one
   * transaction. The documents are serialized first: that JSON is the snapshot written, whatever is
   * folded meanwhile. `inBackground` (rebuild passes): the transaction runs while the next batches
   * are folded, the database writing while this process folds; its outcome is applied at the next
   * safe point (`settleFlush`), and if it failed the pass stops there (a rebuild's pass is then
   * dropped and built again from its stored checkpoints, so a cache marked clean too early is never
   * used again).
   */
  private async flushNow(cache: WriteBackCache, inBackground = false, keepCatchingUp = false): Promise<void> {
    await this.settleFlush(true);
    if (cache.spoiled) throw new Error('a batch failed half way into these documents: they are dropped, not written');
    if (!cache.pending) return;
    const snapshot = await this.snapshotOf(cache);
    if (!inBackground) {
      const kept = await this.writeSnapshot(snapshot);
      cache.flushed(snapshot.lengths);
      this.afterFlush(cache, snapshot, kept);
      if (cache === this.catchingUp && !keepCatchingUp) this.catchingUp = undefined;
      await this.analyzeIfGrown(snapshot);
      return;
    }
    cache.flushed(snapshot.lengths);
    const flight: Flight = { done: false, promise: Promise.resolve() };
    flight.promise = this.writeSnapshot(snapshot).then(
      async (kept) => {
        await this.analyzeIfGrown(snapshot);
        flight.settle = () => this.afterFlush(cache, snapshot, kept);
        flight.done = true;
      },
      (error: unknown) => {
        flight.error = error;
        flight.done = true;
      },
    );
    this.flight = flight;
  }

  /** Rows flushes wrote since the table was last analyzed by this runner. */
  private rowsSinceAnalyze = 0;

  /** `ANALYZE view_document` once flushes have written `analyzeAfterRows` rows since the last one (see the option). */
  private async analyzeIfGrown(snapshot: FlushSnapshot): Promise<void> {
    for (const { chunks, deletes } of snapshot.documents.values()) this.rowsSinceAnalyze += deletes.length + chunks.reduce((sum, chunk) => sum + chunk.rows, 0);
    if (this.rowsSinceAnalyze < (this.options.analyzeAfterRows ?? 20_000)) return;
    this.rowsSinceAnalyze = 0;
    // Statistics only: the flush has committed, so a failure here is logged, never the batch's.
    await this.dataSource.query('ANALYZE view_document').catch((error: unknown) => this.options.logger?.error({ err: error }, 'ANALYZE view_document failed; the planner keeps its old statistics'));
  }

  /** Applies a background flush's outcome once it has ended (with `wait`, waits for it); a failed one stops the pass here. */
  private async settleFlush(wait: boolean): Promise<void> {
    const flight = this.flight;
    if (!flight || (!flight.done && !wait)) return;
    await flight.promise;
    this.flight = undefined;
    if (flight.error !== undefined) throw flight.error;
    flight.settle?.();
  }

  /**
   * The cache's changed documents as the JSON texts a flush sends, and where each lane's batches
   * got. Requests get their turn between two chunks (200,000 documents take seconds to serialize);
   * nothing else changes this cache meanwhile (folds and flushes of a pass run one at a time).
   */
  private async snapshotOf(cache: WriteBackCache): Promise<FlushSnapshot> {
    const lanes = [...this.lanes];
    const documents = new Map<string, { chunks: DocumentChunk[]; deletes: string[] }>();
    const lengths = new Map<string, Map<string, number>>();
    for (const [projection, entries] of cache.dirty()) {
      if (!this.lanes.has(projection)) continue;
      const upserts: DocumentRow[] = [];
      const deletes: string[] = [];
      for (const { key, entry } of entries) {
        if (entry.doc === null) deletes.push(key);
        else upserts.push({ key, doc: entry.doc, sources: [...entry.sources], position: formatPosition(entry.changedAt ?? START) });
      }
      const chunks: DocumentChunk[] = [];
      const bytes = new Map<string, number>();
      for (const { chunk, lengths: chunkLengths } of this.serializeDocuments(projection, upserts)) {
        chunks.push(chunk);
        for (const [key, length] of chunkLengths) bytes.set(key, length);
        await yieldToRequests();
      }
      documents.set(projection, { chunks, deletes });
      lengths.set(projection, bytes);
    }
    return {
      lanes,
      documents,
      lengths,
      positions: new Map(lanes.map(([name]) => [name, this.positions.get(name) ?? START])),
      applied: new Map(lanes.map(([name]) => [name, this.appliedSoFar(name)])),
      unflushed: new Map(this.unflushed),
    };
  }

  /** The flush's transaction; answers the lanes it wrote (still this pass's, nobody else moved them). */
  private async writeSnapshot(snapshot: FlushSnapshot): Promise<{ kept: Set<string>; movedElsewhere: Map<string, Position> }> {
    const { lanes } = snapshot;
    /** Lanes still this pass's whose checkpoint another runner moved meanwhile: what was folded here is dropped. */
    const movedElsewhere = new Map<string, Position>();
    const kept = await this.dataSource.transaction(async (manager) => {
      const checkpoints = await lockCheckpoints(manager, lanes);
      const mine = new Set(checkpoints.filter((c) => comparePositions(parsePosition(c.position) ?? START, this.flushedAt.get(c.name) ?? START) === 0).map((c) => c.name));
      for (const c of checkpoints) if (!mine.has(c.name)) movedElsewhere.set(c.name, parsePosition(c.position) ?? START);
      for (const [name, lane] of lanes) {
        const documents = snapshot.documents.get(name);
        if (documents && mine.has(name)) await this.writeSerialized(manager, name, lane.generation, documents.chunks, documents.deletes);
      }
      const moved = lanes.filter(([name]) => mine.has(name));
      if (moved.length > 0) {
        await manager.query(
          `UPDATE projection_checkpoint AS c SET position = m.position, events_applied = m.applied, updated_at = now()
             FROM unnest($1::text[], $2::int[], $3::text[], $4::bigint[]) AS m(name, generation, position, applied)
            WHERE c.name = m.name AND c.generation = m.generation`,
          [
            moved.map(([name]) => name),
            moved.map(([, lane]) => lane.generation),
            moved.map(([name]) => formatPosition(snapshot.positions.get(name)!)),
            moved.map(([name]) => snapshot.applied.get(name)!),
          ],
        );
      }
      return mine;
    });
    return { kept, movedElsewhere };
  }

  private afterFlush(cache: WriteBackCache, snapshot: FlushSnapshot, outcome: { kept: Set<string>; movedElsewhere: Map<string, Position> }): void {
    for (const [name, lane] of snapshot.lanes) {
      if (outcome.kept.has(name)) {
        const position = snapshot.positions.get(name)!;
        this.flushedAt.set(name, position);
        this.appliedAtFlush.set(name, snapshot.applied.get(name)!);
        // Batches folded while a background flush was written stay unflushed.
        const since = (this.unflushed.get(name) ?? 0) - (snapshot.unflushed.get(name) ?? 0);
        if (since > 0) this.unflushed.set(name, since);
        else this.unflushed.delete(name);
        if (lane.state === 'serving') this.noteServed(name, lane.generation, lane.version, position);
        continue;
      }
      cache.forget(name);
      this.unflushed.delete(name);
      const stored = outcome.movedElsewhere.get(name);
      if (stored) {
        // Two runners on one generation (only ever by mistake: one process leads): go on from where the other got.
        this.writtenKeys.delete(name);
        this.positions.set(name, stored);
        this.flushedAt.set(name, stored);
        this.options.logger?.info({ projection: name }, 'another runner moved this view meanwhile: what this one folded in memory is dropped');
      } else this.lanes.delete(name);
      this.lanesLost = true;
    }
    this.progress.emit('advanced');
    if (this.lanesLost) this.wakeSupervisor?.();
  }

  private fold<T>(projector: DocumentProjector, events: readonly StoredEvent[], work: () => T): T {
    try {
      return work();
    } catch (error) {
      if (error instanceof StreamsNeeded) throw error;
      throw new ViewFoldError(projector.name, events[0]?.position ?? START, events.at(-1)?.position ?? START, error);
    }
  }

  /** Upserts and deletes documents; answers each upserted document's JSON length (what the write-back cache counts). */
  private async writeDocuments(manager: EntityManager, projection: string, generation: number, upserts: readonly DocumentRow[], deletes: readonly string[]): Promise<Map<string, number>> {
    const bytes = new Map<string, number>();
    const chunks: DocumentChunk[] = [];
    for (const { chunk, lengths } of this.serializeDocuments(projection, upserts)) {
      chunks.push(chunk);
      for (const [key, length] of lengths) bytes.set(key, length);
    }
    await this.writeSerialized(manager, projection, generation, chunks, deletes);
    return bytes;
  }

  /** Documents as the rows `writeSerialized` sends (`serializeRows`), noted in the pass's filter of written keys. */
  private *serializeDocuments(projection: string, upserts: readonly DocumentRow[]): Generator<{ chunk: DocumentChunk; lengths: Map<string, number> }> {
    const written = this.writtenKeys.get(projection);
    if (written) for (const row of upserts) written.add(row.key);
    yield* serializeRows(upserts);
  }

  private writeSerialized(manager: EntityManager, projection: string, generation: number, chunks: readonly DocumentChunk[], deletes: readonly string[]): Promise<void> {
    return writeChunks(manager, projection, generation, chunks, deletes);
  }

  private async applyToProjector(
    manager: EntityManager,
    projector: DocumentProjector,
    generation: number,
    events: readonly StoredEvent[],
    ledger: VoidingLedger,
    plan: BatchPlan,
  ): Promise<void> {
    const fold = <T>(work: () => T): T => this.fold(projector, events, work);
    const keys = fold(() => keysOfBatch(projector, events));
    // Documents only a voiding fact touches are folded again from their sources (projectBatch's
    // refold never reads the stored body): load their sources, not their bodies.
    const refoldOnly = new Set<string>();
    for (const fact of events) {
      const changed = plan.changed.get(fact.eventId);
      if (changed) for (const key of fold(() => keysOfBatch(projector, changed))) if (!keys.has(key)) refoldOnly.add(key);
    }
    if (keys.size === 0 && refoldOnly.size === 0) return;
    const loaded: { key: string; doc: object; sources: string[] }[] =
      keys.size === 0
        ? []
        : await manager.query(`SELECT key, doc, sources FROM view_document WHERE projection = $1 AND generation = $2 AND key = ANY($3::text[])`, [
            projector.name,
            generation,
            [...keys],
          ]);
    const docs = new Map<string, DocEntry>(loaded.map((row) => [row.key, { doc: row.doc, sources: new Set(row.sources), changedAt: null }]));
    if (refoldOnly.size > 0) {
      const rows: { key: string; sources: string[] }[] = await manager.query(
        `SELECT key, sources FROM view_document WHERE projection = $1 AND generation = $2 AND key = ANY($3::text[])`,
        [projector.name, generation, [...refoldOnly]],
      );
      for (const row of rows) docs.set(row.key, { doc: null, sources: new Set(row.sources), changedAt: null });
    }
    fold(() => projectBatch(projector, docs, events, ledger, plan));
    const upserts: DocumentRow[] = [];
    const deletes: string[] = [];
    for (const [key, entry] of docs) {
      if (!entry.changedAt) continue;
      if (entry.doc === null) deletes.push(key);
      else upserts.push({ key, doc: entry.doc, sources: [...entry.sources], position: formatPosition(entry.changedAt) });
    }
    await this.writeDocuments(manager, projector.name, generation, upserts, deletes);
  }
}

/**
 * The stored checkpoints of these lanes, locked: the truth a commit goes by. A second runner on the
 * same generation waits here, and a generation switched or retired meanwhile (or of another
 * version) is not returned, so never written.
 */
function lockCheckpoints(manager: EntityManager, lanes: readonly (readonly [string, Lane])[]): Promise<{ name: string; position: string }[]> {
  return manager.query(
    `SELECT c.name, c.position FROM projection_checkpoint c
       JOIN unnest($1::text[], $2::int[], $3::text[], $4::int[]) AS l(name, generation, state, version)
         ON c.name = l.name AND c.generation = l.generation AND c.state = l.state AND c.version = l.version
      ORDER BY c.name FOR UPDATE OF c`,
    [lanes.map(([name]) => name), lanes.map(([, l]) => l.generation), lanes.map(([, l]) => l.state), lanes.map(([, l]) => l.version)],
  );
}

/** A background flush (rebuild passes): its transaction, and once it has ended, its outcome to apply. */
interface Flight {
  promise: Promise<void>;
  done: boolean;
  settle?: () => void;
  error?: unknown;
}

/** What one flush writes, taken when it starts: the serialized documents and each lane's position and count. */
interface FlushSnapshot {
  readonly lanes: readonly (readonly [string, Lane])[];
  readonly documents: ReadonlyMap<string, { chunks: DocumentChunk[]; deletes: string[] }>;
  readonly lengths: ReadonlyMap<string, ReadonlyMap<string, number>>;
  readonly positions: ReadonlyMap<string, Position>;
  readonly applied: ReadonlyMap<string, number>;
  readonly unflushed: ReadonlyMap<string, number>;
}

/** What a batch needs besides its events, read before its transaction. */
type BatchPlan = StepInput;
