import { createHmac } from 'node:crypto';
import Koa2 from 'koa2';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '@sessionkit/koa';
import { Client, KEYS, sleep, startApp, useRedis } from './helpers.js';
import { sessionKey, sessionHandle } from '@sessionkit/testing';

/** koa-session 7 on a real Koa server, over real HTTP, on a real redis-server. */
const redis = useRedis();

type Running = Awaited<ReturnType<typeof startApp>>;

/** Keygrip's default signature (SHA-1 HMAC, base64url) of the cookie "koa.sess=<value>", as Koa signs it. */
const signature = (value: string) => createHmac('sha1', KEYS[0]!).update(`koa.sess=${value}`).digest('base64url');

async function signIn(url: string, user: string): Promise<Client & { sid: string }> {
  const browser = new Client(url);
  const response = await browser.post('/login', { user });
  expect(response.status).toBe(200);
  expect(response.json.sid).toBe(browser.sid);
  return browser as Client & { sid: string };
}

describe('koa-session 7 on Koa 3 with @sessionkit/koa', () => {
  let store: RedisStore;
  let server: Running;

  beforeAll(async () => {
    store = new RedisStore({ client: redis.client(), prefix: 'http:' });
    server = await startApp(store, { session: { maxAge: 3_600_000, rolling: true } });
  });
  afterAll(async () => {
    await server?.close();
  });

  it('signs in: the cookie holds the store key, Redis holds the session under the prefix, indexed by its owner', async () => {
    const browser = await signIn(server.url, 'ann');
    expect(browser.sid).toMatch(/^[0-9a-f-]{36}$/);
    expect(browser.cookies.get('koa.sess.sig')).toBeDefined();
    expect(await redis.client().exists(sessionKey(browser.sid, 'http:'))).toBe(1);
    expect((await browser.get('/me')).json).toEqual({ userId: 'ann', views: 0, sid: browser.sid });
    expect(await store.countUserSessions('ann')).toBe(1);
    // The TTL follows koa-session's maxAge (ms, on Redis's clock).
    const pttl = await redis.client().pttl(sessionKey(browser.sid, 'http:'));
    expect(pttl).toBeGreaterThan(3_590_000);
    expect(pttl).toBeLessThanOrEqual(3_600_000);
  });

  it('keeps changes across requests, and a changed-then-saved session (koa-session says changed: false) is written', async () => {
    const browser = await signIn(server.url, 'ann');
    await browser.post('/view');
    await browser.post('/view');
    expect((await browser.get('/me')).json.views).toBe(2);
    expect((await browser.post('/save', { note: 'kept' })).status).toBe(200);
    const stored = await store.get(browser.sid);
    expect(stored).toMatchObject({ userId: 'ann', views: 2, note: 'kept', _maxAge: 3_600_000 });
  });

  it('a forged or unsigned cookie does not load the session', async () => {
    const victim = await signIn(server.url, 'ann');
    const thief = new Client(server.url);
    thief.cookies.set('koa.sess', victim.sid);
    expect((await thief.get('/me')).json.userId).toBeNull();
    thief.cookies.set('koa.sess.sig', 'not-the-signature');
    expect((await thief.get('/me')).json.userId).toBeNull();
    expect((await victim.get('/me')).json.userId).toBe('ann');
  });

  it('signing in again issues a new id and the old one is dead', async () => {
    const browser = await signIn(server.url, 'ann');
    const old = new Client(server.url);
    for (const [name, value] of browser.cookies) old.cookies.set(name, value);
    const before = browser.sid;
    await browser.post('/login', { user: 'ann' });
    expect(browser.sid).not.toBe(before);
    expect((await old.get('/me')).json.userId).toBeNull();
    expect((await browser.get('/me')).json.userId).toBe('ann');
    expect(await store.get(before)).toBeNull();
  });

  it("ctx.listSessions(): the user's sessions, the current one flagged; empty when anonymous", async () => {
    const laptop = await signIn(server.url, 'bea');
    const phone = await signIn(server.url, 'bea');
    await signIn(server.url, 'cid');
    const listed = (await laptop.get('/sessions')).json as { id: string; current: boolean }[];
    expect(listed.map((s) => s.id).sort()).toEqual([laptop.sid!, phone.sid!].map(sessionHandle).sort());
    expect(listed.filter((s) => s.current).map((s) => s.id)).toEqual([sessionHandle(laptop.sid!)]);
    expect((await new Client(server.url).get('/sessions')).json).toEqual([]);
  });

  it("ctx.revokeSession(id): signs out that device, never another user's", async () => {
    const laptop = await signIn(server.url, 'dee');
    const phone = await signIn(server.url, 'dee');
    const stranger = await signIn(server.url, 'eve');
    expect((await stranger.post('/revoke', { sid: phone.sid })).json.revoked).toBe(false);
    expect((await phone.get('/me')).json.userId).toBe('dee');
    expect((await laptop.post('/revoke', { sid: phone.sid })).json.revoked).toBe(true);
    expect((await phone.get('/me')).json.userId).toBeNull();
    expect((await laptop.get('/me')).json.userId).toBe('dee');
    expect(await store.countUserSessions('dee')).toBe(1);
  });

  it('ctx.revokeSession(own id) ends this session and clears its cookie', async () => {
    const browser = await signIn(server.url, 'fay');
    const sid = browser.sid;
    expect((await browser.post('/revoke', { sid })).json.revoked).toBe(true);
    expect(browser.sid).toBeUndefined();
    expect(await store.get(sid)).toBeNull();
    expect(await store.countUserSessions('fay')).toBe(0);
  });

  it("ctx.logoutEverywhere({ keepCurrent: true }): every other session of the user ends, this one and other users' stay", async () => {
    const here = await signIn(server.url, 'gus');
    const there = await signIn(server.url, 'gus');
    const third = await signIn(server.url, 'gus');
    const bystander = await signIn(server.url, 'hal');
    expect((await here.post('/logout-everywhere', { keepCurrent: true })).json.count).toBe(2);
    expect((await there.get('/me')).json.userId).toBeNull();
    expect((await third.get('/me')).json.userId).toBeNull();
    expect((await here.get('/me')).json.userId).toBe('gus');
    expect((await bystander.get('/me')).json.userId).toBe('hal');
    expect(((await here.get('/sessions')).json as { id: string }[]).map((s) => s.id)).toEqual([sessionHandle(here.sid!)]);
  });

  it('keepCurrent right after ctx.session.regenerate() keeps the new id (a password change)', async () => {
    const here = await signIn(server.url, 'gil');
    const there = await signIn(server.url, 'gil');
    const before = here.sid;
    const response = await here.post('/password');
    expect(here.sid).not.toBe(before);
    expect(response.json).toEqual({ sid: here.sid, count: 1 });
    expect((await there.get('/me')).json.userId).toBeNull();
    expect((await here.get('/me')).json.userId).toBe('gil');
    expect(((await here.get('/sessions')).json as { id: string }[]).map((s) => s.id)).toEqual([sessionHandle(here.sid!)]);
  });

  it('ctx.logoutEverywhere(): every session of the user ends, this one included (cookie cleared, nothing saved after)', async () => {
    const here = await signIn(server.url, 'ida');
    const there = await signIn(server.url, 'ida');
    const sid = here.sid;
    expect((await here.post('/logout-everywhere')).json.count).toBe(2);
    expect(here.sid).toBeUndefined();
    expect((await there.get('/me')).json.userId).toBeNull();
    expect(await store.get(sid)).toBeNull();
    expect(await store.countUserSessions('ida')).toBe(0);
  });

  it('destroy (ctx.session = null): the key is deleted, the cookie cleared, and a replayed cookie is anonymous', async () => {
    const browser = await signIn(server.url, 'jo');
    const replay = new Client(server.url);
    for (const [name, value] of browser.cookies) replay.cookies.set(name, value);
    const sid = browser.sid;
    await browser.post('/logout');
    expect(browser.sid).toBeUndefined();
    expect(await store.get(sid)).toBeNull();
    expect((await replay.get('/me')).json.userId).toBeNull();
    expect(await store.countUserSessions('jo')).toBe(0);
  });

  it('a per-session maxAge (ctx.session.maxAge = ...) is kept and sets the TTL', async () => {
    const browser = await signIn(server.url, 'kim');
    await browser.post('/remember', { maxAge: 30 * 86_400_000 });
    const pttl = await redis.client().pttl(sessionKey(browser.sid, 'http:'));
    expect(pttl).toBeGreaterThan(29 * 86_400_000);
    // Restored on load: a later unchanged request keeps the long expiry.
    await browser.get('/me');
    expect((await store.get(browser.sid))?._maxAge).toBe(30 * 86_400_000);
  });
});

