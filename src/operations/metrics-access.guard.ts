import { CanActivate, ExecutionContext, Inject, Injectable } from '@nestjs/common';
import { createHash, timingSafeEqual } from 'node:crypto';
import { AppError } from '../common/app-error';
import type { HttpRequest } from '../common/http';
import { listOf, rangeMatcher } from '../config/address-ranges';
import { APP_CONFIG, AppConfig } from '../config/app-config';

const digest = (text: string) => createHash('sha256').update(text).digest();

/**
 * /metrics for whom the settings allow: with METRICS_ALLOW only clients in those ranges (by
 * Fastify's `ip`, so behind a proxy TRUST_PROXY decides which address that is), with METRICS_TOKEN
 * only requests with `Authorization: Bearer <token>`; with both, both must hold. Neither: open.
 */
@Injectable()
export class MetricsAccessGuard implements CanActivate {
  private readonly inAllowedRange?: (address: string) => boolean;
  private readonly tokenDigest?: Buffer;

  constructor(@Inject(APP_CONFIG) config: AppConfig) {
    if (config.METRICS_ALLOW) this.inAllowedRange = rangeMatcher(listOf(config.METRICS_ALLOW));
    if (config.METRICS_TOKEN) this.tokenDigest = digest(config.METRICS_TOKEN);
  }

  canActivate(context: ExecutionContext): boolean {
    const request = context.switchToHttp().getRequest<HttpRequest>();
    if (this.inAllowedRange && !this.inAllowedRange(request.ip)) {
      throw new AppError(403, 'FORBIDDEN', 'The metrics are not served to this address.');
    }
    if (this.tokenDigest) {
      const given = /^Bearer (.+)$/.exec(request.headers.authorization ?? '')?.[1];
      // Digests of equal length, compared in constant time: the answer's timing says nothing of the token.
      if (!given || !timingSafeEqual(digest(given), this.tokenDigest)) {
        throw new AppError(401, 'UNAUTHENTICATED', 'The metrics need their bearer token (METRICS_TOKEN).', [], { 'WWW-Authenticate': 'Bearer' });
      }
    }
    return true;
  }
}
