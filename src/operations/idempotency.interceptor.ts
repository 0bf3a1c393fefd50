import { CallHandler, ExecutionContext, Inject, Injectable, Logger, NestInterceptor } from '@nestjs/common';
import canonicalize from 'canonicalize';
import type { HttpRequest as Request } from '../common/http';
import { createHmac } from 'node:crypto';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { AppError, validationFailed } from '../common/app-error';
import { CLOCK, Clock } from '../common/clock';
import { isReplayedAnswer, OPERATION_IDS } from '../common/write-answer';
import { APP_CONFIG, AppConfig } from '../config/app-config';
import { Database, DATABASE } from '../database/database';
import { OperationIds } from '../event-store/operation-ids';
import type { Principal } from '../auth/principal';
import { IDEMPOTENCY_KEY } from '../auth/service-keys';

/** A retry of a finished write: the error filter answers it with the first answer and 200. */
export class IdempotentReplay extends Error {
  constructor(readonly response: unknown) {
    super('idempotent replay');
  }
}

const inProgress = () => new AppError(409, 'IDEMPOTENCY_IN_PROGRESS', 'The first request with this Idempotency-Key is still running. Try again shortly.');

/**
 * `Idempotency-Key` on a write (API.md): the same key and an equal JSON body get the first answer
 * with 200 and write nothing; another body gets 422; a retry while the first runs gets 409. A
 * refused request (4xx) gives its key back. Keys are per account.
 *
 * The row here is bookkeeping, not the guarantee: it cannot commit with the events (EventStoreDB
 * shares no transaction with this database). The guarantee is the write's ids (OperationIds),
 * derived from the account, the request and the key, so that whatever became of the first attempt
 * (a crash after its append, a failure to record its answer, a takeover racing it) a retry's
 * append is the store's replay, and a handler finding its events stored answers from them. The
 * answer is then a replay too (200), and is recorded here.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  private readonly logger = new Logger('idempotency');
  private readonly takeoverAfterMs: number;

  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(IDEMPOTENCY_KEY) private readonly requestHashKey: Buffer,
    @Inject(CLOCK) private readonly clock: Clock,
    @Inject(APP_CONFIG) config: AppConfig,
  ) {
    this.takeoverAfterMs = config.IDEMPOTENCY_TAKEOVER_SECONDS * 1000;
  }

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & { user?: Principal; [OPERATION_IDS]?: OperationIds }>();
    const key = request.headers['idempotency-key'];
    // Public routes (sign-in) are not writes, and their answers hold tokens that must not be stored.
    if (request.method !== 'POST' || key === undefined || !request.user) return next.handle();
    if (typeof key !== 'string' || key.length < 1 || key.length > 200) {
      throw validationFailed([{ field: 'Idempotency-Key', reason: 'must be 1–200 characters' }]);
    }
    const accountId = request.user.accountId;
    // Keyed: a body may hold a password, and a bare digest of it could be guessed offline.
    const hash = createHmac('sha256', this.requestHashKey).update(`${request.method} ${request.url}\n${canonicalize(request.body ?? null) ?? ''}`).digest('hex');
    request[OPERATION_IDS] = OperationIds.keyed(accountId, hash, key);
    let claimedAt = '';
    return from(this.claim(accountId, key, hash)).pipe(
      mergeMap((claimed) => {
        claimedAt = claimed;
        return next.handle();
      }),
      mergeMap((response) => from(this.answered(accountId, key, claimedAt, response))),
      catchError((error: unknown) => {
        if (error instanceof IdempotentReplay || (error instanceof AppError && error.code.startsWith('IDEMPOTENCY'))) return throwError(() => error);
        if (!claimedAt) return throwError(() => error);
        const release = this.release(accountId, key, claimedAt).catch((releaseError: unknown) => this.logger.error({ err: releaseError }, 'could not give an Idempotency-Key back'));
        return from(release).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }

  /** Claims the key; returns the claim's moment (as the database spells it), which only this attempt holds. */
  private async claim(accountId: string, key: string, hash: string): Promise<string> {
    const now = this.clock.now();
    const inserted = await this.database.pool.query<{ claimed_at: string }>(
      `INSERT INTO idempotency_record (account_id, key, request_hash, state, created_at) VALUES ($1, $2, $3, 'running', $4)
       ON CONFLICT DO NOTHING RETURNING created_at::text AS claimed_at`,
      [accountId, key, hash, now.toISOString()],
    );
    if (inserted.rows.length === 1) return inserted.rows[0].claimed_at;
    const { rows } = await this.database.pool.query<{ request_hash: string; state: string; response: unknown; claimed_at: string; claimed_ms: number }>(
      `SELECT request_hash, state, response, created_at::text AS claimed_at, extract(epoch FROM created_at)::float8 * 1000 AS claimed_ms
         FROM idempotency_record WHERE account_id = $1 AND key = $2`,
      [accountId, key],
    );
    const record = rows[0];
    if (!record) return this.claim(accountId, key, hash);
    if (record.request_hash !== hash) {
      throw new AppError(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for another request. Use a new key for a new request.');
    }
    if (record.state === 'done') throw new IdempotentReplay(record.response);
    if (now.getTime() - record.claimed_ms < this.takeoverAfterMs) throw inProgress();
    // A first attempt silent for that long is taken over, by one retry only: the claim moves on
    // only from the very moment this one read, so of two racing takers the second finds it moved.
    const taken = await this.database.pool.query<{ claimed_at: string }>(
      `UPDATE idempotency_record SET created_at = $3 WHERE account_id = $1 AND key = $2 AND state = 'running' AND created_at = $4::timestamptz
       RETURNING created_at::text AS claimed_at`,
      [accountId, key, now.toISOString(), record.claimed_at],
    );
    if (taken.rows.length === 0) throw inProgress();
    return taken.rows[0].claimed_at;
  }

  /**
   * Records the answer, then sends it: with 200 if the handler found the write stored already. The
   * write is done whatever happens here, so a failure to record it does not turn the answer into a
   * 500: the key is given back instead, and a retry rebuilds the same answer from the log.
   */
  private async answered(accountId: string, key: string, claimedAt: string, response: unknown): Promise<unknown> {
    try {
      await this.finish(accountId, key, response);
    } catch (error) {
      this.logger.error({ err: error }, 'could not record the answer of a write under an Idempotency-Key; a retry replays it from the log');
      await this.release(accountId, key, claimedAt).catch((releaseError: unknown) => this.logger.error({ err: releaseError }, 'could not give the key back either; a retry takes it over later'));
    }
    if (isReplayedAnswer(response)) throw new IdempotentReplay(response);
    return response;
  }

  private async finish(accountId: string, key: string, response: unknown): Promise<void> {
    await this.database.pool.query(`UPDATE idempotency_record SET state = 'done', response = $3 WHERE account_id = $1 AND key = $2`, [
      accountId,
      key,
      JSON.stringify(response ?? null),
    ]);
  }

  /** Gives the key back, unless a retry has taken it over meanwhile (the claim moved on). */
  private async release(accountId: string, key: string, claimedAt: string): Promise<void> {
    await this.database.pool.query(`DELETE FROM idempotency_record WHERE account_id = $1 AND key = $2 AND state = 'running' AND created_at = $3::timestamptz`, [
      accountId,
      key,
      claimedAt,
    ]);
  }
}