describe('expiry', () => {
  let store: RedisStore;
  beforeAll(() => {
    store = new RedisStore({ client: redis.client(), prefix: 'exp:' });
  });

  it('rolling: true slides the expiry while the user is active, and the session ends once idle', async () => {
    const server = await startApp(store, { session: { maxAge: 1200, rolling: true } });
    try {
      // keepLapsed: the cookie's Expires has whole seconds; this watches the server's expiry.
      const browser = new Client(server.url, { keepLapsed: true });
      await browser.post('/login', { user: 'lee' });
      for (let elapsed = 0; elapsed < 2400; elapsed += 300) {
        await sleep(300);
        expect((await browser.get('/me')).json.userId).toBe('lee');
      }
      await sleep(1500);
      expect((await browser.get('/me')).json.userId).toBeNull();
      expect(await store.countUserSessions('lee')).toBe(0);
    } finally {
      await server.close();
    }
  });

  it("rolling: false (koa-session's default): reads do not extend the session; it ends maxAge after its last save", async () => {
    const server = await startApp(store, { session: { maxAge: 900 } });
    try {
      const browser = new Client(server.url, { keepLapsed: true });
      await browser.post('/login', { user: 'max' });
      await sleep(500);
      expect((await browser.get('/me')).json.userId).toBe('max');
      await sleep(600);
      expect((await browser.get('/me')).json.userId).toBeNull();
    } finally {
      await server.close();
    }
  });

  it("renew: true: a read in the second half of the session's life saves it again, and it lives on", async () => {
    const server = await startApp(store, { session: { maxAge: 1000, renew: true } });
    try {
      const browser = new Client(server.url, { keepLapsed: true });
      await browser.post('/login', { user: 'pat' });
      await sleep(650);
      expect((await browser.get('/me')).json.userId).toBe('pat'); // renewed here
      await sleep(650);
      expect((await browser.get('/me')).json.userId).toBe('pat'); // 1.3 s after sign-in: renewed again
      await sleep(1400);
      expect((await browser.get('/me')).json.userId).toBeNull();
    } finally {
      await server.close();
    }
  });

  it('maxAge: "session" (a browser-session cookie): the store\'s ttl is the idle timeout', async () => {
    const short = new RedisStore({ client: redis.client(), prefix: 'browser:', ttl: 60_000 });
    const server = await startApp(short, { session: { maxAge: 'session', rolling: true } });
    try {
      // One save in the request: koa-session forgets 'session' after its first save of a request
      // (it clears the option), so a sign-in that regenerates and then saves again would not do.
      const browser = new Client(server.url);
      expect((await browser.post('/view')).json.views).toBe(1);
      expect(browser.lastSetCookie.find((c) => c.startsWith('koa.sess='))).not.toMatch(/expires=/i);
      const pttl = await redis.client().pttl(sessionKey(browser.sid!, 'browser:'));
      expect(pttl).toBeGreaterThan(55_000);
      expect(pttl).toBeLessThanOrEqual(60_000);
      expect((await browser.get('/me')).json.views).toBe(1);
      expect(await short.get(browser.sid!)).toEqual({ views: 1, _session: true });
    } finally {
      await server.close();
    }
  });
});

