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
import { createServer } from 'node:http';
import type { Context } from 'koa';
import { adapter, cleanups, DAY_MS, fillLogin, ioredis, listen, nodeRedis, SECRET, type SessionBag } from './shared.js';

/** What koa-session gets: a store (get, set, destroy) and the id maker that keeps each store's keys apart in the one Redis. */
type KoaStore = { store?: { get: (...args: never[]) => unknown }; genid?: () => string };

/**
 * koa-redis as its README sets it up: its own ioredis 4 client from the connection options. It
 * has no key prefix of its own, so the prefix goes into the id.
 */
async function koaRedis(redisUrl: string, prefix: string): Promise<KoaStore> {
  const store = (await import('koa-redis')).default({ url: redisUrl });
  cleanups.push(() => store.quit());
  return { store, genid: () => `${prefix}${randomUUID()}` };
}

async function koaKit(client: Promise<Awaited<ReturnType<typeof ioredis | typeof nodeRedis>>>, prefix: string, store = ''): Promise<KoaStore> {
  const { RedisStore } = await adapter<typeof import('@sessionkit/koa')>('koa', store);
  return { store: new RedisStore({ client: await client, prefix }) };
}

/** The stores by id; `cookie` is koa-session without a store: the whole session in the (signed) cookie. */
const STORES: Record<string, (redisUrl: string) => Promise<KoaStore>> = {
  cookie: async () => ({}),
  'koa-redis': (url) => koaRedis(url, 'kr:'),
  'koa-redis-no-rolling': (url) => koaRedis(url, 'krn:'),
  sessionkit: (url) => koaKit(ioredis(url), 'ksk:'),
  'sessionkit-node-redis': (url) => koaKit(nodeRedis(url), 'ksknr:'),
  'sessionkit@baseline': (url) => koaKit(ioredis(url), 'kskb:', 'sessionkit@baseline'),
};

export async function startKoa(storeName: string, redisUrl: string): Promise<number> {
  const Koa = (await import('koa')).default;
  const session = (await import('koa-session')).default;
  const make = STORES[storeName];
  if (!make) throw new Error(`unknown koa store ${storeName}`);
  const { store, genid } = await make(redisUrl);
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
  return listen(createServer(app.callback()));
}
