import { AppError } from '../common/app-error';
import { EventStore } from '../event-store/event-store.port';
import { receiptText } from './domain/checkpoint';
import { consistencyRanges, HASH_BYTES, inclusionRanges, isSubtree, NodeSource, nodesOf, ProofRanges, rangeHash } from './domain/merkle';
import { nodesFromTiles, tileKey, tileOf, tileWidth, TILE_WIDTH } from './domain/tiles';
import { entryBundle } from './ledger-entries';
import { LedgerStore, StoredCheckpoint } from './ledger-store';

export interface InclusionProof {
  readonly eventId: string;
  readonly leafIndex: number;
  readonly treeSize: number;
  readonly leafHash: string;
  readonly rootHash: string;
  readonly proof: string[];
}

export interface ConsistencyProof {
  readonly from: number;
  readonly to: number;
  readonly fromRoot: string;
  readonly toRoot: string;
  readonly proof: string[];
}

const b64 = (hash: Buffer) => hash.toString('base64');

const notYet = (what: string) => new AppError(503, 'NOT_YET_CONSISTENT', what, [], { 'Retry-After': '2' });
const badSize = (field: string, reason: string) => new AppError(400, 'VALIDATION_FAILED', reason, [{ field, reason }]);

/**
 * Everything the ledger answers, from its tables: any instance can (the builder is only one).
 * Each proof reads the few tiles its nodes live in, in one query: O(log n) hashes.
 */
const nodeKey = (height: number, index: number) => `${height}/${index}`;
const rangeKey = (start: number, end: number) => `${start}-${end}`;
/** MTHs of ranges that are not one subtree (the right edges of paths under recent tree sizes). */
const MAX_CACHED_RANGES = 20_000;
/** ~100k nodes: ~10 MB with their keys. */
const MAX_CACHED_NODES = 100_000;
/** Full tiles of 8 KiB: 4 MiB. */
const MAX_CACHED_TILES = 512;
/** The right edge of each level (partial tiles): a few, kept at the widest read. */
const MAX_CACHED_PARTIAL_TILES = 64;
/** Event → leaf index, which never changes once given: ~20 MB at most. */
const MAX_CACHED_LEAVES = 200_000;
/** How long a proof may use the checkpoint it last read (one that covers its leaf; else it reads again). */
const CHECKPOINT_REUSE_MS = 1_000;

export class LedgerProofs {
  private readonly nodes = new Map<string, Buffer>();
  private readonly fullTiles = new Map<string, Buffer>();
  private readonly partialTiles = new Map<string, Buffer>();
  private readonly rangeHashes = new Map<string, Buffer>();
  private readonly leaves = new Map<string, number>();
  private recentCheckpoint?: { at: number; checkpoint: StoredCheckpoint };
  /** `quorum`: how many witnesses must have co-signed a checkpoint before it is served (and proofs and receipts use it). */
  constructor(
    private readonly store: LedgerStore,
    private readonly events: EventStore,
    private readonly quorum = 0,
  ) {}

  latestCheckpoint(): Promise<StoredCheckpoint | null> {
    return this.store.latestCheckpoint(this.quorum);
  }

  checkpoints(fromSize: number, limit: number): Promise<StoredCheckpoint[]> {
    return this.store.checkpoints(fromSize, limit);
  }

  async inclusion(eventId: string, treeSize?: number): Promise<InclusionProof> {
    const { index, checkpoint } = await this.leafAndCheckpoint(eventId);
    if (treeSize === undefined && !checkpoint) throw notYet('The ledger has no signed checkpoint yet. Try again in a few seconds.');
    const size = treeSize ?? checkpoint!.size;
    // A checkpoint's size is within the tree by construction: only a size asked for is checked.
    if (treeSize !== undefined) await this.withinTree(size, 'treeSize');
    if (treeSize === undefined && index >= size) throw notYet('No signed checkpoint covers this event yet. Try again in a few seconds.');
    if (index >= size) throw badSize('treeSize', `The event is leaf ${index}: a tree of ${size} leaves does not hold it yet.`);
    const ranges = inclusionRanges(index, size);
    const [leaf, root, ...proof] = await this.hashes([[index, index + 1], [0, size], ...ranges]);
    return { eventId, leafIndex: index, treeSize: size, leafHash: b64(leaf), rootHash: b64(root), proof: proof.map(b64) };
  }