describe('revocation wins over requests in flight', () => {
  it('a request that loaded the session before logout-everywhere cannot write it back when it ends', async () => {
    let release!: () => void;
    let paused!: () => void;
    const loaded = new Promise<void>((resolve) => (paused = resolve));
    const store = new RedisStore({ client: redis.client(), prefix: 'race:' });
    const server = await startApp(store, {
      session: { maxAge: 3_600_000, rolling: true },
      pause: () => {
        paused();
        return new Promise<void>((resolve) => (release = resolve));
      },
    });
    try {
      const laptop = await signIn(server.url, 'sam');
      const phone = await signIn(server.url, 'sam');
      const slow = phone.post('/slow-view');
      await loaded;
      expect((await laptop.post('/logout-everywhere')).json.count).toBe(2);
      release();
      expect((await slow).status).toBe(200); // the save is refused quietly (a revoked-write event)
      expect((await phone.get('/me')).json.userId).toBeNull();
      expect(await store.countUserSessions('sam')).toBe(0);
    } finally {
      await server.close();
    }
  });

  it('maxSessionsPerUser: a third sign-in signs out the oldest device', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'cap:', maxSessionsPerUser: 2 });
    const server = await startApp(store, { session: { maxAge: 3_600_000 } });
    try {
      const first = await signIn(server.url, 'tia');
      await sleep(5);
      const second = await signIn(server.url, 'tia');
      await sleep(5);
      const third = await signIn(server.url, 'tia');
      expect((await first.get('/me')).json.userId).toBeNull();
      expect((await second.get('/me')).json.userId).toBe('tia');
      expect((await third.get('/me')).json.userId).toBe('tia');
      expect(await store.countUserSessions('tia')).toBe(2);
    } finally {
      await server.close();
    }
  });
});

