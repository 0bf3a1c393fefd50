import { Inject, Injectable, Optional } from '@nestjs/common';
import { ByteBoundedCache } from '../common/byte-bounded-cache';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Metrics } from '../operations/metrics';
import { AppendMetadata, StoredEvent } from './envelope';
import { ConcurrencyError } from './event-store.errors';
import { AppendResult, EVENT_STORE, EventStore } from './event-store.port';
import { StreamFreshness } from './stream-freshness';

export interface DomainEvent {
  readonly type: string;
  readonly data: unknown;
}

export interface Decider<State, Event extends DomainEvent> {
  initialState(): State;
  evolve(state: State, event: Event): State;
  /** Its streams hold people's operations, which a credential-compromise report can void (SPEC §4). */
  readonly voidable?: boolean;
  /** What a void event leaves on the state (an account it created stays, blocked); without it, void events are skipped. */
  evolveVoid?(state: State, event: Event): State;
}

/**
 * Which events of a voidable stream count now, given the accounts that wrote them. The fingerprint
 * names that answer: while it holds, a cached state stays good; when it changes (a report, a
 * reinstatement, a reissue) the stream is folded again without the void events. `fresh`: a plain
 * read, which may answer from states known fresh (no round trip) as `read` does.
 */
export interface OperationFilter {
  countsFor(accountIds: readonly string[], options?: { fresh?: boolean }): Promise<{ fingerprint: string; counts(event: StoredEvent): boolean }>;
}

interface Cached {
  version: number;
  state: unknown;
  /** StreamFreshness epoch in which the read that produced this state began. */
  epoch: number;
  /** Voidable streams: who wrote them, and the filter's fingerprint the state was folded under. */
  actors?: ReadonlySet<string>;
  fingerprint?: string;
}

/**
 * What a cached state is taken to weigh: a base, and a share per event folded into it. An
 * estimate (measuring a folded state would cost more than keeping it), but one that grows with the
 * stream: a school's structure with 50,000 events counts ~25 MB, a small account ~1 KB.
 */
const STATE_BASE_BYTES = 512;
const BYTES_PER_EVENT = 512;
const weight = (version: number) => STATE_BASE_BYTES + version * BYTES_PER_EVENT;
const MAX_ATTEMPTS = 8;

/** One writer per stream at a time in this process: conflicts are then left to other processes. */
class StreamLocks {
  private readonly tails = new Map<string, Promise<void>>();

  async run<T>(key: string, work: () => Promise<T>): Promise<T> {
    const previous = this.tails.get(key) ?? Promise.resolve();
    let release!: () => void;
    const mine = new Promise<void>((resolve) => (release = resolve));
    const tail = previous.then(() => mine);
    this.tails.set(key, tail);
    await previous;
    try {
      return await work();
    } finally {
      release();
      if (this.tails.get(key) === tail) this.tails.delete(key);
    }
  }
}

const backOff = (attempt: number) => new Promise((resolve) => setTimeout(resolve, Math.random() * 5 * 2 ** attempt));

/**
 * Load → fold → decide → append, for every handler. A stream's folded state is kept in memory
 * and caught up from the stream's tail on each load (one indexed read), so a decision always sees
 * every acknowledged write, also those made by another process. Evolve functions are pure and
 * return new states, so a cached state is never changed in place.
 */
@Injectable()
export class EventSourcedRepository {
  private readonly cache: ByteBoundedCache<Cached>;
  private readonly locks = new StreamLocks();
  private filter?: OperationFilter;
  /** One stream may be folded by several deciders (an account's state, its voiding facts): cached apart. */
  private readonly deciderIds = new WeakMap<object, number>();
  private nextDeciderId = 0;

  constructor(
    @Inject(EVENT_STORE) private readonly store: EventStore,
    @Optional() private readonly freshness?: StreamFreshness,
    @Optional() @Inject(APP_CONFIG) config?: Pick<AppConfig, 'REPOSITORY_CACHE_MB'>,
    @Optional() metrics?: Metrics,
  ) {
    this.cache = new ByteBoundedCache((config?.REPOSITORY_CACHE_MB ?? 128) * 1024 * 1024);
    metrics?.watchCacheBytes('repository', () => this.cache.bytes);
  }

  /** What the cached states are estimated to hold (≤ REPOSITORY_CACHE_MB). */
  get cachedBytes(): number {
    return this.cache.bytes;
  }

  /**
   * For reads (GET) only: the cached state when it is known to hold every write this process has
   * heard of (its own at once, other processes' within the follow's window, see StreamFreshness),
   * with no round trip; otherwise `load`. Commands never use this: they decide on `load`. A voidable
   * stream always goes through `load`: what is void may have changed without its own stream moving.
   */
  async read<State, Event extends DomainEvent>(stream: string, decider: Decider<State, Event>): Promise<{ state: State; version: number }> {
    const cached = this.cache.get(this.keyOf(stream, decider));
    if (cached && this.freshness?.isFresh(stream, cached.version, cached.epoch)) {
      if (!decider.voidable || !this.filter) return { state: cached.state as State, version: cached.version };
      // What is void may have changed without this stream moving: the writers' facts must be unchanged too.
      const { fingerprint } = await this.filter.countsFor([...(cached.actors ?? [])], { fresh: true });
      if (fingerprint === cached.fingerprint) return { state: cached.state as State, version: cached.version };
    }
    return this.load(stream, decider);
  }

  private keyOf(stream: string, decider: object): string {
    let id = this.deciderIds.get(decider);
    if (id === undefined) this.deciderIds.set(decider, (id = this.nextDeciderId++));
    return `${id} ${stream}`;
  }

