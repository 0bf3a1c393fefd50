import request from 'supertest';
import { v7 as uuidv7 } from 'uuid';
import { SYSTEM_ACTOR } from '../../src/event-store/envelope';
import { EVENT_STORE, EventStore } from '../../src/event-store/event-store.port';
import { startTestApp, TestApp } from '../support/app';
import { TEST_DATABASE_KIND } from '../support/database';

/**
 * A view that cannot fold an event stops (it would rather stop than show a wrong journal), and
 * the service says so: /health goes down with the reason, instead of serving ever-older views.
 */
describe(`when a view cannot apply an event (${TEST_DATABASE_KIND})`, () => {
  let subject: TestApp;
  beforeAll(async () => (subject = await startTestApp()));
  afterAll(async () => subject?.close());

  it('/health answers 503 with the views down and the reason', async () => {
    await request(subject.server).get('/health').expect(200);
    const store = subject.app.get<EventStore>(EVENT_STORE);
    // A MarkRecorded without the journal's data: the diary projector cannot place it.
    await store.append(`broken-${uuidv7()}`, 'no-stream', [{ type: 'MarkRecorded', data: { value: 5 } }], { schoolId: null, actor: SYSTEM_ACTOR, correlationId: uuidv7() });
    let health = await request(subject.server).get('/health');
    for (let i = 0; i < 50 && health.status === 200; i++) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      health = await request(subject.server).get('/health');
    }
    expect(health.status).toBe(503);
    expect(health.body.error.views).toMatchObject({ status: 'down', reason: expect.any(String) });
    expect(health.body.info.store.status).toBe('up');
  });
});
