import { applyDecorators, UseInterceptors } from '@nestjs/common';
import { DomainDenialRecorder } from '../auth/access';
import { IdempotencyInterceptor } from './idempotency.interceptor';

/**
 * Marks a write route: `Idempotency-Key` is honoured (outermost, so a replay runs nothing else)
 * and refusals decided inside a domain are recorded as denials. Only writes carry interceptors:
 * Nest binds an AsyncResource per interceptor per request, which was 13% of a diary read's CPU
 * with four global ones (docs/architecture.md, "Reads under load"). A test checks every write has it.
 */
export const WriteRoute = () => applyDecorators(UseInterceptors(IdempotencyInterceptor, DomainDenialRecorder));
