import { METHOD_METADATA, PATH_METADATA } from '@nestjs/common/constants';
import { RequestMethod } from '@nestjs/common';
import { ModulesContainer } from '@nestjs/core';
import { v7 as uuidv7 } from 'uuid';
import { PROJECTORS } from '../../projections';
import { ProjectionRunner } from '../../projections/projection-runner';
import { VOIDING_FACTS } from '../../projections/voiding-facts/voiding-facts.projector';
import { ManualClock } from '../../src/common/clock';
import { SYSTEM_ACTOR } from '../../src/event-store/envelope';
import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { viewsReadBy } from '../../src/operations/read-your-writes.guard';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';
import { ADMIN_PASSWORD, api, buildSchool, SchoolWorld } from '../support/school-fixture';

/**
 * `?atLeast=` waits for the views a route reads, and an acknowledgement for its own school's
 * diary: a view behind (rebuilding, or its runner gone) holds back only what depends on it.
 */
describe(`waits only for what is read (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  let world: SchoolWorld;
  const clock = new ManualClock('2026-09-07T15:00:00.000Z');

  beforeAll(async () => {
    subject = await startTestApp({ env: { ADMIN_PASSWORD }, clock });
    world = await buildSchool(subject.server);
  });
  afterAll(async () => subject?.close());

  it('every GET route of the API names the views it reads, and they are views that exist', () => {
    const names = new Set([VOIDING_FACTS, ...PROJECTORS.map((p) => p.name)]);
    const reads = [...subject.app.get(ModulesContainer).values()].flatMap((module) =>
      [...module.controllers.values()].flatMap(({ metatype }) => {
        const prototype = (metatype as { prototype: Record<string, unknown> }).prototype;
        return Object.getOwnPropertyNames(prototype)
          .map((name) => prototype[name])
          .filter((handler): handler is object => typeof handler === 'function' && Reflect.getMetadata(METHOD_METADATA, handler) === RequestMethod.GET)
          .map((handler) => ({ route: Reflect.getMetadata(PATH_METADATA, handler) as string, views: viewsReadBy(handler) }));
      }),
    );
    const api = reads.filter(({ route }) => !['health', 'metrics'].includes(route));
    expect(api.length).toBeGreaterThanOrEqual(14);
    for (const { route, views } of api) {
      expect({ route, declared: views !== undefined }).toEqual({ route, declared: true });
      for (const view of views ?? []) expect({ route, view, known: names.has(view) }).toEqual({ route, view, known: true });
    }
  });

  it("with the views stopped past this school's writes, its acknowledgements and reads of no view answer at once", async () => {
    const store = subject.app.get<EventStore>(EVENT_STORE);
    const runner = subject.app.get(ProjectionRunner);
    expect(await runner.waitFor(await store.head(), 5000)).toBe(true);
    await runner.stop();
    // Another school writes: the region's log moves on, the views stand still.
    // (A declared type, as every write must be: a settings change of the other school.)
    const elsewhere = await store.append(`probe-${uuidv7()}`, 'no-stream', [{ type: 'SchoolSettingsChanged', data: { minMarksForAttestation: 3 } }], {
      schoolId: world.otherSchoolId,
      actor: SYSTEM_ACTOR,
      correlationId: uuidv7(),
    });
    const client = api(subject.server);
    // The account is read from its stream (caught up from the tail for atLeast): no view to wait for.
    await client.get(`/auth/me?atLeast=${elsewhere.events[0].globalPosition}`, world.tokens.parent).expect(200);
    const acknowledged = await client.post(`/schools/${world.schoolId}/students/${world.studentId}/diary/acknowledgements`, world.tokens.parent, { upTo: '2026-09-07' });
    expect({ status: acknowledged.status, body: acknowledged.body }).toMatchObject({ status: 201, body: { weekOf: '2026-09-07' } });
  });
});
