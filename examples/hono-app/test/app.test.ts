import { describe, expect, it } from 'vitest';
import { countCommands, underBun } from '@sessionkit/testing';
import { defineAppSuites } from '../../shared/test/app.js';
import { Agent, startInstance, useRedis } from './helpers.js';

const redis = useRedis();

defineAppSuites({
  name: underBun ? 'Hono on Bun' : 'Hono',
  redis,
  Agent,
  start: (clientOptions) => startInstance(redis, {}, clientOptions),
  startBehindProxy: () => startInstance(redis, { trustProxy: true }),
});

describe(`example Hono app: Redis commands per request${underBun ? ' (Bun.serve, Bun RedisClient)' : ''}`, () => {
  it('a page of a signed-in user costs one GET (plus the count it shows), /health and sign-in page views without a cookie cost none', async () => {
    const app = await startInstance(redis);
    try {
      const agent = new Agent();
      await agent.signIn(app.url, 'alice');
      const home = await countCommands(redis, async () => {
        expect(await agent.whoAmI(app.url)).toBe('Alice Liddell');
      });
      // The session's GET; the home page's "N active sessions" adds its own count of the user's index, no script.
      expect(home.byName.get).toBe(1);
      expect(home.byName.evalsha ?? 0).toBe(0);
      const anonymous = await countCommands(redis, async () => {
        expect((await fetch(`${app.url}/health`)).status).toBe(200);
        expect((await new Agent().get(`${app.url}/login`)).status).toBe(200);
      });
      expect(anonymous.total).toBe(0);
    } finally {
      await app.stop();
    }
  });
});