  async consistency(from: number, to: number): Promise<ConsistencyProof> {
    if (from > to) throw badSize('from', `from (${from}) is larger than to (${to}).`);
    await this.withinTree(to, 'to');
    const [fromRoot, toRoot, ...proof] = await this.hashes([[0, from], [0, to], ...consistencyRanges(from, to)]);
    return { from, to, fromRoot: b64(fromRoot), toRoot: b64(toRoot), proof: proof.map(b64) };
  }

  /** A C2SP tlog-proof receipt of the event under the latest checkpoint: verifiable with no service. */
  async receipt(eventId: string): Promise<string> {
    const { index, checkpoint } = await this.leafAndCheckpoint(eventId);
    if (!checkpoint || checkpoint.size <= index) throw notYet('No signed checkpoint covers this event yet. Try again in a few seconds.');
    const [leaf, ...proof] = await this.hashes([[index, index + 1], ...inclusionRanges(index, checkpoint.size)]);
    return receiptText(index, leaf, proof, checkpoint.note);
  }

  /** The receipt of leaf `index` under a given checkpoint (an export writes thousands under one). */
  async receiptAt(index: number, checkpoint: StoredCheckpoint): Promise<string> {
    const [leaf, ...proof] = await this.hashes([[index, index + 1], ...inclusionRanges(index, checkpoint.size)]);
    return receiptText(index, leaf, proof, checkpoint.note);
  }

  /** A tile as C2SP tlog-tiles serves it: full (256 hashes), or the first `width` hashes of a partial one. */
  async tile(level: number, index: number, width?: number): Promise<Buffer | null> {
    const { size } = await this.store.state();
    const available = tileWidth(level, index, size);
    const wanted = width ?? TILE_WIDTH;
    if (available < wanted) return null;
    const hashes = (await this.store.tiles([[level, index]])).get(tileKey(level, index));
    if (!hashes || hashes.length < wanted * HASH_BYTES) return null;
    return hashes.subarray(0, wanted * HASH_BYTES);
  }

  /** An entry bundle (C2SP tlog-tiles) of the leaves [256·index, +width); null past the tree. */
  async entryBundle(index: number, width?: number): Promise<Buffer | null> {
    const { size } = await this.store.state();
    const wanted = width ?? TILE_WIDTH;
    if (tileWidth(0, index, size) < wanted || !this.events.entriesOf) return null;
    return entryBundle(this.store, this.events, index, wanted);
  }

  /** The event's leaf (404 for no such event, 503 for one not yet in the ledger) and the served checkpoint. */
  private async leafAndCheckpoint(eventId: string): Promise<{ index: number; checkpoint: StoredCheckpoint | null }> {
    // A leaf known, under a checkpoint read less than a second ago that covers it: no query at all.
    const known = this.leaves.get(eventId);
    const recent = this.recentCheckpoint;
    if (known !== undefined && recent && performance.now() - recent.at < CHECKPOINT_REUSE_MS && recent.checkpoint.size > known) return { index: known, checkpoint: recent.checkpoint };
    const { index, checkpoint } = await this.store.leafAndCheckpoint(eventId, this.quorum);
    if (checkpoint) this.recentCheckpoint = { at: performance.now(), checkpoint };
    if (index !== null) {
      remember(this.leaves, eventId, index, MAX_CACHED_LEAVES);
      return { index, checkpoint };
    }
    const [stored] = this.events.entriesOf ? await this.events.entriesOf([eventId]) : [];
    if (stored) throw notYet('The event is not in the ledger yet. Try again in a few seconds.');
    throw new AppError(404, 'NOT_FOUND', 'There is no such event.');
  }

  private async withinTree(size: number, field: string): Promise<void> {
    const built = (await this.store.state()).size;
    if (size > built) throw badSize(field, `The ledger holds ${built} leaves; there is no tree of ${size}.`);
  }

