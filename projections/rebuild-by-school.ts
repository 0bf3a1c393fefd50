import type { DataSource, EntityManager } from 'typeorm';
import type { StoredEvent } from '../src/event-store/envelope';
import type { EventStore } from '../src/event-store/event-store.port';
import { comparePositions, formatPosition, parsePosition, Position, START } from '../src/event-store/position';
import { VOIDING_EVENT_TYPES, VoidingFacts, VoidingLedger } from '../src/security/domain/voiding';
import { KeyFilter } from './key-filter';
import { FoldedDoc, PartitionFold, refoldDocument } from './partition-fold';
import { DocumentProjector, foldDocuments } from './projector';
import { RebuildSuperseded } from './runner-failure';
import { DocumentChunk, DocumentRow, serializeRows, writeChunks } from './view-rows';
import { VOIDING_FACTS } from './voiding-facts/voiding-facts.projector';

/** A generation of one view this rebuild writes (the runner's lane). */
export interface SchoolLane {
  readonly name: string;
  readonly generation: number;
  readonly state: string;
  readonly version: number;
}

/** Where a rebuild by school stands, as its checkpoint rows keep it (`build_upto`, `build_after`, `events_applied`). */
export interface SchoolProgress {
  readonly upTo: Position | null;
  /** The last school written ('' once the events of no school are); null: none yet. */
  readonly after: string | null;
  readonly applied: number;
}

export interface RebuildBySchoolOptions {
  /** Over this estimate, a school's documents are written and dropped before it is done (a very large school). */
  readonly memoryBytes: number;
  readonly batchSize: number;
  /** Events folded (progress; positions go up within a school, not across schools). */
  readonly onEvents?: (events: number, position: Position) => void;
}

/** Events of one school folded between two turns given to requests (~2-3 ms of folding). */
const FOLD_SLICE = 100;
const yieldToRequests = () => new Promise<void>((resolve) => setImmediate(resolve));
/** The marker of the events of no school in `build_after`. */
const NO_SCHOOL = '';

/**
 * The first stretch of a rebuild (docs/architecture.md, "Rebuilds by school"): the log up to a
 * fixed position `upTo` (its head when the rebuild began), read one school at a time through the
 * index `(school_id, tx_id, seq)`, under the ledger of every voiding fact up to `upTo` (read
 * first). Each school's documents are folded in memory and written once, with the school as the
 * checkpoints' `build_after`, in one transaction, while the next school is folded; the lanes'
 * positions stay at the start until the last school is written, and then move to `upTo` with the
 * voiding facts' document. The runner goes on from there in the log's order.
 *
 * Why: read in the log's order, a rebuild holds every journal of every school at once (a year of
 * a region's journals is ~550,000 documents at 5M events): it could not keep them within memory,
 * wrote them several times and read them back (17,600 events/s at 5M against 54,000 at 200k).
 * A school's documents are a few thousand. A document named by events of two schools (an account
 * stream written from two schools, say) is found when the second school is written (its key is
 * already there) and folded again from its source streams (`refoldDocument`), so the result is
 * the fold of the whole log whatever the events say of their school.
 */
export class RebuildBySchool {
  private upToPosition: Position | null;
  private after: string | null;
  private applied: number;
  private readonly facts = new VoidingFacts();
  private ledger?: VoidingLedger;
  private schools?: (string | null)[];
  /** Every key this rebuild wrote, when it began on an empty generation; null: any key may be there. */
  private written: KeyFilter | null = null;
  /** The write of the school before, running while the next one is folded. */
  private writing: Promise<void> = Promise.resolve();
  /** Events of the school being written. */
  private inFlight = 0;
  private progressAt = 0;
  /** The voiding facts up to `upTo`, as read first. */
  private factEvents: StoredEvent[] = [];
  private readonly projectors: readonly DocumentProjector[];
  private readonly byName: ReadonlyMap<string, SchoolLane>;

  constructor(
    private readonly dataSource: DataSource,
    private readonly store: EventStore,
    private readonly given: readonly DocumentProjector[],
    private readonly lanes: readonly SchoolLane[],
    progress: SchoolProgress,
    private readonly options: RebuildBySchoolOptions,
  ) {
    // The voiding facts' one document spans every school: it is made from the facts read first.
    this.projectors = given.filter((p) => p.name !== VOIDING_FACTS);
    this.byName = new Map(lanes.map((lane) => [lane.name, lane]));
    this.upToPosition = progress.upTo;
    this.after = progress.after;
    this.applied = progress.applied;
  }

  /** Where the lanes are once every school is written. */
  get upTo(): Position {
    return this.upToPosition ?? START;
  }

  /** Events applied so far (the checkpoints' `events_applied` at the last write). */
  get eventsApplied(): number {
    return this.applied;
  }

