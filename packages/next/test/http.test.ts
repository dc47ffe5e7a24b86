import type { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { concurrentSaves, expectEveryChangeKept, expectOtherDevicesSignedOut, useRedis, sessionKey } from '@sessionkit/testing';
import { SessionStore } from '@sessionkit/core';
import { Browser, commandsDuring, PREVIOUS_SECRET, SECRET, signed, signIn, startApp } from './helpers.js';

/**
 * @sessionkit/next in a real Next 16 app (test/fixture, a production build) over real HTTP, on a
 * real redis-server: Server Components, Route Handlers and proxy.ts as an app uses them.
 */
const redis = useRedis();

describe('@sessionkit/next in a Next 16 production server', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  let client: Redis;
  let store: SessionStore;
  beforeAll(async () => {
    app = await startApp(redis);
    client = redis.client();
    store = new SessionStore({ client });
  });
  afterAll(async () => {
    await app?.stop();
  });

  const who = async (browser: Browser, path = '/') => /<p id="who">([^<]*)</.exec((await browser.page(path)).text)?.[1];

  it('signs in from a Route Handler: a signed cookie, HttpOnly, SameSite=Lax, Max-Age the TTL; a Server Component reads it', async () => {
    const browser = await signIn(app.url, 'ann');
    const line = browser.lastSetCookie.find((c) => c.startsWith('sid='))!;
    expect(line).toMatch(/HttpOnly/i);
    expect(line).toMatch(/SameSite=Lax/i);
    expect(line).toMatch(/Max-Age=3600/i);
    expect(line).toMatch(/Path=\//i);
    expect(decodeURIComponent(browser.cookies.get('sid')!)).toBe(signed(browser.sid!));
    expect(browser.sid).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await who(browser)).toBe('ann');
    expect((await store.get(browser.sid!))?.userId).toBe('ann');
  });

  it('a Server Component read of an unchanged session costs exactly one Redis command (GET), and sets no cookie', async () => {
    const browser = await signIn(app.url, 'ann');
    await browser.page('/'); // the first read of a process may also ask Redis for its clock (TIME)
    const before = await client.pttl(sessionKey(browser.sid!));
    let page: Awaited<ReturnType<Browser['page']>> | undefined;
    const ran = await commandsDuring(client, async () => {
      page = await browser.page('/');
    });
    expect(ran).toEqual({ get: 1 });
    expect(page!.text).toContain('<p id="who">ann</p>');
    expect(page!.setCookie).toEqual([]);
    expect(await client.pttl(sessionKey(browser.sid!))).toBeLessThanOrEqual(before);
  });

  it('a Route Handler that saves an unchanged session: one GET within touchAfter, and the cookie re-sent', async () => {
    const browser = await signIn(app.url, 'ann');
    await browser.get('/me');
    const ran = await commandsDuring(client, () => browser.get('/me'));
    expect(ran).toEqual({ get: 1 });
    expect(browser.lastSetCookie.some((c) => c.startsWith('sid='))).toBe(true);
  });

  it('proxy.ts slides the session: a page behind it costs two GETs (proxy and page) within touchAfter', async () => {
    const browser = await signIn(app.url, 'ann');
    await browser.page('/slide');
    const ran = await commandsDuring(client, () => browser.page('/slide'));
    expect(ran).toEqual({ get: 2 });
    expect(browser.lastSetCookie.some((c) => c.startsWith('sid='))).toBe(true);
    expect(await who(browser, '/slide')).toBe('ann');
  });

  it('revocation from another device takes effect on the next request, in Server Components and Route Handlers', async () => {
    const laptop = await signIn(app.url, 'bea');
    const phone = await signIn(app.url, 'bea');
    expect(await who(laptop)).toBe('bea');
    const { json } = await phone.post(`/revoke/${laptop.sid}`);
    expect(json.revoked).toBe(true);
    expect(await who(laptop)).toBe('anonymous');
    expect((await laptop.get('/me')).json.userId).toBeNull();
    expect(await who(phone)).toBe('bea');
    // Never another user's: bea cannot revoke ann's session.
    const ann = await signIn(app.url, 'ann');
    expect((await phone.post(`/revoke/${ann.sid}`)).json.revoked).toBe(false);
    expect(await who(ann)).toBe('ann');
  });

  it('lists my sessions with this one marked, and signs out everywhere else', async () => {
    const laptop = await expectOtherDevicesSignedOut((user) => signIn(app.url, user), store);
    expect((await laptop.post('/logout-everywhere', {})).json.count).toBe(1);
    expect((await laptop.get('/me')).json.userId).toBeNull();
    expect(laptop.lastSetCookie.join()).not.toContain(laptop.sid);
  });

  it('parallel Route Handlers on one session each keep their own change (the engine merges per session() call)', async () => {
    const browser = await signIn(app.url, 'cid');
    const { keys, status } = await concurrentSaves(app.url, browser.cookies.header(), 20);
    expect(status.every((s) => s === 200)).toBe(true);
    expectEveryChangeKept(keys, 20, 'cid');
  });

  it('signing in again gives a new id and ends the old session (fixation)', async () => {
    const browser = await signIn(app.url, 'ann');
    const before = browser.sid!;
    await browser.post('/login/bea');
    expect(browser.sid).not.toBe(before);
    expect(await store.get(before)).toBeNull();
    expect(await who(browser)).toBe('bea');
  });

  it('sign-out ends the session and clears the cookie; the old cookie, replayed, names nothing', async () => {
    const browser = await signIn(app.url, 'ann');
    const replay = new Browser(app.url);
    replay.cookies.set('sid', browser.cookies.get('sid')!);
    await browser.post('/logout');
    expect(browser.lastSetCookie.find((c) => c.startsWith('sid='))).toMatch(/Max-Age=0|Expires=Thu, 01 Jan 1970/i);
    expect(await who(replay)).toBe('anonymous');
  });

  it('a cookie with no valid signature is no session, and costs no Redis command; the previous secret still verifies', async () => {
    const victim = await signIn(app.url, 'ann');
    const id = victim.sid!;
    const good = signed(id);
    const forgeries = [
      id,
      signed(id, 'not the secret'),
      `${good.slice(0, -1)}${good.endsWith('A') ? 'B' : 'A'}`,
      signed(`${id}x`),
      `${id}.`,
      '.',
      'x'.repeat(5000),
    ];
    for (const value of forgeries) {
      const forger = new Browser(app.url);
      forger.cookies.set('sid', encodeURIComponent(value));
      const ran = await commandsDuring(client, () => forger.page('/'));
      expect(ran, value).toEqual({});
      expect(await who(forger), value).toBe('anonymous');
    }
    const rotated = new Browser(app.url);
    rotated.cookies.set('sid', signed(id, PREVIOUS_SECRET));
    expect(await who(rotated)).toBe('ann');
    expect(SECRET).not.toBe(PREVIOUS_SECRET);
  });
});

describe('@sessionkit/next with touchAfter 0', () => {
  let app: Awaited<ReturnType<typeof startApp>>;
  beforeAll(async () => {
    app = await startApp(redis, { TOUCH_AFTER: '0' });
  });
  afterAll(async () => {
    await app?.stop();
  });

  it('an unchanged save slides the expiry: one GET and one script call (commandstats also counts what the script runs inside Redis)', async () => {
    const client = redis.client();
    const browser = await signIn(app.url, 'ann');
    await browser.get('/me');
    const before = await client.pexpiretime(sessionKey(browser.sid!));
    await new Promise((resolve) => setTimeout(resolve, 5));
    const ran = await commandsDuring(client, () => browser.get('/me'));
    expect(ran.get).toBe(1);
    expect(ran.evalsha).toBe(1);
    expect(ran.set ?? 0).toBe(0); // no data written
    expect(await client.pexpiretime(sessionKey(browser.sid!))).toBeGreaterThan(before);
  });
});
