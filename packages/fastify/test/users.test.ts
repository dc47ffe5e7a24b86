import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify from 'fastify';
import { RedisStore, sessionKitPlugin, type RedisStoreOptions } from '@sessionkit/fastify';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { Client, SECRET, startApp, useRedis } from './helpers.js';
import { sessionHandle } from '@sessionkit/testing';

const redis = useRedis();

describe('per-user sessions over real HTTP', () => {
  let store: RedisStore;
  let server: Awaited<ReturnType<typeof startApp>>;
  let other: Awaited<ReturnType<typeof startApp>>;

  beforeAll(async () => {
    const options: RedisStoreOptions = { prefix: 'users:', meta: (s) => (s.note ? { note: s.note } : undefined) };
    store = new RedisStore({ client: redis.client(), ...options });
    server = await startApp(store, { session: { cookie: { maxAge: 3_600_000 } } });
    // A second instance with its own client: any instance serves any session.
    other = await startApp(new RedisStore({ client: redis.client(), ...options }), { session: { cookie: { maxAge: 3_600_000 } } });
  });
  afterAll(async () => {
    await server?.close();
    await other?.close();
  });

  async function signIn(user: string, base = server.url): Promise<Client & { sid: string }> {
    const browser = new Client(base) as Client & { sid: string };
    browser.sid = (await browser.post('/login', { user })).json.sid;
    return browser;
  }

  it('logout everywhere except the current session, from another instance', async () => {
    const phone = await signIn('ann');
    const laptop = await signIn('ann', other.url);
    const tablet = await signIn('ann');
    const bob = await signIn('bob');
    expect(await store.countUserSessions('ann')).toBe(3);

    const { json } = await laptop.post('/logout-everywhere', { keepCurrent: true });
    expect(json.count).toBe(2);
    expect((await phone.get('/me')).json.userId).toBeNull();
    expect((await tablet.get('/me')).json.userId).toBeNull();
    expect((await laptop.get('/me')).json.userId).toBe('ann');
    expect((await bob.get('/me')).json.userId).toBe('bob');
    expect((await store.listUserSessions('ann')).map((s) => s.id)).toEqual([sessionHandle(laptop.sid)]);
  });

  it('logout everywhere including the current session', async () => {
    const a = await signIn('cid');
    const b = await signIn('cid', other.url);
    const { json } = await a.post('/logout-everywhere', { keepCurrent: false });
    expect(json.count).toBe(2);
    expect((await a.get('/me')).json.userId).toBeNull();
    expect((await b.get('/me')).json.userId).toBeNull();
    expect(await store.countUserSessions('cid')).toBe(0);
  });

  it('store.invalidateAllUserSessions(userId, { except }) is the same without the plugin', async () => {
    const keep = await signIn('dora');
    const lose = await signIn('dora');
    expect(await store.invalidateAllUserSessions('dora', { except: keep.sid })).toBe(1);
    expect((await keep.get('/me')).json.userId).toBe('dora');
    expect((await lose.get('/me')).json.userId).toBeNull();
  });

  it("lists the signed-in user's sessions, the current one flagged, with meta", async () => {
    const first = await signIn('eve');
    const second = await signIn('eve', other.url);
    const list = (await second.get('/sessions')).json as { id: string; current: boolean; createdAt: number; expiresAt: number }[];
    expect(list.map((s) => s.id).sort()).toEqual([first.sid, second.sid].map(sessionHandle).sort());
    expect(list.find((s) => s.current)?.id).toBe(sessionHandle(second.sid));
    for (const s of list) expect(s.expiresAt).toBeGreaterThan(Date.now() + 3_500_000);
    expect((await new Client(server.url).get('/sessions')).json).toEqual([]);
  });

  it("revokes one of the user's own sessions; the revoked browser is signed out", async () => {
    const keep = await signIn('finn');
    const lost = await signIn('finn');
    expect((await keep.post('/revoke', { sid: lost.sid })).json.revoked).toBe(true);
    expect((await lost.get('/me')).json.userId).toBeNull();
    expect((await keep.get('/me')).json.userId).toBe('finn');
    expect(await store.countUserSessions('finn')).toBe(1);
  });

  it("revokeUserSession refuses another user's session", async () => {
    const victim = await signIn('gwen');
    const attacker = await signIn('hugo');
    expect((await attacker.post('/revoke', { sid: victim.sid })).json.revoked).toBe(false);
    expect(await store.revokeUserSession('hugo', victim.sid)).toBe(false);
    expect((await victim.get('/me')).json.userId).toBe('gwen');
    expect(await store.revokeUserSession('gwen', victim.sid)).toBe(true);
    expect((await victim.get('/me')).json.userId).toBeNull();
  });

  it('a request that loaded a session before logout-everywhere cannot write it back', async () => {
    let release!: () => void;
    let loaded!: () => void;
    const isLoaded = new Promise<void>((resolve) => (loaded = resolve));
    const gate = new Promise<void>((resolve) => (release = resolve));
    const racy = await startApp(store, {
      session: { cookie: { maxAge: 3_600_000 } },
      plugin: false,
      pause: async () => {
        loaded();
        await gate;
      },
    });
    try {
      const browser = await signIn('ivy', racy.url);
      const inFlight = browser.post('/slow-view');
      await isLoaded;
      expect(await store.invalidateAllUserSessions('ivy')).toBe(1);
      release();
      expect((await inFlight).status).toBe(200);
      // Its save (views + 1) hit the tombstone: the session stays gone.
      expect(await store.countUserSessions('ivy')).toBe(0);
      expect((await browser.get('/me')).json.userId).toBeNull();
    } finally {
      await racy.close();
    }
  });

  it('keeps device meta from the `meta` option in the listing', async () => {
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(fastifySession, { secret: SECRET, store, cookie: { secure: false } });
    await app.register(sessionKitPlugin, { store });
    app.post('/login', async (request) => {
      await request.session.regenerate();
      request.session.userId = 'jade';
      request.session.note = `ua:${request.headers['user-agent']}`;
      return { sid: request.session.sessionId };
    });
    app.get('/sessions', (request) => request.listSessions());
    await app.listen({ port: 0, host: '127.0.0.1' });
    try {
      const address = app.server.address() as { port: number };
      const browser = new Client(`http://127.0.0.1:${address.port}`);
      await browser.post('/login');
      const [listed] = (await browser.get('/sessions')).json;
      expect(listed.meta).toEqual({ note: 'ua:node' });
      expect(listed.current).toBe(true);
    } finally {
      await app.close();
    }
  });

  it('maxSessionsPerUser evicts the oldest session', async () => {
    const capped = new RedisStore({ client: redis.client(), prefix: 'cap:', maxSessionsPerUser: 2 });
    const app = await startApp(capped, { session: { cookie: { maxAge: 3_600_000 } } });
    try {
      const first = await signIn('kim', app.url);
      await signIn('kim', app.url);
      await signIn('kim', app.url);
      expect(await capped.countUserSessions('kim')).toBe(2);
      expect((await first.get('/me')).json.userId).toBeNull();
    } finally {
      await app.close();
    }
  });

  it('the plugin refuses to register without a store', async () => {
    const app = Fastify();
    await app.register(fastifyCookie);
    await app.register(fastifySession, { secret: SECRET, cookie: { secure: false } });
    await expect(app.register(sessionKitPlugin, {} as never).ready()).rejects.toThrow(/needs \{ store \}/);
    await app.close();
  });
});
