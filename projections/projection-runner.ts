import { EventEmitter } from 'node:events';
import { DataSource, EntityManager, In } from 'typeorm';
import type { StoredEvent } from '../src/event-store/envelope';
import type { EventStore, Subscription } from '../src/event-store/event-store.port';
import { comparePositions, formatPosition, parsePosition, Position, START } from '../src/event-store/position';
import { ProjectionCheckpoint, ViewDocument } from './entities';
import { changedBy, isVoidingFact, VoidingFacts, VoidingLedger } from '../src/security/domain/voiding';
import { DocEntry, keysOfBatch, projectBatch, StepInput, StreamsNeeded } from './projection-step';
import { DocumentProjector, handlesEvent } from './projector';
import { factPosition, VOIDING_FACTS, voidingFacts, VoidingFactsDoc } from './voiding-facts/voiding-facts.projector';

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
  /** Every voiding fact the views have read, in log order, indexed (the `voiding-facts` view, in memory). */
  private facts = new VoidingFacts();
  /** The views, the voiding facts first: every other view's voids are read from them. */
  readonly projectors: readonly DocumentProjector[];

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
  }

  /** The voids known at a moment: the facts recorded by then (API.md `asOf`: later voids not applied). */
  ledgerAsOf(moment: Date): VoidingLedger {
    return this.facts.asOf(moment.toISOString());
  }

  /** What is void as far as the views have read the log. */
  ledger(): VoidingLedger {
    return this.facts.all();
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
    // Every view's voids come from the voiding facts: rebuilding those rebuilds everything.
    const all = !names || names.includes(VOIDING_FACTS);
    const chosen = this.projectors.filter((p) => all || names.includes(p.name));
    const unknown = (names ?? []).filter((name) => !this.projectors.some((p) => p.name === name));
    if (unknown.length > 0) throw new Error(`no projection named ${unknown.join(', ')}`);
    await this.dataSource.transaction(async (manager) => {
      for (const projector of chosen) await this.resetOne(manager, projector);
    });
    for (const projector of chosen) this.positions.set(projector.name, START);
    if (all) this.facts = new VoidingFacts();
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
      const factsCheckpoint = byName.get(VOIDING_FACTS);
      const rebuildAll = !factsCheckpoint || factsCheckpoint.version !== voidingFacts.version;
      for (const projector of this.projectors) {
        const checkpoint = byName.get(projector.name);
        if (checkpoint && checkpoint.version === projector.version && !rebuildAll) {
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
      const known = await manager.findOneBy(ViewDocument, { projection: VOIDING_FACTS, key: 'all' });
      this.facts = new VoidingFacts();
      for (const fact of (known?.doc as VoidingFactsDoc | undefined)?.facts ?? []) this.facts.append(fact, factPosition(fact));
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

    // The documents those events touch, per view, and every stream they were or will be folded from.
    const needed = new Set(extraStreams);
    const allChanged = [...changed.values()].flat();
    for (const projector of this.projectors) {
      const keys = keysOfBatch(projector, allChanged);
      if (keys.size === 0) continue;
      for (const e of allChanged) if (handlesEvent(projector, e.type)) needed.add(e.stream);
      for (const e of events) if (handlesEvent(projector, e.type) && projector.keys(e).some((k) => keys.has(k))) needed.add(e.stream);
      const rows: { sources: string[] }[] = await this.dataSource.query(
        `SELECT sources FROM view_document WHERE projection = $1 AND key = ANY($2::text[])`,
        [projector.name, [...keys]],
      );
      for (const row of rows) for (const stream of row.sources) needed.add(stream);
    }
    await Promise.all([...needed].map(async (stream) => streams.set(stream, await this.store.readStream(stream))));
    return { changed, streams, ledgerAfter };
  }

  private async commit(events: readonly StoredEvent[], reached: Position, plan: BatchPlan): Promise<void> {
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
        const fresh = events.filter((e) => comparePositions(e.position, start) > 0);
        const ledger = this.facts.upTo(start, true);
        await this.applyToProjector(manager, projector, fresh, ledger, plan);
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
  }

  private async applyToProjector(
    manager: EntityManager,
    projector: DocumentProjector,
    events: readonly StoredEvent[],
    ledger: VoidingLedger,
    plan: BatchPlan,
  ): Promise<void> {
    const keys = keysOfBatch(projector, events);
    // Documents only a voiding fact touches are folded again from their sources (projectBatch's
    // refold never reads the stored body): load their sources, not their bodies.
    const refoldOnly = new Set<string>();
    for (const fact of events) {
      const changed = plan.changed.get(fact.eventId);
      if (changed) for (const key of keysOfBatch(projector, changed)) if (!keys.has(key)) refoldOnly.add(key);
    }
    if (keys.size === 0 && refoldOnly.size === 0) return;
    const loaded = keys.size === 0 ? [] : await manager.find(ViewDocument, { where: { projection: projector.name, key: In([...keys]) } });
    const docs = new Map<string, DocEntry>(loaded.map((row) => [row.key, { doc: row.doc, sources: new Set(row.sources), changedAt: null }]));
    if (refoldOnly.size > 0) {
      const rows: { key: string; sources: string[] }[] = await manager.query(
        `SELECT key, sources FROM view_document WHERE projection = $1 AND key = ANY($2::text[])`,
        [projector.name, [...refoldOnly]],
      );
      for (const row of rows) docs.set(row.key, { doc: null, sources: new Set(row.sources), changedAt: null });
    }
    projectBatch(projector, docs, events, ledger, plan);
    const upserts: { key: string; doc: string; sources: string; position: string }[] = [];
    const deletes: string[] = [];
    for (const [key, entry] of docs) {
      if (!entry.changedAt) continue;
      if (entry.doc === null) deletes.push(key);
      else upserts.push({ key, doc: JSON.stringify(entry.doc), sources: JSON.stringify([...entry.sources]), position: formatPosition(entry.changedAt) });
    }
    // One statement per 2,000 documents, the JSON made once here (a re-fold after a report writes thousands).
    for (let i = 0; i < upserts.length; i += 2000) {
      const chunk = upserts.slice(i, i + 2000);
      await manager.query(UPSERT_DOCUMENTS, [projector.name, chunk.map((u) => u.key), chunk.map((u) => u.doc), chunk.map((u) => u.sources), chunk.map((u) => u.position)]);
    }
    if (deletes.length > 0) await manager.query(`DELETE FROM view_document WHERE projection = $1 AND key = ANY($2::text[])`, [projector.name, deletes]);
  }
}

const UPSERT_DOCUMENTS = `
INSERT INTO view_document (projection, key, doc, sources, position)
SELECT $1, m.key, m.doc::jsonb, ARRAY(SELECT jsonb_array_elements_text(m.sources::jsonb)), m.position
  FROM unnest($2::text[], $3::text[], $4::text[], $5::text[]) AS m(key, doc, sources, position)
ON CONFLICT (projection, key) DO UPDATE SET doc = EXCLUDED.doc, sources = EXCLUDED.sources, position = EXCLUDED.position`;

/** What a batch needs besides its events, read before its transaction. */
type BatchPlan = StepInput;
