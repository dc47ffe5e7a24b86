import { createHmac } from 'node:crypto';
import fastifyCookie from '@fastify/cookie';
import fastifySession, { type FastifySessionOptions } from '@fastify/session';
import Fastify, { type FastifyInstance } from 'fastify';
import fc from 'fast-check';
import { afterAll, describe, expect, it } from 'vitest';
import { hashId } from '@sessionkit/core';
import { RedisStore, type RedisStoreOptions } from '@sessionkit/fastify';
import { defineHostileCookieSuite, defineTamperSuite, forgedCookieHeader, sessionHandle, type SecurityApp } from '@sessionkit/testing';
import { Client, SECRET, sleep, useRedis } from './helpers.js';

/**
 * Security behaviour of @sessionkit/fastify over real HTTP (Fastify 5 + @fastify/session with its
 * defaults: rolling, saveUninitialized) and a real redis-server: hostile cookies (property-based),
 * tampered stored values, idle and absolute timeouts, the logout-everywhere recipe and the
 * per-user cap. docs/security.md maps these tests to OWASP ASVS 5.0 V7. "Sign out other devices"
 * is in users.test.ts; corrupt values' log lines in resiliency.test.ts.
 */
const redis = useRedis();

/** A small app: sign-in with regenerate, a JSON "who am I", the password-change recipe. */
async function secureApp(store: RedisStore, cookie: FastifySessionOptions['cookie'] = { maxAge: 60_000 }): Promise<FastifyInstance> {
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret: SECRET, store, cookie: { secure: false, ...cookie } });
  app.post<{ Params: { user: string } }>('/login/:user', async (request, reply) => {
    await request.session.regenerate();
    request.session.userId = request.params.user;
    try {
      await request.session.save();
    } catch (error) {
      if ((error as { code?: string }).code !== 'ERR_SESSION_LIMIT') throw error;
      // Refused by maxSessionsPerUser 'reject': drop the new session so the reply does not save it.
      await request.session.destroy();
      return reply.code(409).send({ code: 'ERR_SESSION_LIMIT' });
    }
    return { sid: request.session.sessionId };
  });
  app.get('/me', async (request) => ({
    sid: request.session.sessionId,
    userId: request.session.userId ?? null,
    keys: Object.keys(request.session).sort(),
    // Global pollution, or a key read through a replaced session prototype.
    polluted:
      ({} as Record<string, unknown>).polluted ??
      (request.session as unknown as Record<string, unknown>).polluted ??
      (request.session as unknown as Record<string, unknown>).isAdmin ??
      null,
  }));
  app.post('/note', async (request) => {
    request.session.note = 'changed';
    return { ok: true };
  });
  app.post('/logout', async (request) => {
    await request.session.destroy();
    return { ok: true };
  });
  // docs/fastify.md recipe: after a password change, sign out every other device, fresh id here.
  app.post('/password', async (request, reply) => {
    const userId = request.session.userId;
    if (!userId) return reply.code(401).send({ code: 'SIGNED_OUT' });
    const revoked = await store.invalidateAllUserSessions(userId, { except: request.session.sessionId });
    await request.session.regenerate();
    request.session.userId = userId;
    return { revoked, sid: request.session.sessionId };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  return app;
}

const apps: FastifyInstance[] = [];
async function start(options: Partial<RedisStoreOptions> = {}, cookie?: FastifySessionOptions['cookie']) {
  const store = new RedisStore({ client: redis.client(), ...options });
  const app = await secureApp(store, cookie);
  apps.push(app);
  const { port } = app.server.address() as { port: number };
  return { store, app, url: `http://127.0.0.1:${port}` };
}
afterAll(async () => {
  await Promise.all(apps.map((a) => a.close()));
});

async function signIn(url: string, user: string): Promise<Client & { sid: string }> {
  const browser = new Client(url) as Client & { sid: string };
  const res = await browser.post(`/login/${user}`);
  if (res.status !== 200) throw new Error(`sign-in failed: ${res.status}`);
  browser.sid = res.json.sid;
  return browser;
}
const me = async (browser: Client) => (await browser.get('/me')).json as { sid: string; userId: string | null; keys: string[]; polluted: unknown };

const sign = (id: string, secret = SECRET) => `${id}.${createHmac('sha256', secret).update(id).digest('base64').replace(/=+$/, '')}`;

/** The app as the shared security suites drive it, on a new store. */
const securityApp = (options: Partial<RedisStoreOptions> = {}): SecurityApp<Client> => ({
  redis,
  start: () => start(options),
  browser: (url) => new Client(url),
  routes: { signIn: '/login/:user', whoAmI: '/me', saveNote: '/note' },
});

defineHostileCookieSuite({
  ...securityApp(),
  titles: {
    forged:
      'random cookie values (glob characters, hash tags, long strings, unicode, near-misses of a real cookie) never crash the server, never reach the store, always get a fresh anonymous session',
    signed: 'validly signed but hostile ids (as a custom idGenerator might make) reach the store as exact keys: no session, no error, never the victim',
  },
  // saveUninitialized (the default): each forgery gets a new anonymous session, under its own new id.
  forgedCookies: (victimId) =>
    forgedCookieHeader(
      'sessionId',
      fc
        .oneof(
          fc.constant(victimId),
          fc.string({ maxLength: 44 }).map((sig) => `${victimId}.${sig}`),
          fc.string({ minLength: 1, maxLength: 8 }).map((extra) => sign(victimId).slice(0, -1) + extra),
          fc.constant(sign(victimId, 'another secret that is at least 32 chars')),
          fc.constant(`s:${sign(victimId)}`),
          fc.constant(sign(`{user-alice}*`, 'another secret that is at least 32 chars')),
        )
        // A near miss, never the real cookie by chance: one extra character equal to the one cut
        // off rebuilds it (about 1 in 800 of that branch's values; it failed a CI run).
        .filter((value) => value !== sign(victimId)),
    ),
  signedCookie: (id) => `sessionId=${encodeURIComponent(sign(id))}`,
  // None is validly signed, so @fastify/session never asks the store for any of them.
  forgedReach: 'nothing',
  signedReach: 'exact keys',
});

// rolling (the default) saves on every request, but an unchanged session only has its expiry
// moved, so the oversized value still loads; only /note makes it a write.
defineTamperSuite({ ...securityApp({ maxPayloadBytes: 64 * 1024 }), hashId, cookie: 'required' });

describe('timeouts, end to end', () => {
  it('idle timeout: activity keeps the session past its maxAge (rolling); after maxAge of inactivity it is gone (and its index entry with it)', async () => {
    const { url, store } = await start({}, { maxAge: 2000 });
    const browser = await signIn(url, 'idle-user');
    for (let i = 0; i < 8; i++) {
      await sleep(300);
      expect((await me(browser)).userId).toBe('idle-user');
    }
    await sleep(3000);
    expect((await me(browser)).userId).toBeNull();
    expect(await store.countUserSessions('idle-user')).toBe(0);
  });

  it('absolute timeout: the session ends absoluteTimeout after sign-in, however active it is', async () => {
    const { url } = await start({ absoluteTimeout: 2500 }, { maxAge: 60_000 });
    const loginStarted = Date.now();
    const browser = await signIn(url, 'abs-user');
    let signedOutAt = 0;
    let activeRequests = 0;
    while (!signedOutAt && Date.now() - loginStarted < 8000) {
      await sleep(250);
      if ((await me(browser)).userId === 'abs-user') activeRequests++;
      else signedOutAt = Date.now();
    }
    expect(signedOutAt).toBeGreaterThan(0);
    expect(signedOutAt - loginStarted).toBeGreaterThanOrEqual(2500);
    expect(activeRequests).toBeGreaterThanOrEqual(3);
    await browser.post('/login/abs-user');
    expect((await me(browser)).userId).toBe('abs-user');
  });
});

describe('logout-everywhere after a password change (the documented recipe)', () => {
  it('signs out every other device, keeps this one with a fresh id, and leaves other users alone', async () => {
    const { url, store } = await start();
    const devices = [await signIn(url, 'pw-user'), await signIn(url, 'pw-user'), await signIn(url, 'pw-user')];
    const bob = await signIn(url, 'pw-bob');
    const oldCookie = new Client(url);
    oldCookie.cookies.set('sessionId', devices[0]!.sessionCookie!);

    const res = await devices[0]!.post('/password');
    expect(res.status).toBe(200);
    expect(res.json.revoked).toBe(2);
    expect(res.json.sid).not.toBe(devices[0]!.sid);
    expect(await me(devices[0]!)).toMatchObject({ userId: 'pw-user', sid: res.json.sid });
    expect((await me(devices[1]!)).userId).toBeNull();
    expect((await me(devices[2]!)).userId).toBeNull();
    expect((await me(oldCookie)).userId).toBeNull(); // the pre-change id is dead too
    expect((await me(bob)).userId).toBe('pw-bob');
    expect((await store.listUserSessions('pw-user')).map((s) => s.id)).toEqual([sessionHandle(res.json.sid)]);
  });
});

describe('cap on concurrent sessions per user', () => {
  it("'evict-oldest': a third sign-in signs out the least recently active device; the evict event names it by hash", async () => {
    const { url, store } = await start({ maxSessionsPerUser: 2 });
    const evicted: string[][] = [];
    store.core.on('evict', ({ idHashes }) => void evicted.push(idHashes));
    const devices: (Client & { sid: string })[] = [];
    for (let i = 0; i < 3; i++) {
      devices.push(await signIn(url, 'capped'));
      await sleep(20); // distinct expiries: the first device is the oldest
    }
    expect((await me(devices[0]!)).userId).toBeNull();
    expect((await me(devices[1]!)).userId).toBe('capped');
    expect((await me(devices[2]!)).userId).toBe('capped');
    expect(evicted).toEqual([[hashId(devices[0]!.sid)]]);
    expect(await store.countUserSessions('capped')).toBe(2);
  });

  it("'reject': a third sign-in is refused (409, nothing kept, no cookie) until a device signs out", async () => {
    const { url, store } = await start({ maxSessionsPerUser: 2, sessionLimitPolicy: 'reject' });
    const first = await signIn(url, 'strict');
    const second = await signIn(url, 'strict');
    const third = new Client(url);
    const refused = await third.post('/login/strict');
    expect(refused.status).toBe(409);
    expect(refused.json).toEqual({ code: 'ERR_SESSION_LIMIT' });
    expect(third.sessionCookie).toBeUndefined();
    expect((await me(first)).userId).toBe('strict');
    expect((await me(second)).userId).toBe('strict');
    expect(await store.countUserSessions('strict')).toBe(2);

    await first.post('/logout');
    expect((await third.post('/login/strict')).status).toBe(200);
    expect((await me(third)).userId).toBe('strict');
  });
});