  /** Decisions on voidable streams see only the operations that count (set by the security module). */
  useFilter(filter: OperationFilter): void {
    this.filter = filter;
  }

  async load<State, Event extends DomainEvent>(stream: string, decider: Decider<State, Event>): Promise<{ state: State; version: number }> {
    return this.loadIn(stream, decider, this.freshness?.epoch ?? 0);
  }

  private async loadIn<State, Event extends DomainEvent>(stream: string, decider: Decider<State, Event>, epoch: number): Promise<{ state: State; version: number }> {
    if (decider.voidable && this.filter) return this.loadCounting(stream, decider, this.filter, epoch);
    const key = this.keyOf(stream, decider);
    const before = this.cache.get(key);
    const tail = await this.store.readStream(stream, (before?.version ?? 0) + 1);
    // Another load may have moved the cache on while we read: start from whichever is newer.
    const latest = this.cache.get(key);
    let version = latest?.version ?? 0;
    let state = (latest?.state as State | undefined) ?? decider.initialState();
    for (const event of tail) {
      if (event.streamVersion !== version + 1) continue;
      state = decider.evolve(state, event as unknown as Event);
      version = event.streamVersion;
    }
    this.remember(key, version, state, epoch);
    return { state, version };
  }

  /** A voidable stream: caught up like any other, folded again from the start when what is void changed. */
  private async loadCounting<State, Event extends DomainEvent>(
    stream: string,
    decider: Decider<State, Event>,
    filter: OperationFilter,
    epoch: number,
  ): Promise<{ state: State; version: number }> {
    const key = this.keyOf(stream, decider);
    const before = this.cache.get(key);
    const tail = await this.store.readStream(stream, (before?.version ?? 0) + 1);
    const actors = new Set([...(before?.actors ?? []), ...tail.map((e) => e.actor.accountId)]);
    const { fingerprint, counts } = await filter.countsFor([...actors]);
    const fresh = !before || before.fingerprint !== fingerprint;
    const events = fresh && before ? await this.store.readStream(stream) : tail;
    let version = fresh ? 0 : before.version;
    let state = fresh ? decider.initialState() : (before.state as State);
    for (const event of events) {
      if (event.streamVersion !== version + 1) continue;
      if (counts(event)) state = decider.evolve(state, event as unknown as Event);
      else if (decider.evolveVoid) state = decider.evolveVoid(state, event as unknown as Event);
      version = event.streamVersion;
    }
    this.remember(key, version, state, epoch, actors, fingerprint);
    return { state, version };
  }

  /**
   * Decides on the current state and appends the result with its version; on a conflict (a writer
   * in another process) it loads again and decides again, bounded, with jittered back-off.
   * `decide` throwing refuses the command, writing nothing. Null: nothing needed to happen.
   */
  async handle<State, Event extends DomainEvent>(
    stream: string,
    decider: Decider<State, Event>,
    decide: (state: State) => Event[],
    meta: AppendMetadata,
  ): Promise<AppendResult | null> {
    return this.locks.run(stream, async () => (await this.stored(stream, meta)) ?? this.decideAndAppend(stream, decider, decide, meta));
  }

  /**
   * A retry of a write under an Idempotency-Key whose first attempt stored its events in `stream`
   * already: those events, as a replay. Asked before deciding again, because a decision on the new
   * state would refuse the very change it made ("a correction must change something", "already
   * exists", an open incident). Null for a write without a key (one point lookup otherwise).
   */
  async stored(stream: string, meta: AppendMetadata): Promise<AppendResult | null> {
    const ids = meta.ids;
    if (!ids?.repeatable) return null;
    const first = await this.store.findEvent(stream, ids.eventId(stream, 0));
    if (!first) return null;
    // One append's events are contiguous in its stream: take them while the ids are the write's.
    const events: StoredEvent[] = [];
    for (const event of await this.store.readStream(stream, first.streamVersion)) {
      if (event.eventId !== ids.eventId(stream, events.length)) break;
      events.push(event);
    }
    const last = events[events.length - 1];
    return { nextVersion: last.streamVersion, events, position: last.position, replayed: true };
  }

  private async decideAndAppend<State, Event extends DomainEvent>(
    stream: string,
    decider: Decider<State, Event>,
    decide: (state: State) => Event[],
    meta: AppendMetadata,
  ): Promise<AppendResult | null> {
    for (let attempt = 1; ; attempt++) {
      const epoch = this.freshness?.epoch ?? 0;
      const { state, version } = await this.loadIn(stream, decider, epoch);
      const events = decide(state);
      if (events.length === 0) return null;
      try {
        const result = await this.store.append(stream, version === 0 ? 'no-stream' : version, events, meta);
        // Evolve with what was stored: envelopes carry the actor and time some states keep.
        let next = state;
        for (const event of result.events) next = decider.evolve(next, event as unknown as Event);
        const key = this.keyOf(stream, decider);
        const cached = this.cache.get(key);
        if (!result.replayed && (cached?.version ?? 0) === version) {
          this.remember(key, result.nextVersion, next, epoch, cached?.actors && new Set([...cached.actors, meta.actor.accountId]), cached?.fingerprint);
        }
        return result;
      } catch (error) {
        if (!(error instanceof ConcurrencyError) || attempt >= MAX_ATTEMPTS) throw error;
        await backOff(attempt);
      }
    }
  }

  private remember(key: string, version: number, state: unknown, epoch: number, actors?: ReadonlySet<string>, fingerprint?: string): void {
    this.cache.set(key, { version, state, epoch, actors, fingerprint }, weight(version));
  }
}
