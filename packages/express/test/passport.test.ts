import express from 'express';
import session from 'express-session';
import passport from 'passport';
import { describe, expect, it } from 'vitest';
import { RedisStore } from '@sessionkit/express';
import { Agent, listen, SECRET, sessionHandle, useRedis } from './helpers.js';

const redis = useRedis();
let n = 0;

interface User {
  id: string;
  name: string;
}

/** A real Express + express-session + Passport 0.7 app: `req.login` keeps the user in `session.passport.user`. */
async function passportApp(store: RedisStore, serialize: (user: User) => unknown) {
  const authenticator = new passport.Passport();
  authenticator.serializeUser((user, done) => done(null, serialize(user as User) as never));
  authenticator.deserializeUser((stored: unknown, done) => done(null, { stored }));
  const app = express();
  app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false }));
  app.use(authenticator.session());
  app.post('/login/:id', (req, res, next) => {
    req.login({ id: req.params.id, name: `user ${req.params.id}` } satisfies User, (err) => (err ? next(err) : res.sendStatus(204)));
  });
  app.post('/logout', (req, res, next) => req.logout((err) => (err ? next(err) : res.sendStatus(204))));
  app.get('/me', (req, res) => res.json({ user: req.user ?? null }));
  return listen(app);
}

describe('Passport', () => {
  it("indexes sessions under Passport's session.passport.user with no option, so logout-everywhere reaches them", async () => {
    const store = new RedisStore({ client: redis.client(), prefix: `passport${++n}:` });
    const server = await passportApp(store, (user) => user.id);
    try {
      const laptop = new Agent(server.url);
      const phone = new Agent(server.url);
      expect((await laptop.request('POST', '/login/u-1')).status).toBe(204);
      expect((await phone.request('POST', '/login/u-1')).status).toBe(204);
      expect((await laptop.json('GET', '/me')).body).toEqual({ user: { stored: 'u-1' } });
      expect(await store.countUserSessions('u-1')).toBe(2);
      expect((await store.listUserSessions('u-1')).map((s) => s.id).sort()).toEqual([laptop.sid!, phone.sid!].map(sessionHandle).sort());

      expect(await store.invalidateAllUserSessions('u-1', { except: laptop.sid! })).toBe(1);
      expect((await phone.json('GET', '/me')).body).toEqual({ user: null });
      expect((await laptop.json('GET', '/me')).body).toEqual({ user: { stored: 'u-1' } });

      // Passport's logout deletes session.passport.user: the session leaves the index.
      expect((await laptop.request('POST', '/logout')).status).toBe(204);
      expect(await store.countUserSessions('u-1')).toBe(0);
    } finally {
      await server.close();
      store.close();
    }
  });

  it('with the whole user serialized, a userId finder says where the id is; a finder returning the object fails the sign-in clearly', async () => {
    const found = new RedisStore({
      client: redis.client(),
      prefix: `passport${++n}:`,
      userId: (s) => (s.passport as { user?: User } | undefined)?.user?.id,
    });
    const good = await passportApp(found, (user) => user);
    const wrong = new RedisStore({
      client: redis.client(),
      prefix: `passport${++n}:`,
      userId: (s) => (s.passport as { user?: never } | undefined)?.user,
    });
    const bad = await passportApp(wrong, (user) => user);
    try {
      expect((await new Agent(good.url).request('POST', '/login/u-2')).status).toBe(204);
      expect(await found.countUserSessions('u-2')).toBe(1);
      // The first save fails (500 through Express's error handler) instead of an anonymous session.
      const res = await new Agent(bad.url).request('POST', '/login/u-3');
      expect(res.status).toBe(500);
      expect(await res.text()).toContain('the userId option returned an object');
      expect(await wrong.sessions.length()).toBe(0);
    } finally {
      await good.close();
      await bad.close();
      found.close();
      wrong.close();
    }
  });

  it('takes connectionEvents as its own option: no unknown-option warning, and a misspelt one is named', async () => {
    const seen: Error[] = [];
    const listener = (w: Error) => seen.push(w);
    process.on('warning', listener);
    try {
      new RedisStore({ client: redis.client(), connectionEvents: false }).close();
      new RedisStore({ client: redis.client(), conectionEvents: false } as never).close();
      await new Promise((resolve) => setImmediate(resolve));
    } finally {
      process.off('warning', listener);
    }
    expect(seen.filter((w) => w.name === 'SessionKitWarning').map((w) => w.message)).toEqual([
      expect.stringMatching(/^RedisStore: unknown option conectionEvents is ignored; did you mean connectionEvents\?/),
    ]);
  });
});

describe('owners that are not ids', () => {
  /**
   * Each visit saves a session; `/as/:id` keeps `Number(id)` as the owner, as an app might. Both
   * save before responding, so that a refused save is the response (a 500), as with `req.login`.
   */
  async function numberApp(store: RedisStore) {
    const app = express();
    app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false }));
    app.post('/visit', (req, res, next) => {
      (req.session as unknown as { visits: number }).visits = 1;
      req.session.save((err) => (err ? next(err) : res.sendStatus(204)));
    });
    app.post('/as/:id', (req, res, next) => {
      (req.session as unknown as { userId: number }).userId = Number(req.params.id);
      req.session.save((err) => (err ? next(err) : res.sendStatus(204)));
    });
    app.use((err: Error & { code?: string }, _req: express.Request, res: express.Response, _next: express.NextFunction) => {
      res.status(500).json({ code: err.code, message: err.message });
    });
    return listen(app);
  }

  it('a userId option that returns NaN or Infinity fails the save with ERR_INVALID_USER_ID, as core does; nothing is indexed under "NaN"', async () => {
    for (const found of [Number.NaN, Number.POSITIVE_INFINITY]) {
      // A cap of one: were NaN an owner, these unrelated visitors would evict each other.
      const store = new RedisStore({ client: redis.client(), prefix: `nan${++n}:`, maxSessionsPerUser: 1, userId: () => found });
      const server = await numberApp(store);
      try {
        for (const visitor of [new Agent(server.url), new Agent(server.url)]) {
          const res = await visitor.request('POST', '/visit');
          expect(res.status).toBe(500);
          expect(await res.json()).toMatchObject({ code: 'ERR_INVALID_USER_ID', message: expect.stringContaining(String(found)) });
        }
        expect(await store.sessions.length()).toBe(0);
        expect(await store.countUserSessions(String(found))).toBe(0);
      } finally {
        await server.close();
        store.close();
      }
    }
  });

  it('the default finder takes a NaN session.userId for no owner (JSON stores it as null): no index "NaN", and real ids still work', async () => {
    const store = new RedisStore({ client: redis.client(), prefix: `nan${++n}:`, maxSessionsPerUser: 1 });
    const server = await numberApp(store);
    try {
      const a = new Agent(server.url);
      const b = new Agent(server.url);
      expect((await a.request('POST', '/as/not-a-number')).status).toBe(204);
      expect((await b.request('POST', '/as/not-a-number')).status).toBe(204);
      expect(await store.countUserSessions('NaN')).toBe(0);
      // Both sessions are kept: no cap was applied between them.
      expect(await store.sessions.length()).toBe(2);
      expect((await a.request('POST', '/as/42')).status).toBe(204);
      expect((await store.listUserSessions(42)).map((s) => s.id)).toEqual([sessionHandle(a.sid!)]);
    } finally {
      await server.close();
      store.close();
    }
  });
});