describe('session data', () => {
  it("a `cookie` key of the app's own round trips, and koa-session's _expire follows the stored expiry", async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'data:' });
    const expire = Date.now() + 60_000;
    await store.set('s1', { cookie: { theme: 'dark' }, userId: 'ola', _expire: expire, _maxAge: 60_000 }, 70_000, { changed: true });
    const loaded = await store.get('s1');
    expect(loaded).toEqual({ cookie: { theme: 'dark' }, userId: 'ola', _maxAge: 60_000, _expire: expect.any(Number) });
    expect(Math.abs(loaded!._expire! - expire)).toBeLessThan(1000);
    expect(await store.countUserSessions('ola')).toBe(1);
  });
});

describe('sessions another koa-session store wrote', () => {
  it("a plain JSON string of koa-session's data (with _expire) is read, then rewritten as a SessionKit record under its owner", async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'plain:' });
    const server = await startApp(store, { session: { maxAge: 3_600_000, rolling: true } });
    try {
      // What a store that keeps koa-session's JSON as a string writes (SET key json PX maxAge).
      const sid = 'written-by-another-store';
      const sess = { userId: 'rae', views: 4, _expire: Date.now() + 3_600_000, _maxAge: 3_600_000 };
      await redis.client().set(`plain:${sid}`, JSON.stringify(sess), 'PX', 3_610_000);
      const browser = new Client(server.url);
      browser.cookies.set('koa.sess', sid);
      browser.cookies.set('koa.sess.sig', signature(sid));
      expect((await browser.get('/me')).json).toMatchObject({ userId: 'rae', views: 4 });
      // The first save (rolling: that same request) joined it to its owner's index.
      expect(await store.countUserSessions('rae')).toBe(1);
      expect((await browser.post('/view')).json.views).toBe(5);
      expect((await store.listUserSessions('rae')).map((s) => s.id)).toEqual([sessionHandle(sid)]);
      expect((await browser.get('/me')).json.views).toBe(5);
    } finally {
      await server.close();
    }
  });
});

describe('Koa 2 with koa-session 7', () => {
  it('signs in, lists, revokes and logs out everywhere as on Koa 3', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: 'koa2:' });
    const server = await startApp(store, { Koa: Koa2 as never, session: { maxAge: 3_600_000, rolling: true } });
    try {
      const laptop = await signIn(server.url, 'pia');
      const phone = await signIn(server.url, 'pia');
      const tablet = await signIn(server.url, 'pia');
      const listed = (await laptop.get('/sessions')).json as { id: string; current: boolean }[];
      expect(listed.map((s) => s.id).sort()).toEqual([laptop.sid!, phone.sid!, tablet.sid!].map(sessionHandle).sort());
      expect((await laptop.post('/revoke', { sid: tablet.sid })).json.revoked).toBe(true);
      expect((await tablet.get('/me')).json.userId).toBeNull();
      expect((await laptop.post('/logout-everywhere', { keepCurrent: true })).json.count).toBe(1);
      expect((await phone.get('/me')).json.userId).toBeNull();
      expect((await laptop.get('/me')).json.userId).toBe('pia');
    } finally {
      await server.close();
    }
  });
});

describe('Redis failures', () => {
  it('answer 503 (error.status), not 500', async () => {
    const client = redis.client({ commandTimeout: 300, maxRetriesPerRequest: 1 });
    const store = new RedisStore({ client, prefix: 'down:' });
    const server = await startApp(store, { session: { maxAge: 3_600_000 } });
    try {
      const browser = await signIn(server.url, 'quinn');
      redis.server.pause();
      let status: number;
      try {
        status = (await browser.get('/me')).status;
      } finally {
        redis.server.resume();
      }
      expect(status).toBe(503);
      expect((await browser.get('/me')).json.userId).toBe('quinn');
    } finally {
      await server.close();
    }
  });
});
