import { EventEmitter } from 'node:events';
import { StoredEvent } from './envelope';
import { BatchHandler, SubscribeOptions, Subscription } from './event-store.port';
import { Position } from './position';

/**
 * Catch-up subscription over `readAll`: reads batches until it is at the head, then waits for a
 * local append (`wake`) or the poll interval. Whatever `readAll` returns is final and ordered, so
 * resuming after the last event of a batch never skips one.
 */
export function pollingSubscription(
  readAll: (after: Position, limit: number) => Promise<StoredEvent[]>,
  wake: EventEmitter,
  after: Position,
  handler: BatchHandler,
  options: SubscribeOptions = {},
): Subscription {
  const batchSize = options.batchSize ?? 500;
  const pollIntervalMs = options.pollIntervalMs ?? 50;
  let stopped = false;
  let interrupt: (() => void) | undefined;

  const idle = () =>
    new Promise<void>((resolve) => {
      const timer = setTimeout(done, pollIntervalMs);
      function done() {
        clearTimeout(timer);
        wake.off('appended', done);
        interrupt = undefined;
        resolve();
      }
      wake.on('appended', done);
      interrupt = done;
    });

  const loop = async () => {
    let position = after;
    while (!stopped) {
      const events = await readAll(position, batchSize);
      if (stopped) break;
      if (events.length === 0) {
        await idle();
        continue;
      }
      position = events[events.length - 1].position;
      await handler(events, position);
    }
  };

  const done = loop();
  return {
    done,
    stop: async () => {
      stopped = true;
      interrupt?.();
      await done.catch(() => undefined);
    },
  };
}
