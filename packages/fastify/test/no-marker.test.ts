import fastifyCookie from '@fastify/cookie';
import fastifySession from '@fastify/session';
import Fastify from 'fastify';
import { afterEach, expect, it } from 'vitest';
import { RedisStore, sessionKitPlugin } from '@sessionkit/fastify';
import { readRecordData, useRedis } from '@sessionkit/testing';

/**
 * @fastify/session copies a loaded session's keys onto its own Session, so the ticket of what
 * was loaded rides in the data; its JSON is empty, and sessionKitPlugin takes it off
 * request.session before the route runs (issue 23).
 */
const redis = useRedis();
const closers: (() => Promise<unknown>)[] = [];
afterEach(async () => {
  for (const close of closers.splice(0)) await close();
});

it("with sessionKitPlugin, request.session of a loaded session shows only the app's keys and the cookie; its save still merges", async () => {
  const store = new RedisStore({ client: redis.client(), prefix: 'nomark-f:' });
  const app = Fastify();
  await app.register(fastifyCookie);
  await app.register(fastifySession, { secret: 'a-no-marker-test-secret-of-32-characters', store, cookie: { secure: false } });
  await app.register(sessionKitPlugin, { store });
  const view = (session: object) => ({ keys: Object.keys(session), json: JSON.parse(JSON.stringify(session)) as Record<string, unknown> });
  app.post('/login', async (request) => {
    request.session.set('userId' as never, 'ann' as never);
    return { ok: true };
  });
  app.get('/keys', async (request) => view(request.session));
  app.post('/add', async (request) => {
    request.session.set('cart' as never, ['tea'] as never);
    return view(request.session);
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  closers.push(() => app.close());
  const address = app.server.address();
  const base = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  const login = await fetch(`${base}/login`, { method: 'POST' });
  await login.text();
  const cookie = login.headers.getSetCookie()[0]!.split(';')[0]!;

  const loaded = (await (await fetch(`${base}/keys`, { headers: { cookie } })).json()) as ReturnType<typeof view>;
  expect(loaded.keys.sort()).toEqual(['cookie', 'userId']);
  expect(Object.keys(loaded.json).sort()).toEqual(['cookie', 'userId']);

  const added = (await (await fetch(`${base}/add`, { method: 'POST', headers: { cookie } })).json()) as ReturnType<typeof view>;
  expect(added.keys.sort()).toEqual(['cart', 'cookie', 'userId']);
  // ids() lists handles (hashed ids), which are keys' names, never session ids: read the record by key.
  const ids = await store.ids();
  expect(ids).toHaveLength(1);
  expect(JSON.parse(await readRecordData(redis.client(), `nomark-f:${ids[0]}`))).toMatchObject({ userId: 'ann', cart: ['tea'] });
});
