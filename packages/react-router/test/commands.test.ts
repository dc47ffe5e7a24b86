import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRedis } from '@sessionkit/testing';
import { Agent, countCommands, flavours, makeStorage, serve, sessionApp, type Storage } from './helpers.js';

/**
 * Redis commands per request (round trips; the commands Lua scripts run inside Redis are not
 * counted), watched with MONITOR on one redis-server while real requests go through React Router's
 * static handler over HTTP. docs/react-router.md quotes these figures.
 */
const redis = useRedis();
const REQUESTS = 50;

describe('Redis commands per request', () => {
  let storage: Storage;
  let app: Awaited<ReturnType<typeof serve>>;
  let client: ReturnType<typeof redis.client>;

  beforeAll(async () => {
    client = redis.client();
    storage = makeStorage(flavours[0]!, { client, prefix: 'cmd:' });
    app = await serve(sessionApp(storage));
  });
  afterAll(async () => {
    await app?.close();
  });

  const perRequest = async (requests: number, work: () => Promise<void>) => {
    const commands = await countCommands(redis.client(), client, work);
    const byName = new Map<string, number>();
    for (const name of commands) byName.set(name, (byName.get(name) ?? 0) + 1);
    if (process.env.SHOW_COMMANDS) console.log(`${requests} requests:`, JSON.stringify(Object.fromEntries(byName)));
    return { perRequest: commands.length / requests, byName: Object.fromEntries(byName) };
  };

  const signedIn = async (user: string) => {
    const agent = new Agent(app.url);
    await agent.json('POST', `/login/${user}`);
    await agent.json('GET', '/me'); // reads the sign-in flash: that request saves
    return agent;
  };

  it('read path: getSession, then a commitSession of unchanged data on every response: 1', async () => {
    const agent = await signedIn('ann');
    const { perRequest: n, byName } = await perRequest(REQUESTS, async () => {
      for (let i = 0; i < REQUESTS; i++) await agent.json('GET', '/me');
    });
    expect(n).toBe(1);
    expect(Object.values(byName)).toEqual([REQUESTS]); // one read command each, nothing else
  });

  it('read path with touchAfter 0: the read and an expiry write on every request: 2', async () => {
    const eager = makeStorage(flavours[0]!, { client, prefix: 'cmd:', touchAfter: 0 });
    const eagerApp = await serve(sessionApp(eager));
    try {
      const agent = new Agent(eagerApp.url);
      await agent.json('POST', '/login/bea');
      await agent.json('GET', '/me');
      const { perRequest: n } = await perRequest(REQUESTS, async () => {
        for (let i = 0; i < REQUESTS; i++) await agent.json('GET', '/me');
      });
      expect(n).toBe(2);
    } finally {
      await eagerApp.close();
    }
  });

  it('write path: a changed session costs the read and one save: 2', async () => {
    const agent = await signedIn('cal');
    const { perRequest: n } = await perRequest(REQUESTS, async () => {
      for (let i = 0; i < REQUESTS; i++) await agent.json('POST', '/count');
    });
    expect(n).toBe(2);
  });

  // With legacyKeys on (the default), a miss also reads the plain-id key, a new session's save
  // retires a plain-id copy and a destroy clears the plain-id key: one command more each (see
  // docs/react-router.md; with legacyKeys: false these are 2, 2 and 4).
  it('sign-in without a cookie: the free-id check and one save: 4; sign-out: the read and the destroy: 3', async () => {
    const agents = Array.from({ length: 10 }, () => new Agent(app.url));
    const signIn = await perRequest(agents.length, async () => {
      for (const agent of agents) await agent.json('POST', '/login/dee');
    });
    expect(signIn.perRequest).toBe(4);
    const signOut = await perRequest(agents.length, async () => {
      for (const agent of agents) await agent.request('POST', '/logout');
    });
    expect(signOut.perRequest).toBe(3);
  });

  it('getSession alone: 1; a sign-in that first destroys the live session it replaces: 7', async () => {
    const agent = await signedIn('eve');
    const header = agent.cookies.header();
    const read = await perRequest(REQUESTS, async () => {
      for (let i = 0; i < REQUESTS; i++) await storage.getSession(header);
    });
    expect(read.perRequest).toBe(1);
    const renewed = await perRequest(1, async () => {
      const old = await storage.getSession(header);
      await storage.destroySession(old);
      const fresh = await storage.getSession();
      fresh.set('userId', 'eve');
      await storage.commitSession(fresh);
    });
    expect(renewed.perRequest).toBe(7);
  });

  it('a visitor without a cookie whose session is never committed: 0', async () => {
    const agent = new Agent(app.url);
    const { perRequest: n } = await perRequest(REQUESTS, async () => {
      for (let i = 0; i < REQUESTS; i++) await agent.json('GET', '/me');
    });
    expect(n).toBe(0);
  });
});
