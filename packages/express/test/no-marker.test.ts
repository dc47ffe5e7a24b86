import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import session from 'express-session';
import { afterEach, expect, it } from 'vitest';
import { RedisStore } from '@sessionkit/express';
import { useRedis } from '@sessionkit/testing';

/**
 * What a request loaded travels beside `req.session`, never in it (issue 23): the app's own
 * keys and the cookie are all that `Object.keys` and `JSON.stringify` show, on a loaded session
 * too, and a change saved from it still merges.
 */
const redis = useRedis();
const closers: (() => void)[] = [];
afterEach(() => {
  for (const close of closers.splice(0)) close();
});

it("req.session of a loaded session shows only the app's keys and the cookie, and its save still merges", async () => {
  const store = new RedisStore({ client: redis.client(), prefix: 'nomark:' });
  const app = express();
  app.use(session({ store, secret: 'no-marker test secret', resave: false, saveUninitialized: false }));
  app.post('/login', (req, res) => {
    (req.session as unknown as Record<string, unknown>).userId = 'ann';
    res.json({ ok: true });
  });
  app.post('/add', (req, res) => {
    (req.session as unknown as Record<string, unknown>).cart = ['tea'];
    res.json({ keys: Object.keys(req.session), json: JSON.parse(JSON.stringify(req.session)) });
  });
  app.get('/keys', (req, res) => {
    res.json({ keys: Object.keys(req.session), json: JSON.parse(JSON.stringify(req.session)) });
  });
  const server = createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  closers.push(() => server.close());
  const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  const login = await fetch(`${base}/login`, { method: 'POST' });
  await login.text();
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;

  const loaded = (await (await fetch(`${base}/keys`, { headers: { cookie } })).json()) as { keys: string[]; json: Record<string, unknown> };
  expect(loaded.keys.sort()).toEqual(['cookie', 'userId']);
  expect(Object.keys(loaded.json).sort()).toEqual(['cookie', 'userId']);

  const added = (await (await fetch(`${base}/add`, { method: 'POST', headers: { cookie } })).json()) as { keys: string[] };
  expect(added.keys.sort()).toEqual(['cart', 'cookie', 'userId']);
  const sid = decodeURIComponent(cookie.split('=')[1]!).slice(2).split('.')[0]!;
  expect((await store.core.get(sid))?.data).toMatchObject({ userId: 'ann', cart: ['tea'] });
  store.close();
});
