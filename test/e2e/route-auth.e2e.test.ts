import { METHOD_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { request as httpRequest } from 'node:http';
import type { AddressInfo } from 'node:net';
import { v7 as uuidv7 } from 'uuid';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { PUBLIC_ROUTE } from '../../src/auth/access';

/** Routes anyone may call without a token. Any other route the router knows must refuse one without a token. */
const PUBLIC_ROUTES = [
  'POST /api/v1/auth/login',
  'GET /health',
  'HEAD /health',
  'GET /metrics',
  'HEAD /metrics',
  // API.md: `/ledger/*` needs no token (checkpoints, the key, tiles, proofs, receipts: hashes only).
  ...['checkpoint', 'checkpoints', 'key', 'proofs/inclusion', 'proofs/consistency', 'receipts/:eventId', 'tile/*'].flatMap((path) => [`GET /api/v1/ledger/${path}`, `HEAD /api/v1/ledger/${path}`]),
];
/** Swagger's own routes (registered on Fastify by SwaggerModule, no Nest handler): the docs are public. */
const DOCS_ROUTE = /^\/docs(-json|-yaml)?(\/|$)/;

interface Route {
  method: string;
  url: string;
}

/** Percent-encodes every character of a string, or only its letters, in upper or lower hex. */
const encodeEach = (text: string, which: (c: string) => boolean, lower = false) =>
  [...text].map((c) => (which(c) ? '%' + c.charCodeAt(0).toString(16).padStart(2, '0')[lower ? 'toLowerCase' : 'toUpperCase']() : c)).join('');
const isLetter = (c: string) => /[a-z]/i.test(c);

/**
 * What an attacker tries on one path: percent-encoding (one letter, every letter, every
 * character, lower and upper hex, the slashes as %2F), doubled slashes, dot segments, trailing
 * slashes, `;` parameters, case changes, a query string, an absolute-form request target.
 */
function variants(path: string): string[] {
  const [first, ...rest] = path.slice(1).split('/');
  const tail = rest.length ? '/' + rest.join('/') : '';
  return [
    path,
    `/${encodeEach(first[0], () => true, true)}${first.slice(1)}${tail}`,
    `/${encodeEach(first[0], () => true)}${first.slice(1)}${tail}`,
    encodeEach(path, isLetter),
    encodeEach(path, isLetter, true),
    encodeEach(path, (c) => c !== '/'),
    '/' + path.slice(1).split('/').join('%2F'),
    '/' + path.slice(1).split('/').join('%2f'),
    `/${first}%2F${rest.join('/')}`,
    `/${path}`,
    path.replace(/\//g, '//'),
    `${path}/`,
    `${path}//`,
    `/${first}/../${first}${tail}`,
    `/${first}/./${rest.join('/')}`,
    `/x/..${path}`,
    `/${first}/%2e%2e/${first}${tail}`,
    `/${first}/%2E/${rest.join('/')}`,
    `${path};`,
    `${path};x=1`,
    `/${first};x=1${tail}`,
    path.toUpperCase(),
    `/${first[0].toUpperCase()}${first.slice(1)}${tail}`,
    `${path}?x=1`,
    `${path}?`,
    `${path}%00`,
    `${path}%20`,
    `${path}#fragment`,
    `http://localhost${path}`,
    `http://evil.example${path}`,
  ];
}

/** A path the route matches, its parameters filled with well-formed ids (no such records exist). */
const concrete = (url: string) => url.replace(/:[A-Za-z]+/g, () => uuidv7());

describe(`no route runs without a token, whatever the path looks like (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let port: number;
  const routes: Route[] = [];
  const handlerRuns: string[] = [];

  /**
   * Wraps every controller method that needs a token (metadata copied, so Nest registers the
   * wrapper) to see whether it runs. A public handler may run: a variant of a guarded path can be
   * another spelling of a public one (`tile/%65ntries/…` is a tile, not an entry bundle).
   */
  function watchHandlers(app: NestFastifyApplication): void {
    for (const module of app.get(ModulesContainer).values()) {
      for (const { metatype } of module.controllers.values()) {
        const prototype = (metatype as { prototype: Record<string, unknown> }).prototype;
        for (const name of Object.getOwnPropertyNames(prototype)) {
          const original = prototype[name];
          if (typeof original !== 'function' || !Reflect.hasMetadata(METHOD_METADATA, original)) continue;
          if (Reflect.getMetadata(PUBLIC_ROUTE, original) || Reflect.getMetadata(PUBLIC_ROUTE, metatype as object)) continue;
          const watched = function (this: unknown, ...args: unknown[]) {
            handlerRuns.push(`${(metatype as { name: string }).name}.${name}`);
            return (original as (...a: unknown[]) => unknown).apply(this, args);
          };
          for (const key of Reflect.getOwnMetadataKeys(original)) Reflect.defineMetadata(key, Reflect.getOwnMetadata(key, original), watched);
          prototype[name] = watched;
        }
      }
    }
  }

  beforeAll(async () => {
    subject = await startTestApp({
      beforeInit: (app) => {
        watchHandlers(app);
        app.getHttpAdapter().getInstance().addHook('onRoute', (options) => {
          for (const method of [options.method].flat()) routes.push({ method, url: options.url });
        });
      },
    });
    await subject.app.listen(0, '127.0.0.1');
    port = (subject.app.getHttpServer().address() as AddressInfo).port;
  });
  afterAll(async () => subject?.close());

  /** Sends the request target exactly as given (no client-side normalisation). */
  const send = (method: string, target: string, headers: Record<string, string> = {}) =>
    new Promise<{ status: number; body: string }>((resolve, reject) => {
      const req = httpRequest({ host: '127.0.0.1', port, method, path: target, headers }, (res) => {
        let body = '';
        res.on('data', (chunk: Buffer) => (body += chunk.toString()));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
      });
      req.on('error', reject);
      req.end(headers['content-length'] ? '{}' : undefined);
    });

  it('takes the routes from the router: every API route is there, and the public ones are exactly login, health, metrics, docs and the ledger', () => {
    const api = routes.filter((r) => r.url.startsWith('/api/v1/'));
    expect(api.length).toBeGreaterThanOrEqual(40);
    expect(api).toEqual(expect.arrayContaining([{ method: 'GET', url: '/api/v1/auth/me' }, { method: 'GET', url: '/api/v1/schools/:schoolId/accounts/:accountId' }]));
    // The sweep below proves every other route needs a token; these are the only ones left open.
    expect(routes.map((r) => `${r.method} ${r.url}`)).toEqual(expect.arrayContaining(PUBLIC_ROUTES));
  });

  it('answers 401 (or 404 for what is no route) to every variant of every route sent without a token, and runs no handler', async () => {
    const guarded = routes.filter((r) => !PUBLIC_ROUTES.includes(`${r.method} ${r.url}`) && !DOCS_ROUTE.test(r.url));
    const seen: string[] = [];
    for (const route of guarded) {
      const path = concrete(route.url);
      const methods = [...new Set([route.method, 'HEAD', 'OPTIONS', route.method === 'GET' ? 'POST' : 'GET'])];
      for (const target of variants(path)) {
        for (const method of methods) {
          const answer = await send(method, target, method === 'GET' || method === 'HEAD' ? {} : { 'content-type': 'application/json', 'content-length': '2' });
          if (answer.status !== 401 && answer.status !== 404) seen.push(`${method} ${target} → ${answer.status} ${answer.body.slice(0, 120)}`);
        }
      }
    }
    expect([...new Set(handlerRuns)]).toEqual([]);
    expect(seen).toEqual([]);
  });

  it('answers exactly 401 UNAUTHENTICATED to the percent-encoded paths of the issue, and 404 to paths that match no route', async () => {
    const account = `/%61pi/v1/schools/${uuidv7()}/accounts/${uuidv7()}`;
    for (const target of ['/%61pi/v1/auth/me', account, '/api/v1/auth/me/', `/api/v1/auth/%6De`]) {
      const answer = await send('GET', target);
      expect({ target, status: answer.status }).toEqual({ target, status: 401 });
      expect(JSON.parse(answer.body)).toMatchObject({ code: 'UNAUTHENTICATED' });
    }
    for (const target of ['/%61pi/v1/nothing-here', '/API/v1/auth/me', '//api/v1/auth/me', '/api/v1/../api/v1/auth/me', '/api%2Fv1/auth/me', '/api/v1/auth/me;x']) {
      expect({ target, status: (await send('GET', target)).status }).toEqual({ target, status: 404 });
    }
    expect(handlerRuns).toEqual([]);
  });

  it('keeps the public routes public', async () => {
    expect((await send('GET', '/health')).status).toBe(200);
    expect((await send('GET', '/metrics')).status).toBe(200);
    expect((await send('GET', '/docs-json')).status).toBe(200);
    expect((await send('POST', '/api/v1/auth/login', { 'content-type': 'application/json', 'content-length': '2' })).status).toBe(400);
  });
});
