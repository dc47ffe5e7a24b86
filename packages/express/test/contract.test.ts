import express from 'express';
import express4 from 'express4';
import { promisify } from 'node:util';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { RedisStore } from '@sessionkit/express';
import { Agent, listen, sessionHandle, sessionApp, sleep, useRedis, type ExpressFactory, type Running } from './helpers.js';

const redis = useRedis();

describe.each([
  ['Express 5', express as unknown as ExpressFactory],
  ['Express 4', express4 as unknown as ExpressFactory],
])('express-session contract on %s', (_name, expressFactory) => {
  let store: RedisStore;
  let throttled: RedisStore;
  let app: Running;
  let appThrottled: Running;
  const getStored = (sid: string) => promisify(store.get.bind(store))(sid);

  beforeAll(async () => {
    const client = redis.client();
    store = new RedisStore({ client, touchAfter: 0 });
    throttled = new RedisStore({ client });
    app = await listen(sessionApp(expressFactory, store));
    appThrottled = await listen(sessionApp(expressFactory, throttled));
  });
  afterAll(async () => {
    await app?.close();
    await appThrottled?.close();
    store?.close();
    throttled?.close();
  });

  it('login sets a cookie, later requests read the session', async () => {
    const alice = new Agent(app.url);
    const login = await alice.json<{ sid: string }>('POST', '/login/alice');
    expect(login.status).toBe(200);
    expect(alice.sid).toBe(login.body.sid);
    for (let i = 0; i < 3; i++) {
      const me = await alice.json('GET', '/me');
      expect(me.body).toMatchObject({ session: true, sid: login.body.sid, userId: 'alice' });
    }
    const stored = await getStored(login.body.sid);
    expect(stored).toMatchObject({ userId: 'alice' });
    expect(await store.countUserSessions('alice')).toBeGreaterThanOrEqual(1);
  });

  it('regenerate issues a new id and the old one is unusable', async () => {
    const agent = new Agent(app.url);
    await agent.json('POST', '/count');
    const before = agent.sid!;
    expect(before).toBeTruthy();
    const stale = agent.clone();
    await agent.json('POST', '/login/carol');
    expect(agent.sid).not.toBe(before);
    expect(await getStored(before)).toBeNull();
    // The pre-login cookie now gets a fresh, anonymous session; the count is gone.
    const old = await stale.json('GET', '/me');
    expect(old.body).toMatchObject({ userId: null, n: 0 });
    expect(old.body.sid).not.toBe(before);
    expect((await agent.json('GET', '/me')).body.userId).toBe('carol');
  });

  it('req.session.destroy() without a callback destroys the session', async () => {
    const agent = new Agent(app.url);
    await agent.json('POST', '/login/dave');
    const sid = agent.sid!;
    expect((await agent.json('POST', '/logout')).status).toBe(200);
    expect(await getStored(sid)).toBeNull();
    expect((await agent.json('GET', '/me')).body.userId).toBeNull();
    expect(await store.countUserSessions('dave')).toBe(0);
  });

  it('an unchanged request touches: a later get returns the refreshed cookie expiry (touchAfter 0)', async () => {
    const agent = new Agent(app.url);
    await agent.json('POST', '/login/erin');
    const first = Date.parse(String((await getStored(agent.sid!))!.cookie.expires));
    await sleep(1100);
    await agent.json('GET', '/me');
    const second = Date.parse(String((await getStored(agent.sid!))!.cookie.expires));
    expect(second - first).toBeGreaterThanOrEqual(1000);
    expect(second).toBeGreaterThan(Date.now() + 3_590_000);
  });

  it('with the default touchAfter, a quick second request leaves the expiry alone', async () => {
    const agent = new Agent(appThrottled.url);
    await agent.json('POST', '/login/erin');
    const first = Date.parse(String((await getStored(agent.sid!))!.cookie.expires));
    await sleep(20);
    await agent.json('GET', '/me');
    expect(Date.parse(String((await getStored(agent.sid!))!.cookie.expires))).toBe(first);
  });

  it('a modified session is saved', async () => {
    const agent = new Agent(app.url);
    for (let i = 1; i <= 3; i++) expect((await agent.json('POST', '/count')).body.n).toBe(i);
    expect((await agent.json('GET', '/me')).body.n).toBe(3);
    expect((await getStored(agent.sid!))?.n).toBe(3);
  });

  it('logout everywhere else keeps the current session (except: req.sessionID) and ends the others', async () => {
    const [laptop, phone, tablet] = [new Agent(app.url), new Agent(app.url), new Agent(app.url)];
    for (const a of [laptop, phone, tablet]) await a.json('POST', '/login/frank');
    expect((await laptop.json('GET', '/sessions')).body).toHaveLength(3);
    expect((await laptop.json('POST', '/logout-others')).body.revoked).toBe(2);
    expect((await laptop.json('GET', '/me')).body.userId).toBe('frank');
    expect((await phone.json('GET', '/me')).body.userId).toBeNull();
    expect((await tablet.json('GET', '/me')).body.userId).toBeNull();
    const left = (await laptop.json<{ id: string }[]>('GET', '/sessions')).body;
    expect(left.map((s) => s.id)).toEqual([sessionHandle(laptop.sid!)]);
    // ... and logout everywhere ends the last one too.
    expect((await laptop.json('POST', '/logout-everywhere')).body.revoked).toBe(1);
    expect((await laptop.json('GET', '/me')).body.userId).toBeNull();
  });

  it("revokeUserSession revokes one's own session but refuses another user's", async () => {
    const [grace1, grace2, heidi] = [new Agent(app.url), new Agent(app.url), new Agent(app.url)];
    await grace1.json('POST', '/login/grace');
    await grace2.json('POST', '/login/grace');
    await heidi.json('POST', '/login/heidi');
    expect((await grace1.json('POST', `/revoke/${encodeURIComponent(heidi.sid!)}`)).body.revoked).toBe(false);
    expect((await heidi.json('GET', '/me')).body.userId).toBe('heidi');
    expect((await grace1.json('POST', `/revoke/${encodeURIComponent(grace2.sid!)}`)).body.revoked).toBe(true);
    expect((await grace2.json('GET', '/me')).body.userId).toBeNull();
    expect((await grace1.json('GET', '/me')).body.userId).toBe('grace');
  });

  it('keeps the generate property writable (express-session assigns it)', () => {
    // The middleware has already assigned its own generate to the store it was given.
    expect(typeof (store as unknown as { generate: unknown }).generate).toBe('function');
    // A store no middleware has touched takes the assignment too (test files are strict mode,
    // so a read-only or getter-only property would throw here rather than be silently ignored).
    const untouched = new RedisStore({ client: redis.client() });
    try {
      const sentinel = () => 'sentinel';
      (untouched as unknown as { generate: unknown }).generate = sentinel;
      expect((untouched as unknown as { generate: unknown }).generate).toBe(sentinel);
    } finally {
      untouched.close();
    }
  });
});
