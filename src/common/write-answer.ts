import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { HttpRequest as Request } from './http';
import { v7 as uuidv7 } from 'uuid';
import { AppendResult } from '../event-store/event-store.port';
import { OperationIds } from '../event-store/operation-ids';
import { formatPosition } from '../event-store/position';

/** API.md's answer to every write: the entity, the events written, and the consistency token. */
export interface WriteAnswer {
  id: string;
  eventIds: string[];
  position: string;
  recordedAt: string;
}

/** Marks an answer rebuilt from events a first attempt stored: an enumerable symbol, so spreads keep it and JSON drops it. */
const REPLAYED = Symbol('replayed');

export function writeAnswer(id: string, result: AppendResult): WriteAnswer {
  const answer: WriteAnswer & { [REPLAYED]?: true } = {
    id,
    eventIds: result.events.map((event) => event.eventId),
    position: formatPosition(result.position),
    recordedAt: result.events[result.events.length - 1].recordedAt,
  };
  if (result.replayed) answer[REPLAYED] = true;
  return answer;
}

/** An answer to a retry whose write was stored already: the idempotency interceptor sends it with 200. */
export const isReplayedAnswer = (answer: unknown): boolean => typeof answer === 'object' && answer !== null && REPLAYED in answer;

/** The request's correlation id (X-Correlation-Id or one made up), stamped on every event it writes. */
export const CorrelationId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const request = context.switchToHttp().getRequest<Request>();
  return String(request.id ?? uuidv7());
});

/** Where the idempotency interceptor leaves a keyed write's ids on its request. */
export const OPERATION_IDS = Symbol('operationIds');

/**
 * The write's ids (see OperationIds): repeatable under an Idempotency-Key, fresh otherwise. Every
 * write route takes its new entity ids from here and hands it on to the handler's AppendMetadata.
 */
export const Ids = createParamDecorator((_: unknown, context: ExecutionContext): OperationIds => {
  const request = context.switchToHttp().getRequest<Request & { [OPERATION_IDS]?: OperationIds }>();
  return (request[OPERATION_IDS] ??= OperationIds.fresh());
});
