import type { FastifyInstance } from 'fastify';
import type { HttpRequest } from '../common/http';
import { routeOf } from '../common/http';
import { Metrics } from './metrics';

/**
 * Times every answer by its route pattern (never the raw path: ids would explode the labels),
 * refusals and unmatched paths included. A Fastify hook, not a Nest interceptor: see write-route.ts.
 */
export function recordHttpMetrics(fastify: FastifyInstance, metrics: Metrics): void {
  fastify.addHook('onResponse', (request, reply, done) => {
    const labels = { method: request.method, route: routeOf(request as HttpRequest) ?? 'unmatched', status: String(reply.statusCode) };
    metrics.httpDuration.observe(labels, reply.elapsedTime / 1000);
    done();
  });
}