  /**
   * The MTH of each range, all from one read of the tiles they need. A complete subtree never
   * changes once its leaves are in, so the nodes hashed up inside tiles are kept (bounded): the
   * big subtrees under the root are the same for every proof, and were most of its CPU. So is the
   * MTH of any range of leaves: those made of several subtrees (the root, the right edge of a
   * path) are the same for every proof under one tree size, and are kept too.
   */
  private async hashes(ranges: ProofRanges): Promise<Buffer[]> {
    const known = ranges.map(([start, end]) => this.rangeHashes.get(rangeKey(start, end)));
    const open = ranges.filter((_, i) => known[i] === undefined);
    // The cached nodes this proof needs are taken now: another request may evict them during the read.
    const held = new Map<string, Buffer>();
    const missing: Array<[number, number]> = [];
    for (const [height, index] of nodesOf(open)) {
      const hash = this.nodes.get(nodeKey(height, index));
      if (hash) held.set(nodeKey(height, index), hash);
      else missing.push([height, index]);
    }
    const fromTiles = nodesFromTiles(missing.length > 0 ? await this.tilesOf(missing) : new Map());
    const cached: NodeSource = (height, index) => {
      const key = nodeKey(height, index);
      let hash = held.get(key);
      if (!hash) {
        hash = fromTiles(height, index);
        // Leaves and small subtrees are cheap to hash again; keeping them would only crowd the cache.
        if (height >= 3) this.remember(key, hash);
      }
      return hash;
    };
    return ranges.map(([start, end], i) => {
      const hash = known[i] ?? rangeHash(start, end, cached);
      if (known[i] === undefined && !isSubtree(start, end)) remember(this.rangeHashes, rangeKey(start, end), hash, MAX_CACHED_RANGES);
      return hash;
    });
  }

  /**
   * The tiles these nodes live in: full ones from memory when read before (a full tile never
   * changes), partial ones too when the one read before already holds the hashes wanted (a tile
   * only grows: its first hashes never change), the rest in one query. Every proof under a
   * checkpoint needs the same right edge of the tree, in the partial tiles: without them kept,
   * each proof read it again (a query a proof, p99 13 ms at 10 connections).
   */
  private async tilesOf(nodes: ReadonlyArray<[height: number, index: number]>): Promise<Map<string, Buffer>> {
    const wanted = new Map<string, { level: number; tile: number; width: number }>();
    for (const [height, index] of nodes) {
      const { level, tile, offset, count } = tileOf(height, index);
      const key = tileKey(level, tile);
      const width = Math.max(wanted.get(key)?.width ?? 0, offset + count);
      wanted.set(key, { level, tile, width });
    }
    const tiles = new Map<string, Buffer>();
    const unread: Array<[number, number]> = [];
    for (const [key, { level, tile, width }] of wanted) {
      const known = this.fullTiles.get(key) ?? this.partialTiles.get(key);
      if (known && known.length >= width * HASH_BYTES) tiles.set(key, known);
      else unread.push([level, tile]);
    }
    if (unread.length === 0) return tiles;
    for (const [key, hashes] of await this.store.tiles(unread)) {
      tiles.set(key, hashes);
      if (hashes.length === TILE_WIDTH * HASH_BYTES) {
        this.partialTiles.delete(key);
        remember(this.fullTiles, key, hashes, MAX_CACHED_TILES);
      } else if ((this.partialTiles.get(key)?.length ?? 0) < hashes.length) {
        this.partialTiles.delete(key);
        remember(this.partialTiles, key, hashes, MAX_CACHED_PARTIAL_TILES);
      }
    }
    return tiles;
  }

  /** Keeps a node, the oldest ones going first once the cache is full (a Map iterates in insertion order). */
  private remember(key: string, hash: Buffer): void {
    remember(this.nodes, key, hash, MAX_CACHED_NODES);
  }
}

/** Adds to a bounded map, dropping the oldest tenth once it is full (a Map iterates in insertion order). */
function remember<V>(map: Map<string, V>, key: string, value: V, max: number): void {
  if (map.size >= max) {
    let drop = Math.max(1, Math.floor(max / 10));
    for (const oldest of map.keys()) {
      map.delete(oldest);
      if (--drop === 0) break;
    }
  }
  map.set(key, value);
}
