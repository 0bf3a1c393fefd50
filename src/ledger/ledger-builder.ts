import { BackgroundLoop, Leadership } from '../common/background-loop';
import { createHash, randomUUID } from 'node:crypto';
import { Clock, systemClock, toMoment } from '../common/clock';
import { AdvisoryLocks, LEDGER_LEADER_LOCK } from '../database/advisory-locks';
import { SYSTEM_ACTOR } from '../event-store/envelope';
import { EventStore, LogEntry } from '../event-store/event-store.port';
import { Position } from '../event-store/position';
import { checkpointText, parseCheckpointText } from './domain/checkpoint';
import { leafHash, nodesOf, ProofRanges, rangeHash } from './domain/merkle';
import { LogKey, NoteSigner, signedBy, signNote } from './domain/note';
import { nodesFromTiles, tilesFor, TileTree } from './domain/tiles';
import { LedgerStore, StoredCheckpoint } from './ledger-store';
import { LedgerWitnesses } from './ledger-witnesses';

/** The event a signed checkpoint leaves in the log: the ledger records its own checkpoints too. */
export const CHECKPOINT_SIGNED = 'LedgerCheckpointSigned';
export const CHECKPOINT_STREAM = 'ledger-checkpoints';

export interface LedgerCheckpointSigned {
  readonly origin: string;
  readonly size: number;
  readonly rootHash: string;
  readonly keyId: string;
}

export interface LedgerBuilderOptions {
  readonly origin: string;
  /** Sign every checkpoint: the current key first, then, during a rotation, the one it replaces. */
  readonly signers: readonly NoteSigner[];
  /** The keys an earlier checkpoint may be signed by (default: the signers). */
  readonly accepted?: readonly LogKey[];
  /** Sign once this many leaves were added since the last checkpoint… */
  readonly checkpointEvery: number;
  /** …or once this long passed since it, if anything but a checkpoint's own event was added. */
  readonly checkpointIntervalMs: number;
  readonly pollIntervalMs: number;
  readonly retryMaxMs?: number;
  readonly batchSize?: number;
  /** Of several instances on one database, the one holding the lock builds (none: this one). */
  readonly locks?: AdvisoryLocks;
  readonly clock?: Clock;
  readonly logger?: { info(object: object, message: string): void; error(object: object, message: string): void };
  /** Witnesses asked to co-sign each new checkpoint. */
  readonly witnesses?: LedgerWitnesses;
}

export interface LedgerBuilderStatus {
  readonly role: 'builder' | 'follower' | 'stopped';
  readonly size: number;
  readonly checkpointSize: number | null;
  /** Why the last step failed, in plain words, while it keeps failing. */
  readonly failure: string | null;
  /** Set when the stored tree no longer contains the last signed checkpoint: nothing is signed after it. */
  readonly inconsistent: string | null;
}

export class LedgerInconsistentError extends Error {}

