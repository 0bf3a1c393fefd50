import { Inject, Injectable, Logger } from '@nestjs/common';
import { setTimeout as sleep } from 'node:timers/promises';
import { Database, DATABASE } from '../database/database';
import { inTransaction, SqlClient } from '../database/sql-pool';

/**
 * Wrong passwords are limited (API.md): 5 per login and 50 per client address in any minute
 * (a sliding window). While a key is over its limit every attempt is refused, the right password too.
 */
export const LOGIN_LIMITS = { perLogin: 5, perAddress: 50, windowMs: 60_000 };

/** An admitted attempt not resolved by then (its process died mid-verification) stops holding a slot. */
const PENDING_TTL_MS = 30_000;
/** How often, and how long, an attempt waits for the ones in flight before it is refused anyway. */
const WAIT_STEP_MS = 20;
const WAIT_AT_MOST_MS = 5_000;
/** Stale rows are swept at most this often per process. */
const SWEEP_EVERY_MS = 60_000;

/** Thrown inside the admission transaction to roll back the login's slot when the address has none. */
class AddressFull extends Error {}

type Buckets = { login: string; address: string };

/** What `admit` gives: a ticket to resolve once the password is checked, or the seconds to wait. */
export type Admission = { admitted: true; ticket: AttemptTicket } | { admitted: false; retryAfterSeconds: number };
export interface AttemptTicket {
  readonly buckets: Buckets;
  readonly at: number;
}

/**
 * Counts an attempt atomically with its check, in PostgreSQL (or PGlite, same SQL), so the limit
 * holds for attempts sent at once and across instances on one database. Before its password is
 * verified an attempt takes a slot in its login's and its address's windows: an upsert that adds
 * it as pending only while wrong passwords plus attempts in flight leave room (concurrent upserts
 * of one row run one at a time, each seeing the last). Once checked, a wrong password stays as a
 * failure; any other outcome (right password, blocked account) frees the slot. An attempt that
 * finds the window full of attempts still in flight waits for them rather than being refused: so
 * of 20 wrong passwords sent at once exactly 5 are verified, and 8 right ones sent at once all pass.
 */
@Injectable()
export class LoginThrottle {
  private readonly logger = new Logger('login-throttle');
  private lastSweep = 0;

  constructor(@Inject(DATABASE) private readonly database: Database) {}

  /** Takes a slot for an attempt; `now` is read again while it waits. */
  async admit(login: string, address: string, now: () => number): Promise<Admission> {
    const buckets: Buckets = { login: `login:${login}`, address: `address:${address}` };
    const giveUpAt = Date.now() + WAIT_AT_MOST_MS;
    for (;;) {
      const at = now();
      this.sweep(at);
      if (await this.takeSlots(buckets, at)) return { admitted: true, ticket: { buckets, at } };
      const retryAfterSeconds = await this.retryAfter(buckets, at);
      if (retryAfterSeconds > 0) return { admitted: false, retryAfterSeconds };
      // Full only of attempts in flight: they end in well under a second.
      if (Date.now() >= giveUpAt) return { admitted: false, retryAfterSeconds: 1 };
      await sleep(WAIT_STEP_MS);
    }
  }

  /** The password was wrong: the attempt counts for the window. */
  async failed(ticket: AttemptTicket): Promise<void> {
    await this.resolve(ticket, true);
  }

  /** The attempt does not count (a right password, a blocked account): its slot is free again. */
  async giveBack(ticket: AttemptTicket): Promise<void> {
    await this.resolve(ticket, false);
  }

  private async takeSlots(buckets: Buckets, at: number): Promise<boolean> {
    try {
      return await inTransaction(this.database.pool, async (tx) => {
        // Always the login's row first, then the address's: two admissions never wait on each other in a cycle.
        if (!(await takeSlot(tx, buckets.login, LOGIN_LIMITS.perLogin, at))) return false;
        if (!(await takeSlot(tx, buckets.address, LOGIN_LIMITS.perAddress, at))) throw new AddressFull();
        return true;
      });
    } catch (error) {
      if (error instanceof AddressFull) return false;
      throw error;
    }
  }