  /** The voiding facts up to `upTo`, in log order: the runner's, once this stretch is done. */
  get voidingFacts(): VoidingFacts {
    return this.facts;
  }

  /**
   * Folds the next school and starts writing it; false once every school is written and the lanes
   * are at `upTo` (the last step waits for the writes).
   */
  async step(): Promise<boolean> {
    if (!this.schools) await this.begin();
    const school = this.schools!.shift();
    if (school === undefined) {
      await this.settle();
      await this.finish();
      return false;
    }
    await this.foldSchool(school);
    return true;
  }

  /** Waits for the write in flight; its error, if it failed. */
  async settle(): Promise<void> {
    await this.writing;
  }

  /** The position, the facts up to it, the schools still to do, and whether a key filter can stand for the rows. */
  private async begin(): Promise<void> {
    this.upToPosition ??= await this.store.head();
    this.factEvents = comparePositions(this.upTo, START) === 0 ? [] : await this.store.query({ types: VOIDING_EVENT_TYPES, upTo: this.upTo });
    for (const fact of this.factEvents) this.facts.append(fact, fact.position);
    this.ledger = this.facts.all();
    const schools = comparePositions(this.upTo, START) === 0 ? [] : await this.store.schools!();
    const all: (string | null)[] = [null, ...schools];
    this.schools = this.after === null ? all : all.filter((school) => school !== null && school > this.after!);
    const [{ any }]: { any: boolean }[] = await this.dataSource.query(`SELECT EXISTS (SELECT 1 FROM view_document WHERE projection = ANY($1) AND generation = $2) AS any`, [
      this.lanes.map((lane) => lane.name),
      this.lanes[0]?.generation ?? 0,
    ]);
    this.written = any ? null : new KeyFilter();
  }

  private read(school: string | null, after: Position): Promise<StoredEvent[]> {
    const events = this.store.query({ schoolId: school, after, upTo: this.upTo, limit: this.options.batchSize });
    events.catch(() => undefined);
    return events;
  }

  private async foldSchool(school: string | null): Promise<void> {
    const fold = new PartitionFold(this.projectors, this.ledger!);
    /** Keys this school wrote before it was done (memory), and keys another school's events named too. */
    const spilled = new Map<string, Set<string>>();
    const mixed = new Map<string, Set<string>>();
    let events = 0;
    let next = this.read(school, START);
    for (;;) {
      const batch = await next;
      if (batch.length === 0) break;
      const last = batch[batch.length - 1].position;
      next = batch.length === this.options.batchSize ? this.read(school, last) : Promise.resolve([]);
      if (spilled.size > 0) await this.readBack(fold, batch, spilled);
      for (let from = 0; from < batch.length; from += FOLD_SLICE) {
        fold.apply(from === 0 && batch.length <= FOLD_SLICE ? batch : batch.slice(from, from + FOLD_SLICE));
        await yieldToRequests();
      }
      events += batch.length;
      this.options.onEvents?.(batch.length, last);
      if (fold.weight > this.options.memoryBytes) await this.spill(fold, spilled, mixed);
      await this.reportProgress(this.applied + this.inFlight + events);
    }
    // One write in flight at most: memory holds the school being written and the one being folded.
    await this.writing;
    // Nothing holds the checkpoints now: the school just folded counts at once.
    await this.reportProgress(this.applied + events, true);
    this.inFlight = events;
    const write = this.writeSchool(school, fold, spilled, mixed, events);
    write.catch(() => undefined); // its error is the next step's (`settle`, or the next school's wait)
    this.writing = write;
  }

  /**
   * Events applied so far for /health and the CLI, between two schools' writes: at most every
   * quarter second, and never waiting — a row that the write in flight holds is left as it is
   * (the write sets the count itself).
   */
  private async reportProgress(applied: number, now = false): Promise<void> {
    if (!now && performance.now() - this.progressAt < 250) return;
    this.progressAt = performance.now();
    await this.dataSource.query(
      `UPDATE projection_checkpoint SET events_applied = $3, updated_at = now()
        WHERE ctid IN (SELECT ctid FROM projection_checkpoint WHERE generation = $1 AND name = ANY($2) AND state IN ('building', 'scratch') FOR UPDATE SKIP LOCKED)`,
      [this.lanes[0].generation, this.lanes.map((l) => l.name), applied],
    );
  }

