import { createParamDecorator, ExecutionContext } from '@nestjs/common';
import type { HttpRequest as Request } from './http';
import { v7 as uuidv7 } from 'uuid';
import { AppendResult } from '../event-store/event-store.port';
import { formatPosition } from '../event-store/position';

/** API.md's answer to every write: the entity, the events written, and the consistency token. */
export interface WriteAnswer {
  id: string;
  eventIds: string[];
  position: string;
  recordedAt: string;
}

export function writeAnswer(id: string, result: AppendResult): WriteAnswer {
  return {
    id,
    eventIds: result.events.map((event) => event.eventId),
    position: formatPosition(result.position),
    recordedAt: result.events[result.events.length - 1].recordedAt,
  };
}

/** The request's correlation id (X-Correlation-Id or one made up), stamped on every event it writes. */
export const CorrelationId = createParamDecorator((_: unknown, context: ExecutionContext): string => {
  const request = context.switchToHttp().getRequest<Request>();
  return String(request.id ?? uuidv7());
});
