import { Clock, systemClock, toMoment } from '../common/clock';
import { EventStore } from '../event-store/event-store.port';
import { START } from '../event-store/position';
import { parseCheckpointText } from './domain/checkpoint';
import { HASH_BYTES, leafHash, nodeHash, nodesOf, rangeHash } from './domain/merkle';
import { LogKey, signedBy } from './domain/note';
import { nodesFromTiles, tileKey, tilesFor, tileRoot, TILE_WIDTH } from './domain/tiles';
import { AuditOutcome, LedgerStore, StoredCheckpoint } from './ledger-store';

export interface LedgerAuditOptions {
  readonly origin: string;
  /** The log's keys (current, previous, retired): every checkpoint must carry a signature by one. */
  readonly accepted: readonly LogKey[];
  readonly clock?: Clock;
  readonly pageSize?: number;
  readonly onProgress?: (checked: number, total: number) => void;
}

/**
 * The tree kept by RFC 6962 as a stack of perfect subtrees (a compact range): a leaf is pushed and
 * equal heights merged, so the root of every prefix is at hand without keeping the leaves.
 */
class CompactRange {
  private readonly stack: Array<{ height: number; hash: Buffer }> = [];

  push(hash: Buffer): void {
    let node = { height: 0, hash };
    while (this.stack.length > 0 && this.stack[this.stack.length - 1].height === node.height) {
      const left = this.stack.pop()!;
      node = { height: node.height + 1, hash: nodeHash(left.hash, node.hash) };
    }
    this.stack.push(node);
  }

  root(): Buffer {
    let root = this.stack[this.stack.length - 1].hash;
    for (let i = this.stack.length - 2; i >= 0; i--) root = nodeHash(this.stack[i].hash, root);
    return root;
  }
}

/**
 * Checks the ledger against the log it was made of, as an attacker with write access to the
 * database would have to defeat it: every stored event is hashed again and compared with its leaf
 * (a byte flipped, an event deleted, two reordered, the tail cut off: the first leaf that differs),
 * the roots of the log's own hashes are compared with every signed checkpoint, each checkpoint's
 * signature is checked with the log's key, and the stored tiles must give the latest signed root.
 */
export class LedgerAudit {
  private readonly clock: Clock;

  constructor(
    private readonly events: EventStore,
    private readonly store: LedgerStore,
    private readonly options: LedgerAuditOptions,
  ) {
    this.clock = options.clock ?? systemClock;
  }

  /** Checks the whole ledger and records the outcome; `onProgress` hears of each page (leaves checked, of how many). */
  async run(onProgress = this.options.onProgress): Promise<AuditOutcome> {
    let outcome: AuditOutcome;
    try {
      outcome = await this.check(onProgress);
    } catch (error) {
      // A node the tiles no longer hold is a broken ledger, not a failed check; anything else
      // (the database gone) leaves the last outcome standing and is the caller's to report.
      if (!(error instanceof Error) || !error.message.startsWith('the ledger has no node')) throw error;
      const { size } = await this.store.state();
      outcome = { checkedAt: toMoment(this.clock.now()), checkedSize: size, brokenAt: null, reason: `the stored tiles are missing hashes: ${error.message}` };
    }
    await this.store.saveAudit(outcome);
    return outcome;
  }

