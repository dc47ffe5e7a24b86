/**
 * Koa 3 + koa-session 7 with one session store, for bench/app-server.ts. Same routes and session
 * contents as the Express and Fastify apps.
 *
 * koa-session runs with `rolling: true` (as examples/koa-app does) for every store but one: each response
 * re-sends the cookie and saves the unchanged session, so that a read slides the session's expiry
 * as express-session's touch and @fastify/session's rolling save do in the other apps. With
 * koa-session's default (`rolling: false`) no store writes anything on a read and the session
 * expires a day after its last change, however active its user: `koa-redis-no-rolling` is
 * koa-redis that way, for the reader whose app keeps the default.
 */
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import type { Context } from 'koa';
import { cleanups, DAY_MS, fillLogin, ioredis, nodeRedis, SECRET, type SessionBag } from './shared.js';

/** koa-session's `store` contract (get, set, destroy), as each store fulfils it. */
type KoaSessionStore = { get: (...args: never[]) => unknown; set: (...args: never[]) => unknown; destroy: (...args: never[]) => unknown };

/** The store koa-session gets, and the id maker that keeps each store's keys apart in the one Redis. */
async function koaStore(storeName: string, redisUrl: string): Promise<{ store?: KoaSessionStore; genid?: () => string }> {
  switch (storeName) {
    case 'cookie':
      // koa-session without a store keeps the whole session in the (signed) cookie.
      return {};
    case 'koa-redis':
    case 'koa-redis-no-rolling': {
      // As its README sets it up: its own ioredis 4 client from the connection options. It has no
      // key prefix of its own, so the prefix goes into the id.
      const redisStore = (await import('koa-redis')).default;
      const store = redisStore({ url: redisUrl });
      cleanups.push(() => store.quit());
      const prefix = storeName === 'koa-redis' ? 'kr:' : 'krn:';
      return { store, genid: () => `${prefix}${randomUUID()}` };
    }
    case 'sessionkit': {
      const { RedisStore } = await import('@sessionkit/koa');
      return { store: new RedisStore({ client: await ioredis(redisUrl), prefix: 'ksk:' }) };
    }
    case 'sessionkit-node-redis': {
      const { RedisStore } = await import('@sessionkit/koa');
      const client = (await nodeRedis(redisUrl)) as unknown as ConstructorParameters<typeof RedisStore>[0]['client'];
      return { store: new RedisStore({ client, prefix: 'ksknr:' }) };
    }
    default:
      throw new Error(`unknown koa store ${storeName}`);
  }
}

export async function startKoa(storeName: string, redisUrl: string): Promise<number> {
  const Koa = (await import('koa')).default;
  const session = (await import('koa-session')).default;
  const { store, genid } = await koaStore(storeName, redisUrl);
  const app = new Koa();
  app.keys = [SECRET];
  app.use(
    session({ maxAge: DAY_MS, rolling: storeName !== 'koa-redis-no-rolling', ...(store ? { store: store as never } : {}), ...(genid ? { genid } : {}) }, app),
  );
  const bag = (ctx: Context) => ctx.session as unknown as SessionBag;
  app.use(async (ctx) => {
    if (ctx.path === '/login') {
      fillLogin(bag(ctx), String(ctx.query.u ?? '0'));
      ctx.body = { ok: true };
      return;
    }
    if (ctx.path !== '/read' && ctx.path !== '/write') return; // Koa answers 404
    const s = bag(ctx);
    if (!s.userId) {
      ctx.status = 401;
      ctx.body = { ok: false };
      return;
    }
    if (ctx.path === '/write') s.counter = (s.counter ?? 0) + 1;
    ctx.body = { user: s.userId, counter: s.counter };
  });
  const server = await new Promise<ReturnType<typeof app.listen>>((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  server.keepAliveTimeout = 60_000;
  cleanups.unshift(() => new Promise((resolve) => server.close(resolve)));
  cleanups.unshift(() => server.closeAllConnections());
  return (server.address() as AddressInfo).port;
}
