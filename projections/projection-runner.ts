import { EventEmitter } from 'node:events';
import { DataSource, EntityManager, In } from 'typeorm';
import type { StoredEvent } from '../src/event-store/envelope';
import type { EventStore, Subscription } from '../src/event-store/event-store.port';
import { comparePositions, formatPosition, parsePosition, Position, START } from '../src/event-store/position';
import { ProjectionCheckpoint, ViewDocument } from './entities';
import { DocumentProjector, handlesEvent } from './projector';

export interface RunnerLogger {
  info(object: object, message: string): void;
  error(object: object, message: string): void;
}

export interface RunnerOptions {
  readonly batchSize?: number;
  readonly pollIntervalMs?: number;
  readonly logger?: RunnerLogger;
  /** Called after each committed batch: events applied, and the position reached. */
  readonly onBatch?: (events: number, position: Position) => void;
}

/**
 * The one place that writes views. It reads the global log once for all projectors and, per
 * batch, folds the events into the documents they touch and saves those documents together with
 * every projector's checkpoint in one transaction: a crash loses or repeats nothing.
 */
export class ProjectionRunner {
  private readonly positions = new Map<string, Position>();
  private readonly progress = new EventEmitter();
  private subscription?: Subscription;
  private failure?: Error;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    readonly projectors: readonly DocumentProjector[],
    private readonly options: RunnerOptions = {},
  ) {
    this.progress.setMaxListeners(0);
    const names = new Set(projectors.map((p) => p.name));
    if (names.size !== projectors.length) throw new Error('two projectors share a name');
  }

  /** Loads checkpoints (rebuilding any projector whose version changed) and follows the log. */
  async start(): Promise<void> {
    await this.prepareCheckpoints();
    this.follow();
  }

  /** Drains the batch in hand, whose checkpoint is then saved, and stops following. */
  async stop(): Promise<void> {
    await this.subscription?.stop();
    this.subscription = undefined;
  }

  /** Where every view has got to: the lowest checkpoint. */
  position(): Position {
    let lowest: Position | undefined;
    for (const position of this.positions.values()) {
      if (!lowest || comparePositions(position, lowest) < 0) lowest = position;
    }
    return lowest ?? START;
  }

  /** Resolves true once every view includes `target`, false after `timeoutMs`. */
  async waitFor(target: Position, timeoutMs: number): Promise<boolean> {
    if (comparePositions(this.position(), target) >= 0) return true;
    return new Promise<boolean>((resolve) => {
      const check = () => {
        if (comparePositions(this.position(), target) < 0) return;
        finish(true);
      };
      const timer = setTimeout(() => finish(false), timeoutMs);
      const finish = (reached: boolean) => {
        clearTimeout(timer);
        this.progress.off('advanced', check);
        resolve(reached);
      };
      this.progress.on('advanced', check);
    });
  }

  /** The first event no view has seen yet, if any: how far behind the views are. */
  async oldestUnprocessed(): Promise<StoredEvent | undefined> {
    const [next] = await this.store.readAll(this.position(), { limit: 1 });
    return next;
  }

  get failed(): Error | undefined {
    return this.failure;
  }

  /** Forgets the named views (all when none named); a started runner rebuilds them from START. */
  async reset(names?: readonly string[]): Promise<void> {
    const chosen = this.projectors.filter((p) => !names || names.includes(p.name));
    const unknown = (names ?? []).filter((name) => !this.projectors.some((p) => p.name === name));
    if (unknown.length > 0) throw new Error(`no projection named ${unknown.join(', ')}`);
    await this.dataSource.transaction(async (manager) => {
      for (const projector of chosen) await this.resetOne(manager, projector);
    });
    for (const projector of chosen) this.positions.set(projector.name, START);
  }

  /** Applies everything up to the head of the log now, then returns (rebuilds, tests, CLI). */
  async catchUp(): Promise<void> {
    await this.prepareCheckpoints();
    const batchSize = this.options.batchSize ?? 1000;
    for (;;) {
      const events = await this.store.readAll(this.position(), { limit: batchSize });
      if (events.length === 0) return;
      await this.applyBatch(events, events[events.length - 1].position);
    }
  }

  private follow(): void {
    const from = this.position();
    this.subscription = this.store.subscribe(from, (events, resumeAfter) => this.applyBatch(events, resumeAfter), {
      batchSize: this.options.batchSize ?? 1000,
      pollIntervalMs: this.options.pollIntervalMs ?? 50,
    });
    this.subscription.done.catch((error: Error) => {
      this.failure = error;
      this.options.logger?.error({ err: error }, 'projection runner stopped on an error');
    });
  }

  private async prepareCheckpoints(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      const stored = await manager.find(ProjectionCheckpoint);
      const byName = new Map(stored.map((c) => [c.name, c]));
      for (const projector of this.projectors) {
        const checkpoint = byName.get(projector.name);
        if (checkpoint && checkpoint.version === projector.version) {
          this.positions.set(projector.name, parsePosition(checkpoint.position) ?? START);
          continue;
        }
        if (checkpoint) {
          this.options.logger?.info(
            { projection: projector.name, from: checkpoint.version, to: projector.version },
            'projection version changed: rebuilding it from the start of the log',
          );
        }
        await this.resetOne(manager, projector);
        this.positions.set(projector.name, START);
      }
    });
  }

  private async resetOne(manager: EntityManager, projector: DocumentProjector): Promise<void> {
    await manager.delete(ViewDocument, { projection: projector.name });
    await manager.upsert(
      ProjectionCheckpoint,
      { name: projector.name, version: projector.version, position: formatPosition(START), updatedAt: new Date() },
      ['name'],
    );
  }

  private async applyBatch(events: readonly StoredEvent[], reached: Position): Promise<void> {
    const names = this.projectors.map((p) => p.name);
    const committed = await this.dataSource.transaction(async (manager) => {
      // The stored checkpoint, locked, is the truth: a second runner on the same database waits
      // here and then skips what this one applied.
      const checkpoints: { name: string; position: string }[] = await manager.query(
        `SELECT name, position FROM projection_checkpoint WHERE name = ANY($1) FOR UPDATE`,
        [names],
      );
      const from = new Map(checkpoints.map((c) => [c.name, parsePosition(c.position) ?? START]));
      const reachedPositions = new Map<string, Position>();
      for (const projector of this.projectors) {
        const start = from.get(projector.name) ?? START;
        if (comparePositions(start, reached) >= 0) {
          reachedPositions.set(projector.name, start);
          continue;
        }
        const fresh = events.filter((e) => comparePositions(e.position, start) > 0 && handlesEvent(projector, e.type));
        await this.applyToProjector(manager, projector, fresh);
        reachedPositions.set(projector.name, reached);
      }
      const moved = [...reachedPositions].filter(([name, position]) => comparePositions(position, from.get(name) ?? START) > 0);
      if (moved.length > 0) {
        await manager.query(
          `UPDATE projection_checkpoint AS c SET position = m.position, updated_at = now()
             FROM unnest($1::text[], $2::text[]) AS m(name, position) WHERE c.name = m.name`,
          [moved.map(([name]) => name), moved.map(([, position]) => formatPosition(position))],
        );
      }
      return reachedPositions;
    });
    for (const [name, position] of committed) this.positions.set(name, position);
    this.progress.emit('advanced');
    this.options.onBatch?.(events.length, reached);
  }

  private async applyToProjector(manager: EntityManager, projector: DocumentProjector, events: readonly StoredEvent[]): Promise<void> {
    if (events.length === 0) return;
    const keysPerEvent = events.map((event) => projector.keys(event));
    const keys = [...new Set(keysPerEvent.flat())];
    if (keys.length === 0) return;
    const loaded = await manager.find(ViewDocument, { where: { projection: projector.name, key: In(keys) } });
    const docs = new Map<string, object | null>(loaded.map((row) => [row.key, row.doc]));
    const lastPosition = new Map<string, Position>();
    events.forEach((event, index) => {
      for (const key of keysPerEvent[index]) {
        const next = projector.evolve(docs.get(key) ?? null, event, key) as object | null;
        docs.set(key, next);
        lastPosition.set(key, event.position);
      }
    });
    const upserts: ViewDocument[] = [];
    const deletes: string[] = [];
    for (const key of lastPosition.keys()) {
      const doc = docs.get(key);
      if (doc === null || doc === undefined) deletes.push(key);
      else upserts.push({ projection: projector.name, key, doc, position: formatPosition(lastPosition.get(key)!) });
    }
    for (let i = 0; i < upserts.length; i += 1000) {
      await manager.upsert(ViewDocument, upserts.slice(i, i + 1000), ['projection', 'key']);
    }
    if (deletes.length > 0) await manager.delete(ViewDocument, { projection: projector.name, key: In(deletes) });
  }
}
