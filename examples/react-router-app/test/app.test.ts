import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { commandsDuring, defineAppSuites } from '../../shared/test/app.js';
import { Agent, startInstance, useRedis, type Instance } from './helpers.js';

const redis = useRedis();

defineAppSuites({
  name: 'React Router',
  redis,
  Agent,
  start: (clientOptions) => startInstance(redis, {}, clientOptions),
  startBehindProxy: () => startInstance(redis, { trustProxy: true }),
});

// What commitSession makes of a page view (and the flash message it clears): the other apps differ here.
describe('example React Router app: rolling sessions', () => {
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
    expect(await agent.whoAmI(a.url)).toBe('Alice Liddell'); // reads (and so clears) the "Signed in." flash: a save
    // Signed in, /login redirects home: no page work in Redis.
    const { result: res, commands } = await commandsDuring(redis, a.client, () => agent.get(`${a.url}/login`));
    expect(res.location).toBe('/');
    expect(commands).toHaveLength(1); // the session read; the commit of unchanged data writes nothing
    const home = await commandsDuring(redis, a.client, () => agent.get(`${a.url}/`));
    expect(home.commands).toHaveLength(2); // the read, and the page's own count of the user's sessions
    const cookie = agent.lastSetCookie.find((line) => line.startsWith('sid='));
    expect(cookie).toMatch(/Max-Age=604800/);
  });
});
