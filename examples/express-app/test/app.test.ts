import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandsDuring, defineAppSuites } from '../../shared/test/app.js';
import { Agent, startInstance, useRedis, type Instance } from './helpers.js';

const redis = useRedis();

defineAppSuites({
  name: 'Express',
  redis,
  Agent,
  start: (clientOptions) => startInstance(redis, {}, clientOptions),
  startBehindProxy: () => startInstance(redis, { trustProxy: '127.0.0.1' }),
});

// What express-session's rolling and touchAfter make of a page view: the other apps differ here.
describe('example Express app: rolling sessions', () => {
  let a: Instance;
  beforeAll(async () => {
    a = await startInstance(redis);
  });
  afterAll(async () => {
    await a?.stop();
  });

  it('rolling: an unchanged page view re-sends the cookie with a full maxAge, for one Redis round trip', async () => {
    const agent = new Agent();
    await agent.signIn(a.url, 'alice');
    // Signed in, /login redirects home: no page work in Redis.
    const { result: res, commands } = await commandsDuring(redis, a.client, () => agent.get(`${a.url}/login`));
    expect(res.location).toBe('/');
    expect(commands).toEqual(['get']); // the session read; the touch waits for touchAfter
    const cookie = agent.lastSetCookie.find((line) => line.startsWith('sid='));
    const expires = Date.parse(/Expires=([^;]+)/i.exec(cookie ?? '')?.[1] ?? '');
    expect(expires).toBeGreaterThan(Date.now() + 7 * 24 * 3600 * 1000 - 60_000);
  });
});