  private async check(onProgress: LedgerAuditOptions['onProgress']): Promise<AuditOutcome> {
    const { size } = await this.store.state();
    const checkedAt = toMoment(this.clock.now());
    const broken = (brokenAt: number | null, reason: string): AuditOutcome => ({ checkedAt, checkedSize: size, brokenAt, reason });
    const checkpoints = await this.store.allCheckpoints();
    const beyond = checkpoints.find((c) => c.size > size);
    if (beyond) return broken(size, `a checkpoint of size ${beyond.size} was signed but the ledger holds ${size} leaves: leaves were cut from the ledger`);
    const recorded = await this.store.recordedLeaves();
    if (recorded !== size) return broken(Math.max(0, Math.min(recorded, size)), `the ledger records ${recorded} leaves' events for ${size} leaves: its index of events was changed`);
    for (const checkpoint of checkpoints) {
      const problem = this.checkpointProblem(checkpoint);
      if (problem) return broken(null, problem);
    }
    const range = new CompactRange();
    let next = 0; // the next checkpoint to meet
    let lastGood = 0;
    let position = START;
    let index = 0;
    while (index < size) {
      const entries = await this.events.readEntries!(position, this.options.pageSize ?? 2000);
      if (entries.length === 0) return broken(index, `the log holds ${index} events and the ledger ${size} leaves: events from leaf ${index} on were removed`);
      const page = entries.slice(0, size - index);
      const first = Math.floor(index / TILE_WIDTH);
      const last = Math.floor((index + page.length - 1) / TILE_WIDTH);
      const tiles = await this.store.tiles(Array.from({ length: last - first + 1 }, (_, i) => [0, first + i] as [number, number]));
      // Which event each leaf is for: what proofs by event id are looked up by.
      const leafEvents = await this.store.leafEvents(index, index + page.length);
      for (const [offsetInPage, entry] of page.entries()) {
        if (leafEvents[offsetInPage] !== entry.eventId) {
          return broken(index, `leaf ${index} is recorded as event ${leafEvents[offsetInPage] ?? '(none)'}, but the log's event ${index} is ${entry.eventId}: the ledger's index of events was changed`);
        }
        const hash = leafHash(Buffer.from(entry.entry, 'utf8'));
        const tile = tiles.get(tileKey(0, Math.floor(index / TILE_WIDTH)));
        const offset = (index % TILE_WIDTH) * HASH_BYTES;
        if (!tile || tile.length < offset + HASH_BYTES || !hash.equals(tile.subarray(offset, offset + HASH_BYTES))) {
          return broken(index, `leaf ${index} is not the hash of the log's event ${index} (${entry.eventId}): an event was changed, removed or moved`);
        }
        range.push(hash);
        index++;
        while (next < checkpoints.length && checkpoints[next].size === index) {
          if (!range.root().equals(checkpoints[next].root)) {
            return broken(lastGood, `the log's events give another root than the checkpoint of size ${index}: something among leaves ${lastGood}..${index - 1} was changed`);
          }
          lastGood = index;
          next++;
        }
      }
      position = page[page.length - 1].position;
      onProgress?.(index, size);
    }
    const upper = await this.upperTilesProblem(size);
    if (upper) return broken(null, upper);
    const latest = checkpoints[checkpoints.length - 1];
    if (latest) {
      const nodes = nodesFromTiles(await this.store.tiles(tilesFor(nodesOf([[0, latest.size]]))));
      if (!rangeHash(0, latest.size, nodes).equals(latest.root)) return broken(null, `the stored tiles do not give the root of the checkpoint of size ${latest.size}: proofs from them would not verify`);
    }
    return { checkedAt, checkedSize: size, brokenAt: null, reason: null };
  }

  /**
   * Every hash of a tile above level 0 must be the root of the full tile below it: proofs are made
   * of these, and the roots of checkpoints read only a few of them.
   */
  private async upperTilesProblem(size: number): Promise<string | null> {
    for (let level = 1; TILE_WIDTH ** level <= size; level++) {
      const hashes = Math.floor(size / TILE_WIDTH ** level);
      for (let tile = 0; tile * TILE_WIDTH < hashes; tile++) {
        const count = Math.min(TILE_WIDTH, hashes - tile * TILE_WIDTH);
        const below = await this.store.tiles(Array.from({ length: count }, (_, i) => [level - 1, tile * TILE_WIDTH + i] as [number, number]));
        const above = (await this.store.tiles([[level, tile]])).get(tileKey(level, tile));
        for (let i = 0; i < count; i++) {
          const full = below.get(tileKey(level - 1, tile * TILE_WIDTH + i));
          const stated = above?.subarray(i * HASH_BYTES, (i + 1) * HASH_BYTES);
          if (!full || full.length !== TILE_WIDTH * HASH_BYTES || !stated || stated.length !== HASH_BYTES || !tileRoot(full).equals(stated)) {
            return `tile ${level}/${tile} hash ${i} is not the root of tile ${level - 1}/${tile * TILE_WIDTH + i}: proofs through it would not verify`;
          }
        }
      }
    }
    return null;
  }

  /** Why a stored checkpoint cannot be trusted, or null: its note must state its own size and root, signed by the log's key. */
  private checkpointProblem(checkpoint: StoredCheckpoint): string | null {
    if (!this.options.accepted.some((key) => key.name === this.options.origin && signedBy(checkpoint.note, key.publicKey, key.name)))
      return `the checkpoint of size ${checkpoint.size} is not signed by the ledger's keys`;
    const head = parseCheckpointText(checkpoint.note.slice(0, checkpoint.note.lastIndexOf('\n\n') + 1), this.options.origin);
    if (!head || head.size !== checkpoint.size || !head.root.equals(checkpoint.root)) return `the checkpoint of size ${checkpoint.size} does not state its own size and root`;
    return null;
  }
}