  /** Documents this school already wrote (to stay within memory) that the batch names again, read back. */
  private async readBack(fold: PartitionFold, batch: readonly StoredEvent[], spilled: Map<string, Set<string>>): Promise<void> {
    for (const [projection, keys] of fold.keysOf(batch)) {
      const ours = spilled.get(projection);
      const missing = ours ? [...keys].filter((key) => ours.has(key) && !fold.docs.get(projection)!.has(key)) : [];
      if (missing.length === 0) continue;
      const rows: { key: string; doc: object; sources: string[]; position: string }[] = await this.dataSource.query(
        `SELECT key, doc, sources, position FROM view_document WHERE projection = $1 AND generation = $2 AND key = ANY($3::text[])`,
        [projection, this.byName.get(projection)!.generation, missing],
      );
      for (const row of rows) fold.put(projection, row.key, { doc: row.doc, sources: new Set(row.sources), changedAt: parsePosition(row.position) ?? START, events: 0 });
    }
  }

  /** Over memory in the middle of a school: its documents so far are written (those another school names stay) and dropped. */
  private async spill(fold: PartitionFold, spilled: Map<string, Set<string>>, mixed: Map<string, Set<string>>): Promise<void> {
    await this.writing;
    await this.findMixed(fold, spilled, mixed);
    const chunks = new Map<string, DocumentChunk[]>();
    for (const [projection, docs] of fold.docs) {
      const upserts: DocumentRow[] = [];
      for (const [key, entry] of docs) {
        if (mixed.get(projection)?.has(key)) continue;
        upserts.push(rowOf(key, entry));
      }
      chunks.set(projection, await serializedWithTurns(upserts));
      let ours = spilled.get(projection);
      if (!ours) spilled.set(projection, (ours = new Set()));
      for (const row of upserts) ours.add(row.key);
    }
    await this.write(async (manager) => {
      for (const [projection, list] of chunks) await writeChunks(manager, projection, this.byName.get(projection)!.generation, list, []);
    }, null);
    for (const [projection, keys] of spilled) {
      for (const key of keys) {
        this.written?.add(key);
        fold.drop(projection, key);
      }
    }
  }

  /**
   * Keys of this school's documents already written by another school (or by an earlier attempt
   * at this one, which a stop cut short): their documents are folded again from their sources.
   */
  private async findMixed(fold: PartitionFold, spilled: Map<string, Set<string>>, mixed: Map<string, Set<string>>): Promise<Map<string, Map<string, string[]>>> {
    const found = new Map<string, Map<string, string[]>>();
    for (const [projection, docs] of fold.docs) {
      const ours = spilled.get(projection);
      const candidates = new Set([...docs.keys()].filter((key) => !ours?.has(key) && (this.written === null || this.written.mayHave(key))));
      for (const key of mixed.get(projection) ?? []) candidates.add(key);
      if (candidates.size === 0) continue;
      const rows: { key: string; sources: string[] }[] = await this.dataSource.query(
        `SELECT key, sources FROM view_document WHERE projection = $1 AND generation = $2 AND key = ANY($3::text[])`,
        [projection, this.byName.get(projection)!.generation, [...candidates]],
      );
      if (rows.length === 0) continue;
      let set = mixed.get(projection);
      if (!set) mixed.set(projection, (set = new Set()));
      const sources = new Map<string, string[]>();
      for (const row of rows) {
        set.add(row.key);
        sources.set(row.key, row.sources);
      }
      found.set(projection, sources);
    }
    return found;
  }

  /** One school's documents, in one transaction that also records the school as written. */
  private async writeSchool(school: string | null, fold: PartitionFold, spilled: Map<string, Set<string>>, mixed: Map<string, Set<string>>, events: number): Promise<void> {
    const stored = await this.findMixed(fold, spilled, mixed);
    const refolded = await this.refoldMixed(fold, mixed, stored);
    const chunks = new Map<string, { chunks: DocumentChunk[]; deletes: string[] }>();
    for (const [projection, docs] of fold.docs) {
      const upserts: DocumentRow[] = [];
      const deletes: string[] = [];
      const again = refolded.get(projection);
      for (const [key, entry] of docs) {
        if (!again?.has(key)) upserts.push(rowOf(key, entry));
      }
      for (const [key, entry] of again ?? []) {
        if (entry) upserts.push(rowOf(key, entry));
        else deletes.push(key);
      }
      chunks.set(projection, { chunks: await serializedWithTurns(upserts), deletes });
      for (const row of upserts) this.written?.add(row.key);
    }
    const marker = school ?? NO_SCHOOL;
    await this.write(async (manager) => {
      for (const [projection, { chunks: list, deletes }] of chunks) await writeChunks(manager, projection, this.byName.get(projection)!.generation, list, deletes);
    }, { after: marker, applied: this.applied + events });
    this.after = marker;
    this.applied += events;
    this.inFlight = 0;
  }

