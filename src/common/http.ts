import type { FastifyReply, FastifyRequest, RouteGenericInterface } from 'fastify';

/** What a route sees of a request: Fastify's, with its parts typed as the service reads them. */
interface RouteParts extends RouteGenericInterface {
  Params: Record<string, string | undefined>;
  Querystring: Record<string, string | string[] | undefined>;
  Body: Record<string, unknown> | undefined;
}

export type HttpRequest = FastifyRequest<RouteParts>;
export type HttpReply = FastifyReply;

/** The request's path without its query string. */
export const pathOf = (request: HttpRequest): string => {
  const query = request.url.indexOf('?');
  return query === -1 ? request.url : request.url.slice(0, query);
};

/** The route's pattern (`/api/v1/schools/:schoolId/…`), never the raw path: ids would explode metric labels. */
export const routeOf = (request: HttpRequest): string | undefined => request.routeOptions?.url;
