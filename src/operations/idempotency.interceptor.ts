import { CallHandler, ExecutionContext, Inject, Injectable, NestInterceptor } from '@nestjs/common';
import canonicalize from 'canonicalize';
import type { HttpRequest as Request } from '../common/http';
import { createHmac } from 'node:crypto';
import { catchError, from, mergeMap, Observable, throwError } from 'rxjs';
import { AppError, validationFailed } from '../common/app-error';
import { Database, DATABASE } from '../database/database';
import type { Principal } from '../auth/principal';
import { IDEMPOTENCY_KEY } from '../auth/service-keys';

/** A retry of a finished write: the error filter answers it with the first answer and 200. */
export class IdempotentReplay extends Error {
  constructor(readonly response: unknown) {
    super('idempotent replay');
  }
}

/** A first attempt that died without an answer does not block its key for ever. */
const ABANDONED_AFTER_SECONDS = 120;

/**
 * `Idempotency-Key` on a write (API.md): the same key and an equal JSON body get the first answer
 * with 200 and write nothing; another body gets 422; a retry while the first runs gets 409. A
 * refused request (4xx) gives its key back. Keys are per account.
 */
@Injectable()
export class IdempotencyInterceptor implements NestInterceptor {
  constructor(
    @Inject(DATABASE) private readonly database: Database,
    @Inject(IDEMPOTENCY_KEY) private readonly requestHashKey: Buffer,
  ) {}

  intercept(context: ExecutionContext, next: CallHandler): Observable<unknown> {
    const request = context.switchToHttp().getRequest<Request & { user?: Principal }>();
    const key = request.headers['idempotency-key'];
    // Public routes (sign-in) are not writes, and their answers hold tokens that must not be stored.
    if (request.method !== 'POST' || key === undefined || !request.user) return next.handle();
    if (typeof key !== 'string' || key.length < 1 || key.length > 200) {
      throw validationFailed([{ field: 'Idempotency-Key', reason: 'must be 1–200 characters' }]);
    }
    const accountId = request.user.accountId;
    // Keyed: a body may hold a password, and a bare digest of it could be guessed offline.
    const hash = createHmac('sha256', this.requestHashKey).update(`${request.method} ${request.url}\n${canonicalize(request.body ?? null) ?? ''}`).digest('hex');
    return from(this.claim(accountId, key, hash)).pipe(
      mergeMap(() => next.handle()),
      mergeMap((response) => from(this.finish(accountId, key, response)).pipe(mergeMap(() => [response]))),
      catchError((error: unknown) => {
        if (error instanceof IdempotentReplay || (error instanceof AppError && error.code.startsWith('IDEMPOTENCY'))) return throwError(() => error);
        return from(this.release(accountId, key)).pipe(mergeMap(() => throwError(() => error)));
      }),
    );
  }

  private async claim(accountId: string, key: string, hash: string): Promise<void> {
    const inserted = await this.database.pool.query(
      `INSERT INTO idempotency_record (account_id, key, request_hash, state) VALUES ($1, $2, $3, 'running') ON CONFLICT DO NOTHING RETURNING key`,
      [accountId, key, hash],
    );
    if (inserted.rows.length === 1) return;
    const { rows } = await this.database.pool.query<{ request_hash: string; state: string; response: unknown; age: number }>(
      `SELECT request_hash, state, response, extract(epoch FROM now() - created_at)::float8 AS age FROM idempotency_record WHERE account_id = $1 AND key = $2`,
      [accountId, key],
    );
    const record = rows[0];
    if (!record) return this.claim(accountId, key, hash);
    if (record.request_hash !== hash) {
      throw new AppError(422, 'IDEMPOTENCY_KEY_REUSED', 'This Idempotency-Key was used for another request. Use a new key for a new request.');
    }
    if (record.state === 'done') throw new IdempotentReplay(record.response);
    if (record.age < ABANDONED_AFTER_SECONDS) {
      throw new AppError(409, 'IDEMPOTENCY_IN_PROGRESS', 'The first request with this Idempotency-Key is still running. Try again shortly.');
    }
    await this.database.pool.query(`UPDATE idempotency_record SET created_at = now() WHERE account_id = $1 AND key = $2`, [accountId, key]);
  }

  private async finish(accountId: string, key: string, response: unknown): Promise<void> {
    await this.database.pool.query(`UPDATE idempotency_record SET state = 'done', response = $3 WHERE account_id = $1 AND key = $2`, [
      accountId,
      key,
      JSON.stringify(response ?? null),
    ]);
  }

  private async release(accountId: string, key: string): Promise<void> {
    await this.database.pool.query(`DELETE FROM idempotency_record WHERE account_id = $1 AND key = $2 AND state = 'running'`, [accountId, key]);
  }
}