/** A checkpoint's event id, the same at every attempt: appending it again is a replay, not a second event. */
export function checkpointEventId(origin: string, size: number): string {
  const hex = createHash('sha256').update(`zhurnal ledger checkpoint\n${origin}\n${size}`).digest('hex');
  // A version 8 (custom) UUID with the RFC 9562 variant.
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${((parseInt(hex[16], 16) & 0x3) | 0x8).toString(16)}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

/**
 * Makes every stored event a leaf, in the log's global order (the order and horizon of readAll:
 * a leaf is added only once no earlier event can still commit), stores the tree as tiles and signs
 * checkpoints. One builder among several instances (advisory lock); the leaves and tiles of a
 * batch are stored in one transaction, only if the ledger still stands where this builder left it.
 */
export class LedgerBuilder {
  private tree?: TileTree;
  private position?: Position;
  private last: StoredCheckpoint | null | undefined;
  /** Whether a leaf other than a checkpoint's own event came since the last checkpoint. */
  private pending = true;
  private lastEventStored = false;
  private batches = 0;
  private stepping?: Promise<number>;
  private inconsistent: string | null = null;
  private unsupported: string | null = null;
  private readonly clock: Clock;
  private readonly leadership: Leadership;
  private readonly loop: BackgroundLoop;

  constructor(
    private readonly events: EventStore,
    private readonly store: LedgerStore,
    private readonly options: LedgerBuilderOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    // Another builder may have moved the ledger while this one did not lead, and signed.
    this.leadership = new Leadership(options.locks, LEDGER_LEADER_LOCK, (leading) => {
      this.forget();
      if (leading) this.options.logger?.info({}, 'this instance builds the audit ledger');
    });
    this.loop = new BackgroundLoop({
      turn: async () => {
        if (!(await this.leadership.lead())) return false;
        const added = await this.step();
        await this.signIfDue(false);
        // At once again only while a backlog remains (a full batch was read): under a steady stream
        // of writes, turning at once took a few events a turn and rewrote the partial tiles each
        // time, hundreds of small transactions a second taken from the writers; a pause gathers
        // them into one batch. A leaf waits at most a poll longer, far less than a checkpoint.
        return added >= this.batchSize;
      },
      idleMs: () => (this.leadership.isLeading ? options.pollIntervalMs : Math.max(1000, options.pollIntervalMs)),
      retryMaxMs: options.retryMaxMs,
      onError: (error, retryInMs) => {
        // What is in memory may be ahead of what was stored: it is read again from the tables.
        this.forget();
        this.options.logger?.error({ err: error, retryInMs }, 'the audit ledger could not build; it tries again');
      },
      onRecovered: () => this.options.logger?.info({}, 'the audit ledger is building again'),
    });
  }

  /** Batches this builder stored since it was made (the benchmark reports how many). */
  get batchesStored(): number {
    return this.batches;
  }

  private get batchSize(): number {
    return this.options.batchSize ?? 2000;
  }

  /** Drops what is held in memory of the tree and the last checkpoint: read again from the tables. */
  private forget(): void {
    this.tree = undefined;
    this.last = undefined;
    this.lastEventStored = false;
  }

  /** Whether the store gives its stored entries (PostgreSQL, PGlite); EventStoreDB does not yet. */
  get supported(): boolean {
    return this.events.readEntries !== undefined;
  }

  start(): void {
    if (this.loop.active) return;
    if (!this.supported) {
      this.unsupported = 'The audit ledger needs the event store to give its stored entries; this one does not.';
      this.options.logger?.error({}, this.unsupported);
      return;
    }
    this.loop.start();
  }

  async stop(): Promise<void> {
    await this.loop.stop();
    await this.leadership.release();
  }

  async status(): Promise<LedgerBuilderStatus> {
    const state = await this.store.state();
    const last = this.last ?? (await this.store.latestCheckpoint());
    return {
      role: !this.loop.active ? 'stopped' : this.leadership.isLeading ? 'builder' : 'follower',
      size: state.size,
      checkpointSize: last?.size ?? null,
      failure: this.unsupported ?? this.loop.failure,
      inconsistent: this.inconsistent,
    };
  }

  /** Builds until the head of the log, then signs if a checkpoint is due (tests, the CLI). */
  async catchUp(options: { sign?: 'due' | 'now' } = {}): Promise<StoredCheckpoint | null> {
    while ((await this.step()) > 0);
    return this.signIfDue(options.sign === 'now');
  }

  /** Adds the next batch of the log as leaves; the number added. One at a time: the tree in memory is this builder's only. */
  private step(): Promise<number> {
    const run = (this.stepping ?? Promise.resolve(0)).catch(() => 0).then(() => this.stepOnce());
    this.stepping = run;
    return run;
  }

  private async stepOnce(): Promise<number> {
    if (!this.tree || !this.position) {
      const state = await this.store.state();
      this.tree = TileTree.resume(state.size, await this.store.edge(state.size));
      this.position = state.position;
    }
    const entries: LogEntry[] = await this.events.readEntries!(this.position, this.batchSize);
    if (entries.length === 0) return 0;
    const from = this.tree.size;
    for (const entry of entries) this.tree.append(leafHash(Buffer.from(entry.entry, 'utf8')));
    const position = entries[entries.length - 1].position;
    const stored = await this.store.append(
      from,
      entries.map((entry) => entry.eventId),
      position,
      this.tree.drain(),
    );
    if (!stored) {
      this.tree = undefined;
      this.options.logger?.info({ at: from }, 'the audit ledger was moved by another builder: reading it again');
      return 0;
    }
    this.position = position;
    this.batches++;
    if (entries.some((entry) => entry.type !== CHECKPOINT_SIGNED)) this.pending = true;
    return entries.length;
  }

  /**
   * Signs the tree as it stands if a checkpoint is due, after checking that it contains the last
   * signed one (C2SP tlog-checkpoint: never sign a checkpoint inconsistent with an earlier one).
   */
  private async signIfDue(force: boolean): Promise<StoredCheckpoint | null> {
    if (this.last === undefined) this.last = await this.store.latestCheckpoint();
    const last = this.last;
    if (last && !this.lastEventStored) await this.recordInLog(last);
    const size = this.tree?.size ?? (await this.store.state()).size;
    if (size === 0 || (last && last.size >= size)) return null;
    const now = this.clock.now();
    const due =
      force ||
      !last ||
      // Only leaves other than checkpoints' own events make a checkpoint due, by count as by time:
      // with LEDGER_CHECKPOINT_EVERY=1 each checkpoint's event would otherwise be due again.
      (this.pending && size - last.size >= this.options.checkpointEvery) ||
      (this.pending && now.getTime() - Date.parse(last.signedAt) >= this.options.checkpointIntervalMs);
    if (!due) return null;
    const ranges: ProofRanges = [[0, size]];
    if (last && last.size > 0) ranges.push([0, last.size]);
    const nodes = nodesFromTiles(await this.store.tiles(tilesFor(nodesOf(ranges))));
    const root = rangeHash(0, size, nodes);
    if (last && last.size > 0) {
      // The size and root the last checkpoint's signed text states, not the columns beside it.
      const stated = parseCheckpointText(last.note.slice(0, last.note.lastIndexOf('\n\n') + 1), this.options.origin);
      if (!stated || stated.size !== last.size || !stated.root.equals(last.root)) {
        this.inconsistent = `the checkpoint of size ${last.size} does not state its own size and root`;
        throw new LedgerInconsistentError(`not signing: ${this.inconsistent}`);
      }
      const before = rangeHash(0, last.size, nodes);
      const ours = (this.options.accepted ?? this.options.signers).some((key) => signedBy(last.note, key.publicKey, key.name));
      if (!before.equals(last.root) || !ours) {
        this.inconsistent = !ours
          ? `the checkpoint of size ${last.size} is not signed by this ledger's keys`
          : `the stored tree does not contain the checkpoint of size ${last.size}: its root there differs`;
        throw new LedgerInconsistentError(`not signing: ${this.inconsistent}`);
      }
    }
    this.inconsistent = null;
    const checkpoint: StoredCheckpoint = {
      size,
      root,
      note: signNote(checkpointText(this.options.origin, { size, root }), this.options.signers),
      signedAt: toMoment(now),
    };
    await this.store.saveCheckpoint(checkpoint);
    this.last = (await this.store.checkpointAt(size)) ?? checkpoint;
    this.pending = false;
    this.lastEventStored = false;
    await this.recordInLog(this.last);
    if (this.options.witnesses && this.options.witnesses.witnesses.length > 0) {
      const outcomes = await this.options.witnesses.collect(this.last);
      const refused = outcomes.filter((o) => !o.cosigned);
      if (refused.length > 0) this.options.logger?.error({ size: size, refused }, 'audit ledger: witnesses did not co-sign this checkpoint');
      this.last = (await this.store.checkpointAt(size)) ?? this.last;
    }
    return this.last;
  }

  private async recordInLog(checkpoint: StoredCheckpoint): Promise<void> {
    const data: LedgerCheckpointSigned = {
      origin: this.options.origin,
      size: checkpoint.size,
      rootHash: checkpoint.root.toString('base64'),
      keyId: this.options.signers[0].keyId.toString('hex'),
    };
    await this.events.append(CHECKPOINT_STREAM, 'any', [{ eventId: checkpointEventId(this.options.origin, checkpoint.size), type: CHECKPOINT_SIGNED, data }], {
      schoolId: null,
      actor: SYSTEM_ACTOR,
      correlationId: randomUUID(),
    });
    this.lastEventStored = true;
  }
}