  /** Never fails the login: a slot left pending is freed after PENDING_TTL_MS. */
  private async resolve({ buckets, at }: AttemptTicket, wrong: boolean): Promise<void> {
    try {
      await this.database.pool.query(
        `UPDATE login_failure
            SET pending = CASE WHEN array_position(pending, $3::bigint) IS NULL THEN pending
                               ELSE pending[1:array_position(pending, $3::bigint) - 1] || pending[array_position(pending, $3::bigint) + 1:] END,
                failures = CASE WHEN $4 THEN failures || $3::bigint ELSE failures END
          WHERE bucket IN ($1, $2)`,
        [buckets.login, buckets.address, at, wrong],
      );
    } catch (error) {
      this.logger.error({ err: error, wrong }, 'could not record the outcome of a login attempt');
    }
  }

  /** Seconds until the windows full of wrong passwords have room (when the one that filled it leaves); 0 if none is. */
  private async retryAfter(buckets: Buckets, now: number): Promise<number> {
    const { rows } = await this.database.pool.query<{ bucket: string; failures: (string | number)[] }>(
      `SELECT bucket, failures FROM login_failure WHERE bucket IN ($1, $2)`,
      [buckets.login, buckets.address],
    );
    const waits = rows.map(({ bucket, failures }) => {
      const limit = bucket === buckets.login ? LOGIN_LIMITS.perLogin : LOGIN_LIMITS.perAddress;
      const recent = failures.map(Number).filter((at) => at > now - LOGIN_LIMITS.windowMs).sort((a, b) => a - b);
      return recent.length < limit ? 0 : Math.max(1, Math.ceil((recent[recent.length - limit] + LOGIN_LIMITS.windowMs - now) / 1000));
    });
    return Math.max(0, ...waits);
  }

  /** Rows whose last attempt left the window hold nothing; dropped in the background now and then. */
  private sweep(now: number): void {
    if (now - this.lastSweep < SWEEP_EVERY_MS) return;
    this.lastSweep = now;
    this.database.pool
      .query(`DELETE FROM login_failure WHERE last_at <= $1`, [now - Math.max(LOGIN_LIMITS.windowMs, PENDING_TTL_MS)])
      .catch((error: unknown) => this.logger.warn({ err: error }, 'could not sweep old login attempts'));
  }
}

/**
 * Adds the attempt to the bucket as pending if wrong passwords and attempts in flight leave room,
 * in one upsert: ON CONFLICT DO UPDATE locks the row and evaluates its WHERE on the newest
 * committed version, so of concurrent attempts exactly as many get in as there is room for.
 * What has left the window is dropped on the way.
 */
async function takeSlot(tx: SqlClient, bucket: string, limit: number, at: number): Promise<boolean> {
  const { rows } = await tx.query(
    `INSERT INTO login_failure AS f (bucket, failures, pending, last_at) VALUES ($1, '{}', ARRAY[$2::bigint], $2)
     ON CONFLICT (bucket) DO UPDATE
        SET failures = ARRAY(SELECT a FROM unnest(f.failures) AS a WHERE a > $2::bigint - $4::bigint ORDER BY a),
            pending = ARRAY(SELECT a FROM unnest(f.pending) AS a WHERE a > $2::bigint - $5::bigint) || $2::bigint,
            last_at = greatest(f.last_at, $2::bigint)
      WHERE (SELECT count(*) FROM unnest(f.failures) AS a WHERE a > $2::bigint - $4::bigint)
          + (SELECT count(*) FROM unnest(f.pending) AS a WHERE a > $2::bigint - $5::bigint) < $3
     RETURNING 1`,
    [bucket, at, limit, LOGIN_LIMITS.windowMs, PENDING_TTL_MS],
  );
  return rows.length === 1;
}
