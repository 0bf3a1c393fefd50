import { Inject, Injectable } from '@nestjs/common';
import { notYetConsistent } from '../common/app-error';
import { StoredEvent } from '../event-store/envelope';
import { EVENT_STORE, EventStore } from '../event-store/event-store.port';
import { comparePositions, Position, START } from '../event-store/position';
import { VOIDING_EVENT_TYPES } from '../security/domain/voiding';
import { compareCursors, FeedCursor, feedEntries, FeedEntry, FeedFacts, FeedFilter, Lookback, passes, throughCursor } from './domain/feed';

/** Events read from the log per query: a page of the feed is made of as many as its limit needs. */
const READ_BATCH = 1000;

/** How long `atLeast` waits for the log to show a write, as the views' wait does (API.md). */
const AT_LEAST_WAIT_MS = 5000;

export interface FeedPage {
  readonly entries: FeedEntry[];
  /**
   * Where the next read resumes: the last entry returned, or, when the read went through to the
   * head, the last entry it looked at (one this reader's filter may have left out), so a filtered
   * reader does not read the same stretch again. Null: nothing after `after` yet.
   */
  readonly cursor: string | null;
  /** The read went through to the log's head (the limit was not reached). */
  readonly complete: boolean;
}

/** A stretch of the whole log's feed (every school), for the JetStream publisher. */
export interface FeedBatch {
  readonly entries: FeedEntry[];
  /** The position read through: every entry at or before it is in `entries`. */
  readonly through: Position;
}

/**
 * Reads the change feed from the log (src/feed/domain/feed.ts says what it is). The school's
 * events come from `query({schoolId, after, upTo})` and the voiding facts of every school from
 * `query({types, upTo})`, both up to one `head()` taken first, so they are the same prefix of the
 * log: `query` reads only below the "no reader skips an event" horizon, and the head is below it.
 * Reads through EVENT_STORE, so sealed personal fields are shown opened, as the audit's raw log does.
 */
@Injectable()
export class FeedReader {
  /** The facts of the log up to `factsRead`: read once per process, then only the new ones. */
  private readonly facts = new FeedFacts();
  private factsRead: Position = START;
  private factsReading: Promise<unknown> = Promise.resolve();

  constructor(@Inject(EVENT_STORE) private readonly store: EventStore) {}

  /** Up to `limit` entries of a school's feed after `after` that pass the filter, read up to the head now. */
  async page(schoolId: string, after: FeedCursor, limit: number, filter: FeedFilter): Promise<FeedPage> {
    const upTo = await this.store.head();
    const facts = await this.factsUpTo(upTo);
    const entries: FeedEntry[] = [];
    let looked: string | null = null;
    let from = after;
    // Through the head's own position too: `after` may stop before the changes made there.
    while (compareCursors(from, throughCursor(upTo)) < 0) {
      const events = await this.store.query({ schoolId, after: from.position, upTo, limit: READ_BATCH });
      const through = events.length === READ_BATCH ? events[events.length - 1].position : upTo;
      const earlier = await this.earlier(facts.lookback(from, through), through, schoolId);
      for (const entry of feedEntries(facts, { events, earlier, after: from, upTo: through })) {
        looked = entry.cursor;
        if (!passes(filter, entry)) continue;
        entries.push(entry);
        if (entries.length >= limit) return { entries, cursor: entry.cursor, complete: false };
      }
      from = throughCursor(through);
    }
    return { entries, cursor: looked, complete: true };
  }

  /** The whole log's entries (every school's) after `after`, one batch of events at most. */
  async range(after: Position, batchSize: number): Promise<FeedBatch | null> {
    const events = await this.store.readAll(after, { limit: batchSize });
    if (events.length === 0) return null;
    const through = events[events.length - 1].position;
    const facts = await this.factsUpTo(through);
    const from = throughCursor(after);
    const earlier = await this.earlier(facts.lookback(from, through), through, undefined);
    const ofSchools = events.filter((e) => e.schoolId !== null);
    return { entries: feedEntries(facts, { events: ofSchools, earlier, after: from, upTo: through }), through };
  }

  /** Waits (≤ 5 s) until the log shows the write at `position`, else 503 NOT_YET_CONSISTENT. */
  async reach(position: Position): Promise<void> {
    const deadline = Date.now() + AT_LEAST_WAIT_MS;
    while (comparePositions(await this.store.head(), position) < 0) {
      if (Date.now() >= deadline) throw notYetConsistent(1);
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  }

  /** Every voiding fact of the log up to `upTo` (any school: an account may be reported in another). */
  private async factsUpTo(upTo: Position): Promise<FeedFacts> {
    const reading = this.factsReading.then(async () => {
      if (comparePositions(upTo, this.factsRead) <= 0) return;
      const found = await this.store.query({ types: VOIDING_EVENT_TYPES, after: this.factsRead, upTo });
      for (const fact of found) this.facts.append(fact);
      this.factsRead = upTo;
    });
    this.factsReading = reading.catch(() => undefined);
    await reading;
    return this.facts;
  }

  /** The events a range's facts may change (of one school, or of every school), up to the range's end. */
  private async earlier(lookback: Lookback, upTo: Position, schoolId: string | undefined): Promise<StoredEvent[]> {
    const found = await Promise.all([
      ...lookback.accounts.map(({ accountId, recordedFrom }) => this.store.query({ schoolId, accountId, recordedFrom, upTo })),
      ...(lookback.eventIds.length > 0 ? [this.store.query({ schoolId, eventIds: lookback.eventIds, upTo })] : []),
    ]);
    return found.flat().filter((e) => e.schoolId !== null);
  }
}
