import type { Redis } from 'ioredis';
import { RedisStore } from '@sessionkit/fastify';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { readRecordData, sessionKey, sessionHandle } from '@sessionkit/testing';
import { Client, sleep, startApp, useRedis } from './helpers.js';

const redis = useRedis();

describe('@fastify/session over real HTTP', () => {
  let store: RedisStore;
  let server: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    store = new RedisStore({ client: redis.client(), prefix: 'http:' });
    server = await startApp(store, { session: { cookie: { maxAge: 3_600_000 } } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('signs in, sets a cookie, and reads the session back on later requests', async () => {
    const browser = new Client(server.url);
    const login = await browser.post('/login', { user: 'alice' });
    expect(login.status).toBe(200);
    expect(browser.sessionCookie).toBeTruthy();
    for (let i = 0; i < 3; i++) {
      const me = await browser.get('/me');
      expect(me.json).toEqual({ userId: 'alice', views: 0, sid: login.json.sid });
    }
    expect((await browser.post('/view')).json.views).toBe(1);
    expect((await browser.post('/view')).json.views).toBe(2);
    expect((await browser.get('/me')).json.views).toBe(2);
    expect(await store.countUserSessions('alice')).toBeGreaterThanOrEqual(1);
  });

  it("a server whose clock runs 2 hours ahead of Redis's keeps a 1-hour session signed in", async () => {
    // The browser's clock is right (keepLapsed: the jar does not judge the cookie by the mocked clock).
    const browser = new Client(server.url, { keepLapsed: true });
    const { json } = await browser.post('/login', { user: 'skewed' });
    const realNow = Date.now.bind(Date);
    const clock = vi.spyOn(Date, 'now').mockImplementation(() => realNow() + 2 * 3_600_000);
    try {
      // @fastify/session regenerates a session whose cookie expiry is past by Date.now(): the
      // store tells that expiry on this server's clock, so it is not.
      for (let i = 0; i < 2; i++) expect((await browser.get('/me')).json).toMatchObject({ userId: 'skewed', sid: json.sid });
      expect((await browser.post('/view')).json.views).toBe(1);
    } finally {
      clock.mockRestore();
    }
    expect((await browser.get('/me')).json).toMatchObject({ userId: 'skewed', views: 1, sid: json.sid });
  });

  it('stores what a @fastify/session Session serializes to, and restores its cookie', async () => {
    const browser = new Client(server.url);
    const { json } = await browser.post('/login', { user: 'carol' });
    // What is in Redis, read by hand (get adds the version mark merging needs, see docs/core.md).
    const stored = JSON.parse(await readRecordData(redis.client(), store.sessions.core.keys.session(json.sid)));
    expect(stored).toMatchObject({ userId: 'carol', views: 0, cookie: { originalMaxAge: 3_600_000, path: '/', httpOnly: true, secure: false } });
    expect(Date.parse(String(stored.cookie!.expires))).toBeGreaterThan(Date.now() + 3_500_000);
    // No framework internals (symbols, ids) leak into Redis.
    expect(Object.keys(stored).sort()).toEqual(['cookie', 'userId', 'views']);

    const cookie = (await browser.get('/cookie')).json;
    expect(cookie.originalMaxAge).toBe(3_600_000);
    expect(Date.parse(cookie.expires)).toBeGreaterThan(Date.now() + 3_500_000);
    // rolling: the Set-Cookie of a read carries a fresh expiry.
    expect(browser.lastSetCookie.join()).toMatch(/Expires=/);
  });

  it('regenerate() gives a new id, and the old id is gone', async () => {
    const browser = new Client(server.url);
    const first = await browser.post('/login', { user: 'dave' });
    const oldCookie = browser.sessionCookie;
    const second = await browser.post('/login', { user: 'dave' });
    expect(second.json.sid).not.toBe(first.json.sid);
    expect(browser.sessionCookie).not.toBe(oldCookie);
    expect(await store.get(first.json.sid)).toBeNull();
    expect((await browser.get('/me')).json.userId).toBe('dave');

    // The old cookie no longer signs anyone in.
    const stale = new Client(server.url);
    stale.cookies.set('sessionId', oldCookie!);
    expect((await stale.get('/me')).json.userId).toBeNull();
    const ids = (await store.listUserSessions('dave')).map((s) => s.id);
    expect(ids).toContain(sessionHandle(second.json.sid));
    expect(ids).not.toContain(sessionHandle(first.json.sid));
  });

  it('destroy() signs out and removes the session from the user index', async () => {
    const browser = new Client(server.url);
    const { json } = await browser.post('/login', { user: 'erin' });
    expect(await store.countUserSessions('erin')).toBe(1);
    expect((await browser.post('/logout')).status).toBe(200);
    expect(await store.get(json.sid)).toBeNull();
    expect(await store.countUserSessions('erin')).toBe(0);
    expect((await browser.get('/me')).json.userId).toBeNull();
  });

  it('a cookie change with unchanged data is still written (maxAge "remember me")', async () => {
    const browser = new Client(server.url);
    const { json } = await browser.post('/login', { user: 'fred' });
    await browser.post('/remember', { maxAge: 7_200_000 });
    const pttl = await (store.core.client as Redis).pttl(sessionKey(json.sid, 'http:'));
    expect(pttl).toBeGreaterThan(7_100_000);
    expect((await browser.get('/cookie')).json.originalMaxAge).toBe(7_200_000);
    expect(Number(await (store.core.client as Redis).pttl(sessionKey(json.sid, 'http:')))).toBeGreaterThan(7_100_000);
  });
});

// These watch the server's expiry with sub-second maxAges, which a browser cannot follow (Expires
// has whole seconds), so the clients send their cookie whatever its expiry (keepLapsed). The
// browser's side is the Set-Cookie each response carries.
describe('sliding expiry', () => {
  it('rolling: true (the default) keeps an active session alive past its maxAge, with no data change', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'roll:' });
    const server = await startApp(store, { session: { cookie: { maxAge: 800 } } });
    try {
      const browser = new Client(server.url, { keepLapsed: true });
      await browser.post('/login', { user: 'gina' });
      // touchAfter defaults to a tenth of the TTL here (80 ms): reads slide the expiry.
      for (let elapsed = 0; elapsed < 1600; elapsed += 200) {
        await sleep(200);
        expect((await browser.get('/me')).json.userId).toBe('gina');
        expect(browser.lastSetCookie.join()).toMatch(/sessionId=.*Expires=/); // re-sent: the browser's copy slides too
      }
      // Idle past maxAge: gone.
      await sleep(1000);
      expect((await browser.get('/me')).json.userId).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('rolling: false does not refresh the TTL of an unchanged session', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'noroll:' });
    const server = await startApp(store, { session: { rolling: false, cookie: { maxAge: 600 } } });
    try {
      const browser = new Client(server.url, { keepLapsed: true });
      await browser.post('/login', { user: 'hank' });
      let signedIn = 0;
      for (let elapsed = 0; elapsed < 1000; elapsed += 200) {
        await sleep(200);
        if ((await browser.get('/me')).json.userId === 'hank') signedIn++;
      }
      expect(signedIn).toBeGreaterThan(0);
      expect((await browser.get('/me')).json.userId).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('rolling: false with request.session.touch() + save() slides the TTL (throttled: usually no Redis write)', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'keepalive:' });
    const server = await startApp(store, { session: { rolling: false, cookie: { maxAge: 600 } } });
    try {
      const browser = new Client(server.url, { keepLapsed: true });
      await browser.post('/login', { user: 'hope' });
      for (let elapsed = 0; elapsed < 1200; elapsed += 200) {
        await sleep(200);
        expect((await browser.get('/keepalive')).json.userId).toBe('hope');
        expect(browser.lastSetCookie.join()).toMatch(/Expires=/); // the browser's cookie slides too
      }
    } finally {
      await server.close();
    }
  });

  it('with a ttl function the data is rewritten, so the stored cookie expiry never lapses under activity', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'ttlfn:', ttl: () => 60, touchAfter: 0 });
    const server = await startApp(store, { session: { cookie: { maxAge: 500 } } });
    try {
      const browser = new Client(server.url, { keepLapsed: true });
      await browser.post('/login', { user: 'iris' });
      for (let elapsed = 0; elapsed < 1000; elapsed += 200) {
        await sleep(200);
        expect((await browser.get('/me')).json.userId).toBe('iris');
      }
    } finally {
      await server.close();
    }
  });

  it('a session whose stored cookie expiry has passed is not restored', async () => {
    // disableTTL: Redis keeps the key, only the cookie expiry in the data decides.
    const store = new RedisStore({ client: redis.client(), prefix: 'nottl:', disableTTL: true });
    const server = await startApp(store, { session: { rolling: false, cookie: { maxAge: 500 } } });
    try {
      const browser = new Client(server.url, { keepLapsed: true });
      const { json } = await browser.post('/login', { user: 'jack' });
      expect((await browser.get('/me')).json.userId).toBe('jack');
      await sleep(700);
      expect(await (store.core.client as Redis).exists(sessionKey(json.sid, 'nottl:'))).toBe(1);
      expect((await browser.get('/me')).json.userId).toBeNull();
    } finally {
      await server.close();
    }
  });
});
