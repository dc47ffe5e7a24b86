import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { useRedis } from '@sessionkit/testing';
import { Agent, countCommands, expectOthersSignedOut, flavours, makeStorage, serve, sessionApp, type Storage } from './helpers.js';

/**
 * React Router's request handling (a static handler's loaders and actions) served by node:http,
 * with two instances of the app on one Redis: any instance serves any request.
 */
const redis = useRedis();

describe('React Router loaders and actions over real HTTP, two instances on one Redis', () => {
  let storages: Storage[];
  let servers: Awaited<ReturnType<typeof serve>>[];

  beforeAll(async () => {
    storages = [0, 1].map(() => makeStorage(flavours[0]!, { client: redis.client(), prefix: 'http:' }));
    servers = await Promise.all(storages.map((storage) => serve(sessionApp(storage))));
  });
  afterAll(async () => {
    await Promise.all(servers?.map((s) => s.close()) ?? []);
  });

  it('signs in on one instance and is known on the other; the flash shows once', async () => {
    const browser = new Agent(servers[0]!.url);
    expect((await browser.json('POST', '/login/ann')).status).toBe(200);
    const other = new Agent(servers[1]!.url);
    other.cookies = browser.cookies;
    const first = await other.json('GET', '/me');
    expect(first.body).toMatchObject({ userId: 'ann', notice: 'welcome ann' });
    expect((await browser.json('GET', '/me')).body).toMatchObject({ userId: 'ann', notice: null });
  });

  it('a visitor without a cookie gets no session and no Redis write', async () => {
    const visitor = new Agent(servers[0]!.url);
    const before = await storages[0]!.core.length();
    expect((await visitor.json('GET', '/me')).body).toEqual({ id: null, userId: null, notice: null });
    expect(visitor.cookies.size).toBe(0);
    expect(await storages[0]!.core.length()).toBe(before);
  });

  it('lists the devices of a user, signs out the others, and keeps the current one', async () => {
    // The phone on the second app instance: the sign-out crosses processes.
    await expectOthersSignedOut([new Agent(servers[0]!.url), new Agent(servers[1]!.url), new Agent(servers[0]!.url)], () =>
      storages[1]!.countUserSessions('ivy'),
    );
  });

  it('signs out: the cookie is cleared and the old cookie, replayed, names nothing', async () => {
    const browser = new Agent(servers[1]!.url);
    await browser.json('POST', '/login/kim');
    const replay = browser.clone();
    const res = await browser.request('POST', '/logout');
    expect(res.status).toBe(302);
    expect(res.headers.get('location')).toBe('/me');
    expect(browser.cookies.has('__session')).toBe(false);
    expect((await replay.json('GET', '/me')).body).toEqual({ id: null, userId: null, notice: null });
    expect(await storages[0]!.countUserSessions('kim')).toBe(0);
  });

  it('a changed session is saved on each request, whichever instance serves it', async () => {
    const browser = new Agent(servers[0]!.url);
    await browser.json('POST', '/login/lee');
    for (let i = 1; i <= 6; i++) {
      browser.base = servers[i % 2]!.url;
      expect((await browser.json('POST', '/count')).body.count).toBe(i);
    }
  });

  it('concurrent requests on one session, on both instances, each setting its own key: every change is kept', async () => {
    const browser = new Agent(servers[0]!.url);
    await browser.json('POST', '/login/ned');
    const keys = Array.from({ length: 30 }, (_, i) => `k${i}`);
    await Promise.all(
      keys.map((key, i) => {
        const tab = browser.clone();
        tab.base = servers[i % 2]!.url;
        return tab.json('POST', `/set/${key}`);
      }),
    );
    const { body } = await browser.json('GET', '/data');
    for (const key of keys) expect(body[key], key).toBe(true);
  });

  it('read path over HTTP: one Redis command per request, with a commit on every response', async () => {
    const browser = new Agent(servers[0]!.url);
    await browser.json('POST', '/login/moe');
    expect((await browser.json('GET', '/me')).body.notice).toBe('welcome moe'); // reading the flash is a change: saved
    const client = storages[0]!.core.client as ReturnType<typeof redis.client>;
    const requests = 25;
    const commands = await countCommands(redis.client(), client, async () => {
      for (let i = 0; i < requests; i++) expect((await browser.json('GET', '/me')).body.userId).toBe('moe');
    });
    expect(commands).toHaveLength(requests);
  });
});
