import { createHmac } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { expectOtherDevicesSignedOut, underBun, sessionKey } from '@sessionkit/testing';
import { sessionKit } from '@sessionkit/hono';
import { Client, SECRET, countCommands, serve, signIn, startApp, storeClient, testApp, useRedis } from './helpers.js';

/** The Hono middleware on a real server (@hono/node-server on Node, Bun.serve on Bun), over real HTTP, on a real redis-server. */
const redis = useRedis();
const runtime = underBun ? 'Bun' : 'Node';

/** Hono's signed cookie value for `id` (HMAC-SHA256, base64), URI-encoded as a browser sends it. */
const signed = (id: string, secret = SECRET) => encodeURIComponent(`${id}.${createHmac('sha256', secret).update(id).digest('base64')}`);

type Running = Awaited<ReturnType<typeof startApp>>;
const running: Running[] = [];
async function start(options: Parameters<typeof startApp>[1] = {}) {
  const app = await startApp(redis, options);
  running.push(app);
  return app;
}
afterAll(async () => {
  await Promise.all(running.map((app) => app.close()));
});

describe(`@sessionkit/hono on ${runtime}`, () => {
  let app: Running;
  beforeAll(async () => {
    app = await start({ prefix: 'http:' });
  });

  it('a request that never touches the session costs no Redis command and sets no cookie', async () => {
    const browser = await signIn(app.url, 'ann');
    const counted = await countCommands(redis, async () => {
      for (let i = 0; i < 5; i++) expect((await browser.get('/untouched')).status).toBe(200);
    });
    expect(counted.total).toBe(0);
    expect(browser.lastSetCookie).toEqual([]);
    const anonymous = new Client(app.url);
    const none = await countCommands(redis, async () => {
      await anonymous.get('/me');
    });
    expect(none.total).toBe(0); // no cookie: nothing to load, and nothing to save
    expect(anonymous.lastSetCookie).toEqual([]);
  });

  it('signs in: a signed cookie, HttpOnly, SameSite=Lax, not Secure over plain HTTP, Max-Age the ttl; the session in Redis, indexed by owner', async () => {
    // The runtime's own client: Bun's RedisClient under Bun.
    expect(app.session.core.redis.library).toBe(underBun ? 'bun' : 'ioredis');
    const browser = await signIn(app.url, 'ann');
    const line = browser.lastSetCookie.find((c) => c.startsWith('sid='))!;
    expect(line).toMatch(/HttpOnly/);
    expect(line).toMatch(/SameSite=Lax/);
    expect(line).toMatch(/Path=\//);
    expect(line).toMatch(/Max-Age=86400/);
    expect(line).not.toMatch(/Secure/);
    expect(browser.cookies.get('sid')).toBe(signed(browser.sid));
    expect(browser.sid).toMatch(/^[A-Za-z0-9_-]{32}$/);
    expect(await redis.client().exists(sessionKey(browser.sid, 'http:'))).toBe(1);
    expect((await browser.get('/me')).json).toEqual({ userId: 'ann', views: 0, sid: browser.sid });
    expect(await app.session.countUserSessions('ann')).toBeGreaterThanOrEqual(1);
  });

  it('an unchanged session costs exactly one Redis command (GET), a changed one GET + one script', async () => {
    const browser = await signIn(app.url, 'ann');
    const read = await countCommands(redis, async () => {
      expect((await browser.get('/me')).json.userId).toBe('ann');
    });
    expect(read).toEqual({ total: 1, byName: { get: 1 } });
    // The cookie still slides with the session (re-sent with a fresh Max-Age).
    expect(browser.lastSetCookie.some((c) => c.startsWith('sid='))).toBe(true);
    const write = await countCommands(redis, async () => {
      await browser.post('/view');
    });
    expect(write.total).toBe(2);
    expect(write.byName.get).toBe(1);
    expect((await browser.get('/me')).json.views).toBe(1);
  });

  it('touchAfter: 0 slides the expiry on every read (GET + the touch script)', async () => {
    const eager = await start({ prefix: 'eager:', touchAfter: 0 });
    const browser = await signIn(eager.url, 'ann');
    const read = await countCommands(redis, async () => {
      await browser.get('/me');
    });
    expect(read.total).toBe(2);
  });

  it('Secure over HTTPS: set by `cookie.secure`, or from X-Forwarded-Proto only with trustProxy', async () => {
    const proxied = await start({ prefix: 'proxy:', trustProxy: true });
    const browser = new Client(proxied.url);
    await browser.request('POST', '/login', { user: 'ann' });
    expect(browser.lastSetCookie.find((c) => c.startsWith('sid='))).not.toMatch(/Secure/);
    const viaProxy = await fetch(`${proxied.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: '{"user":"ann"}',
    });
    expect(viaProxy.headers.getSetCookie().find((c) => c.startsWith('sid='))).toMatch(/; Secure/);
    // Without trustProxy the header is not believed.
    const direct = await fetch(`${app.url}/login`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-forwarded-proto': 'https' },
      body: '{"user":"ann"}',
    });
    expect(direct.headers.getSetCookie().find((c) => c.startsWith('sid='))).not.toMatch(/Secure/);
    const forced = await start({ prefix: 'secure:', cookie: { secure: true, sameSite: 'Strict' } });
    const line = (await fetch(`${forced.url}/login`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"user":"ann"}' })).headers
      .getSetCookie()
      .find((c) => c.startsWith('sid='));
    expect(line).toMatch(/; Secure/);
    expect(line).toMatch(/SameSite=Strict/);
  });

  it('a forged, unsigned or wrongly signed cookie is no session and never reaches Redis', async () => {
    const victim = await signIn(app.url, 'ann');
    const forgeries = [
      victim.sid,
      encodeURIComponent(`${victim.sid}.${'A'.repeat(43)}=`),
      signed(victim.sid, 'another secret'),
      signed(`${victim.sid}x`).replace(/x\./, '.'),
    ];
    const counted = await countCommands(redis, async () => {
      for (const forged of forgeries) {
        const thief = new Client(app.url);
        thief.cookies.set('sid', forged);
        expect((await thief.get('/me')).json).toEqual({ userId: null, views: null, sid: null });
        expect(thief.lastSetCookie.join(' ')).not.toContain(victim.sid);
      }
    });
    expect(counted.total).toBe(0);
    expect((await victim.get('/me')).json.userId).toBe('ann');
  });

  it('secret rotation: the first secret signs, every secret verifies; a cookie of an old secret is re-signed with the new one', async () => {
    const before = await start({ prefix: 'rotate:', secret: 'the old secret' });
    const browser = await signIn(before.url, 'ann');
    const after = await start({ prefix: 'rotate:', secret: ['the new secret', 'the old secret'] });
    expect((await browser.request('GET', '/me', undefined, after.url)).json.userId).toBe('ann');
    expect(browser.cookies.get('sid')).toBe(signed(browser.sid, 'the new secret'));
    const dropped = await start({ prefix: 'rotate:', secret: 'the new secret' });
    expect((await browser.request('GET', '/me', undefined, dropped.url)).json.userId).toBe('ann');
    const stale = new Client(before.url);
    stale.cookies.set('sid', signed(browser.sid, 'the old secret'));
    expect((await stale.request('GET', '/me', undefined, dropped.url)).json.userId).toBeNull();
  });

  it('regenerate(): a new id with the same data, and the old id is dead (session fixation)', async () => {
    const browser = await signIn(app.url, 'ann');
    const old = new Client(app.url);
    old.cookies.set('sid', browser.cookies.get('sid')!);
    const before = browser.sid;
    await browser.post('/view');
    const { json } = await browser.post('/password');
    expect(json.sid).toBe(browser.sid);
    expect(browser.sid).not.toBe(before);
    expect((await browser.get('/me')).json).toMatchObject({ userId: 'ann', views: 1 });
    expect((await old.get('/me')).json.userId).toBeNull();
    expect(await app.session.core.get(before)).toBeNull(); // its key now holds a tombstone that refuses late writes
  });

  it('destroy(): the session is gone from Redis and the cookie is cleared', async () => {
    const browser = await signIn(app.url, 'ann');
    const sid = browser.sid;
    await browser.post('/logout');
    expect(browser.lastSetCookie.find((c) => c.startsWith('sid='))).toMatch(/Max-Age=0/);
    expect(browser.cookies.has('sid')).toBe(false);
    expect(await app.session.core.get(sid)).toBeNull();
  });

  it('a handler that throws saves nothing', async () => {
    const browser = await signIn(app.url, 'ann');
    expect((await browser.post('/fail')).status).toBe(500);
    expect((await browser.get('/me')).json.views).toBe(0);
  });

  it("the per-user API on the context: list (this one flagged), revoke one of mine but never another user's, sign out elsewhere", async () => {
    const laptop = await expectOtherDevicesSignedOut((user) => signIn(app.url, user), app.session);
    const phone = await signIn(app.url, 'ivy');
    const stranger = await signIn(app.url, 'jack');
    expect((await stranger.post('/revoke', { sid: phone.sid })).json.revoked).toBe(false);
    expect((await phone.get('/me')).json.userId).toBe('ivy');
    expect((await laptop.post('/revoke', { sid: phone.sid })).json.revoked).toBe(true);
    expect((await phone.get('/me')).json.userId).toBeNull();
    // Revoking this very session drops it: the cookie goes.
    expect((await laptop.post('/revoke', { sid: laptop.sid })).json.revoked).toBe(true);
    expect(laptop.cookies.has('sid')).toBe(false);
    expect(((await new Client(app.url).get('/sessions')).json as unknown[]).length).toBe(0);
  });

  it('logoutEverywhere() ends every session of the user, this one too', async () => {
    const one = await signIn(app.url, 'kim');
    const two = await signIn(app.url, 'kim');
    expect((await one.post('/logout-everywhere')).json.count).toBe(2);
    expect(one.cookies.has('sid')).toBe(false);
    expect((await two.get('/me')).json.userId).toBeNull();
    expect(await app.session.countUserSessions('kim')).toBe(0);
  });

  it('refuses a missing secret and a bad ttl', async () => {
    const client = await storeClient(redis);
    expect(() => sessionKit({ client, secret: '' })).toThrow(/secret/);
    expect(() => sessionKit({ client, secret: [] })).toThrow(/secret/);
    expect(() => sessionKit({ client, secret: SECRET, ttl: 0 })).toThrow(/ttl/);
    // And a middleware that was given one serves.
    const served = await serve(testApp(sessionKit({ client, secret: SECRET })));
    try {
      expect((await new Client(served.url).get('/untouched')).status).toBe(200);
    } finally {
      await served.close();
    }
  });
});