  /** The documents named by events of this school and of another, folded from every event of their source streams up to `upTo`. */
  private async refoldMixed(fold: PartitionFold, mixed: Map<string, Set<string>>, stored: Map<string, Map<string, string[]>>): Promise<Map<string, Map<string, FoldedDoc | null>>> {
    const refolded = new Map<string, Map<string, FoldedDoc | null>>();
    const streams = new Map<string, Promise<StoredEvent[]>>();
    const readStream = (stream: string) => {
      if (!streams.has(stream)) streams.set(stream, this.store.readStream(stream).then((events) => events.filter((e) => comparePositions(e.position, this.upTo) <= 0)));
      return streams.get(stream)!;
    };
    for (const [projection, keys] of mixed) {
      const projector = this.projectors.find((p) => p.name === projection)!;
      const docs = fold.docs.get(projection)!;
      const out = new Map<string, FoldedDoc | null>();
      for (const key of keys) {
        const from = new Set([...(stored.get(projection)?.get(key) ?? []), ...(docs.get(key)?.sources ?? [])]);
        const events = (await Promise.all([...from].map(readStream))).flat();
        out.set(key, refoldDocument(projector, key, events, this.ledger!));
      }
      refolded.set(projection, out);
    }
    return refolded;
  }

  /** The voiding facts' document and every lane's position at `upTo`, in one transaction. */
  private async finish(): Promise<void> {
    const lane = this.byName.get(VOIDING_FACTS);
    const projector = this.given.find((p) => p.name === VOIDING_FACTS);
    const facts = this.factEvents;
    const upserts: DocumentRow[] =
      lane && projector && facts.length > 0
        ? [...foldDocuments(projector, facts)].map(([key, doc]) => ({ key, doc: doc as object, sources: [...new Set(facts.map((e) => e.stream))], position: formatPosition(facts[facts.length - 1].position) }))
        : [];
    await this.write(async (manager) => {
      if (lane && upserts.length > 0) await writeChunks(manager, VOIDING_FACTS, lane.generation, serialized(upserts), []);
    }, { after: null, applied: this.applied, position: this.upTo });
  }

  /**
   * A transaction over this rebuild's checkpoints, locked and checked first: still this
   * generation's, at the start, at the school this rebuild last wrote (else another runner builds
   * it: RebuildSuperseded, or an error to retry from the stored checkpoints). With `progress`, the
   * checkpoints move with it; `position` set ends the stretch.
   */
  private async write(work: (manager: EntityManager) => Promise<void>, progress: { after: string | null; applied: number; position?: Position } | null): Promise<void> {
    const generation = this.lanes[0].generation;
    await this.dataSource.transaction(async (manager) => {
      const rows: { name: string; position: string; build_upto: string | null; build_after: string | null }[] = await manager.query(
        `SELECT c.name, c.position, c.build_upto, c.build_after FROM projection_checkpoint c
           JOIN unnest($1::text[], $2::int[], $3::text[], $4::int[]) AS l(name, generation, state, version)
             ON c.name = l.name AND c.generation = l.generation AND c.state = l.state AND c.version = l.version
          ORDER BY c.name FOR UPDATE OF c`,
        [this.lanes.map((l) => l.name), this.lanes.map((l) => l.generation), this.lanes.map((l) => l.state), this.lanes.map((l) => l.version)],
      );
      if (rows.length !== this.lanes.length) throw new RebuildSuperseded(generation);
      const upTo = formatPosition(this.upTo);
      const moved = rows.some((row) => row.position !== formatPosition(START) || row.build_after !== this.after || (row.build_upto !== null && row.build_upto !== upTo));
      if (moved) throw new Error(`another runner is building generation ${generation}: this one stops and starts again from its checkpoints`);
      await work(manager);
      if (!progress) return;
      await manager.query(
        `UPDATE projection_checkpoint SET position = $3, build_upto = $4, build_after = $5, events_applied = $6, updated_at = now() WHERE generation = $1 AND name = ANY($2)`,
        [
          generation,
          this.lanes.map((l) => l.name),
          formatPosition(progress.position ?? START),
          progress.position ? null : upTo,
          progress.position ? null : progress.after,
          progress.applied,
        ],
      );
    });
  }
}

function rowOf(key: string, entry: FoldedDoc): DocumentRow {
  return { key, doc: entry.doc!, sources: [...entry.sources], position: formatPosition(entry.changedAt) };
}

function serialized(rows: readonly DocumentRow[]): DocumentChunk[] {
  return [...serializeRows(rows)].map(({ chunk }) => chunk);
}

/** The rows' statement chunks, requests given a turn between two slices of JSON. */
async function serializedWithTurns(rows: readonly DocumentRow[]): Promise<DocumentChunk[]> {
  const chunks: DocumentChunk[] = [];
  for (const { chunk } of serializeRows(rows)) {
    chunks.push(chunk);
    await yieldToRequests();
  }
  return chunks;
}
