import { RequestMethod } from '@nestjs/common';
import { INTERCEPTORS_METADATA, METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { ModulesContainer } from '@nestjs/core';
import request from 'supertest';
import { DomainDenialRecorder } from '../../src/auth/access';
import { IdempotencyInterceptor } from '../../src/operations/idempotency.interceptor';
import { v7 as uuidv7 } from 'uuid';
import { SYSTEM_ACTOR } from '../../src/event-store/envelope';
import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { EventSourcedRepository } from '../../src/event-store/event-sourced-repository';
import { startTestApp, TestApp } from '../support/app';
import { ADMIN_PASSWORD, buildSchool } from '../support/school-fixture';
import { TEST_DATABASE_KIND } from '../support/database';

describe(`operations endpoints and HTTP conventions (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let store: EventStore;

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD } });
    store = subject.app.get(EVENT_STORE);
  });
  afterAll(async () => subject?.close());

  const appendOne = () =>
    // A type the service declares (src/event-schemas.ts): it refuses to write any other.
    store.append(`ops-${uuidv7()}`, 'no-stream', [{ type: 'EntityIndexed', data: {} }], {
      schoolId: null,
      actor: SYSTEM_ACTOR,
      correlationId: uuidv7(),
    });

  it('GET /health answers 200 with the store and the views up', async () => {
    const response = await request(subject.server).get('/health').expect(200);
    expect(response.body.status).toBe('ok');
    expect(response.body.info.store).toEqual({ status: 'up', kind: TEST_DATABASE_KIND });
    expect(response.body.info.views.status).toBe('up');
  });

  it('serves the OpenAPI document at /docs-json and Swagger UI at /docs', async () => {
    const json = await request(subject.server).get('/docs-json').expect(200);
    expect(json.body.openapi).toMatch(/^3\./);
    expect(Object.keys(json.body.paths)).toContain('/health');
    const ui = await request(subject.server).get('/docs').expect(200);
    expect(ui.text).toContain('swagger');
  });

  it('GET /metrics exposes appends, append latency, projection lag and HTTP latency', async () => {
    await appendOne();
    await request(subject.server).get('/health').expect(200);
    const response = await request(subject.server).get('/metrics').expect(200);
    expect(response.headers['content-type']).toContain('text/plain');
    expect(response.text).toMatch(new RegExp(`zhurnal_events_appended_total\\{store="${TEST_DATABASE_KIND}"\\} [1-9]`));
    expect(response.text).toContain('zhurnal_append_duration_seconds_bucket');
    expect(response.text).toMatch(/zhurnal_projection_lag_seconds \d/);
    expect(response.text).toContain('zhurnal_http_request_duration_seconds_bucket{le="0.001",method="GET",route="/health",status="200"}');
  });

  it('GET /metrics says what the repository cache holds, in bytes, as the cache counts them', async () => {
    const cacheBytes = (text: string) => Number(/^zhurnal_cache_bytes\{cache="repository"\} (\S+)$/m.exec(text)?.[1] ?? NaN);
    await buildSchool(subject.server, 'metrics');
    const repository = subject.app.get(EventSourcedRepository);
    const response = await request(subject.server).get('/metrics').expect(200);
    expect(cacheBytes(response.text)).toBeGreaterThan(0);
    expect(cacheBytes(response.text)).toBe(repository.cachedBytes);
  });

  it('puts the write interceptors (Idempotency-Key, domain denials) on every write but sign-in, and none on reads', () => {
    const routes = [...subject.app.get(ModulesContainer).values()].flatMap((module) =>
      [...module.controllers.values()].flatMap(({ metatype }) => {
        const prototype = (metatype as { prototype: Record<string, unknown> }).prototype;
        return Object.getOwnPropertyNames(prototype)
          .map((name) => prototype[name])
          .filter((handler): handler is object => typeof handler === 'function' && Reflect.hasMetadata(METHOD_METADATA, handler))
          .map((handler) => ({
            route: `${RequestMethod[Reflect.getMetadata(METHOD_METADATA, handler) as number]} ${Reflect.getMetadata(PATH_METADATA, handler) as string}`,
            interceptors: (Reflect.getMetadata(INTERCEPTORS_METADATA, handler) as unknown[] | undefined) ?? [],
          }));
      }),
    );
    const writes = routes.filter(({ route }) => !route.startsWith('GET ') && route !== 'POST auth/login');
    expect(writes.length).toBeGreaterThanOrEqual(27);
    for (const write of writes) expect({ route: write.route, interceptors: write.interceptors }).toEqual({ route: write.route, interceptors: [IdempotencyInterceptor, DomainDenialRecorder] });
    for (const read of routes.filter(({ route }) => route.startsWith('GET '))) expect({ route: read.route, interceptors: read.interceptors }).toEqual({ route: read.route, interceptors: [] });
  });

  it('checks the token before it looks at atLeast: no token is 401 however malformed atLeast is', async () => {
    const response = await request(subject.server).get('/api/v1/auth/me?atLeast=nonsense').expect(401);
    expect(response.body.code).toBe('UNAUTHENTICATED');
  });

  it('answers an unknown route with 404 in the error shape', async () => {
    const response = await request(subject.server).get('/api/v1/nothing-here').expect(404);
    expect(response.body).toEqual({ statusCode: 404, code: 'NOT_FOUND', message: 'There is no such resource.', details: [] });
  });

  it('refuses a body that is not JSON with 415, and takes an empty JSON body as no fields', async () => {
    for (const [type, body] of [['text/plain', 'hello'], ['application/xml', '<a/>'], ['application/x-www-form-urlencoded', 'login=a&password=b']]) {
      const refused = await request(subject.server).post('/api/v1/auth/login').set('Content-Type', type).send(body).expect(415);
      expect(refused.body).toMatchObject({ code: 'UNSUPPORTED_MEDIA_TYPE' });
    }
    const empty = await request(subject.server).post('/api/v1/auth/login').set('Content-Type', 'application/json').send('').expect(400);
    expect(empty.body.details).toEqual(expect.arrayContaining([expect.objectContaining({ field: 'login' }), expect.objectContaining({ field: 'password' })]));
    const scalar = await request(subject.server).post('/api/v1/auth/login').set('Content-Type', 'application/json').send('"a string"').expect(400);
    expect(scalar.body.details).toEqual([{ field: 'body', reason: 'must be valid JSON' }]);
  });

  it('refuses malformed JSON with 400 naming the body, and a body over 256 KiB with 413', async () => {
    const malformed = await request(subject.server).post('/api/v1/anything').set('Content-Type', 'application/json').send('{"a":').expect(400);
    expect(malformed.body).toMatchObject({ code: 'VALIDATION_FAILED', details: [{ field: 'body', reason: 'must be valid JSON' }] });
    const huge = JSON.stringify({ topic: 'x'.repeat(300 * 1024) });
    const tooLarge = await request(subject.server).post('/api/v1/anything').set('Content-Type', 'application/json').send(huge).expect(413);
    expect(tooLarge.body.code).toBe('PAYLOAD_TOO_LARGE');
  });

  it('echoes a sane correlation id and makes one up otherwise', async () => {
    const given = await request(subject.server).get('/health').set('X-Correlation-Id', 'lesson-42.retry-1').expect(200);
    expect(given.headers['x-correlation-id']).toBe('lesson-42.retry-1');
    const made = await request(subject.server).get('/health').set('X-Correlation-Id', 'not sane! <script>').expect(200);
    expect(made.headers['x-correlation-id']).toMatch(/^[0-9a-f-]{36}$/);
  });

  describe('?atLeast=<position>', () => {
    it('answers once the views include the write', async () => {
      const written = await appendOne();
      await request(subject.server).get(`/health?atLeast=${written.events[0].globalPosition}`).expect(200);
    });

    it('refuses a malformed position with 400 naming atLeast', async () => {
      const response = await request(subject.server).get('/health?atLeast=yesterday').expect(400);
      expect(response.body.details).toEqual([{ field: 'atLeast', reason: 'must be a position returned by a write' }]);
    });

    it('gives up after 5 s with 503 NOT_YET_CONSISTENT and Retry-After', async () => {
      const response = await request(subject.server).get('/health?atLeast=999999999999.1').expect(503);
      expect(response.body.code).toBe('NOT_YET_CONSISTENT');
      expect(response.headers['retry-after']).toBe('1');
    });
  });
});
