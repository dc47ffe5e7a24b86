/**
 * Child process: one HTTP app (Express 5 + express-session, Fastify 5 + @fastify/session, and
 * in bench/apps/ Koa 3 + koa-session, React Router 7, Hono 4 and Next.js 16) with one session store, listening on a
 * free loopback port. Started by bench/http.ts with
 *   node --import tsx bench/app-server.ts <express|fastify|koa|react-router|hono|next> <store> <redisUrl>
 * and reports `{ port }` over IPC; `{ type: 'stop' }` closes it.
 *
 * Routes (all GET, so autocannon needs no body):
 *   /login?u=N  creates a signed-in session for user N (as a real login would)
 *   /read       reads the session, changes nothing (401 without a session)
 *   /write      increments a counter in the session (401 without a session)
 *
 * Why a child process: on a 2-core machine the load generator (autocannon, in the parent) and
 * the server must not share one event loop, or every request would also pay for the load
 * generator's work and the server's throughput would be capped by it. Redis runs as a third
 * process; all three share the 2 cores, as they would on a small VM.
 */
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { floorStore } from './apps/floor-store.js';
import { startHono } from './apps/hono.js';
import { startKoa } from './apps/koa.js';
import { startNext } from './apps/next.js';
import { startReactRouter } from './apps/react-router.js';
import {
  adapter,
  AT_REST,
  AT_REST_NOTES,
  atRestOptions,
  cleanups,
  DAY_MS,
  fillLogin,
  ioredis as ioredisClient,
  listen,
  nodeRedis as nodeRedisClient,
  SECRET,
  type SessionBag,
} from './apps/shared.js';

const [framework, storeName, redisUrl] = process.argv.slice(2) as [string, string, string];
const ioredis = () => ioredisClient(redisUrl);
const nodeRedis = () => nodeRedisClient(redisUrl);

type KitOptions = { prefix: string; touchAfter?: number } & Omit<NonNullable<ReturnType<typeof atRestOptions>>, 'prefix'>;

async function expressKit(client: typeof ioredis | typeof nodeRedis, options: KitOptions) {
  const { RedisStore } = await adapter<typeof import('@sessionkit/express')>('express', storeName);
  const store = new RedisStore({ client: await client(), ...options });
  cleanups.push(() => store.close());
  return store;
}

async function fastifyKit(client: typeof ioredis | typeof nodeRedis, options: KitOptions) {
  const { RedisStore } = await adapter<typeof import('@sessionkit/fastify')>('fastify', storeName);
  return new RedisStore({ client: await client(), ...options });
}

/** The BENCH_AT_REST rows (see AT_REST): the same adapter on ioredis, each with its options. */
const atRest = (kit: typeof expressKit | typeof fastifyKit, framework: string) =>
  Object.fromEntries(AT_REST.map((row) => [row.id, () => kit(ioredis, atRestOptions(framework, row.id)!)]));

/** The BENCH_FLOOR rows (see bench/apps/floor-store.ts): connect-redis 8 and 9 saving through the floor script. */
const floorRows = (prefix: string) => ({
  'connect-redis8-floor': async () => {
    const client = await ioredis();
    return floorStore((await import('connect-redis')).RedisStore, client, (args) => client.call(args[0]!, ...args.slice(1)), `${prefix}fl8:`);
  },
  'connect-redis9-floor': async () => {
    const client = await nodeRedis();
    return floorStore((await import('connect-redis9')).RedisStore, client, (args) => client.sendCommand(args), `${prefix}fl9:`);
  },
});

/** The login of every app: the at-rest rows' session padded to about 1 KB. */
function login(session: SessionBag, u: string): void {
  fillLogin(session, u);
  if (atRestOptions(framework, storeName)) session.notes = AT_REST_NOTES;
}

/** The stores of the Express and Fastify apps by id, each with its own key prefix; `undefined` is @fastify/session's own MemoryStore. */
const STORES: Record<'express' | 'fastify', Record<string, () => Promise<unknown>>> = {
  express: {
    memory: async () => new (await import('express-session')).default.MemoryStore(),
    'connect-redis9': async () => new (await import('connect-redis9')).RedisStore({ client: await nodeRedis(), prefix: 'cr9:' }),
    'connect-redis8': async () => new (await import('connect-redis')).RedisStore({ client: await ioredis(), prefix: 'cr8:' }),
    sessionkit: () => expressKit(ioredis, { prefix: 'sk:' }),
    'sessionkit-touch0': () => expressKit(ioredis, { prefix: 'sk:', touchAfter: 0 }),
    'sessionkit-node-redis': () => expressKit(nodeRedis, { prefix: 'sknr:' }),
    'sessionkit@baseline': () => expressKit(ioredis, { prefix: 'skb:' }),
    ...atRest(expressKit, 'express'),
    ...floorRows(''),
  },
  fastify: {
    memory: async () => undefined,
    'connect-redis8': async () => new (await import('connect-redis')).RedisStore({ client: await ioredis(), prefix: 'fcr8:' }),
    'connect-redis9': async () => new (await import('connect-redis9')).RedisStore({ client: await nodeRedis(), prefix: 'fcr9:' }),
    sessionkit: () => fastifyKit(ioredis, { prefix: 'fsk:' }),
    'sessionkit-node-redis': () => fastifyKit(nodeRedis, { prefix: 'fsknr:' }),
    'sessionkit@baseline': () => fastifyKit(ioredis, { prefix: 'fskb:' }),
    ...atRest(fastifyKit, 'fastify'),
    ...floorRows('f'),
  },
};

function makeStore(name: 'express' | 'fastify'): Promise<unknown> {
  const make = STORES[name][storeName];
  if (!make) throw new Error(`unknown ${name} store ${storeName}`);
  return make();
}

async function startExpress(): Promise<number> {
  const express = (await import('express')).default;
  const session = (await import('express-session')).default;
  const store = (await makeStore('express')) as InstanceType<typeof session.Store>;
  const app = express();
  app.disable('x-powered-by');
  // express-session warns about MemoryStore when NODE_ENV is production; here it is the ceiling on purpose.
  const warn = console.warn;
  if (storeName === 'memory') console.warn = () => {};
  app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: DAY_MS } }));
  console.warn = warn;
  app.get('/login', (req, res) => {
    login(req.session as unknown as SessionBag, String(req.query.u ?? '0'));
    res.json({ ok: true });
  });
  app.get('/read', (req, res) => {
    const s = req.session as unknown as SessionBag;
    if (!s.userId) return void res.status(401).json({ ok: false });
    res.json({ user: s.userId, counter: s.counter });
  });
  app.get('/write', (req, res) => {
    const s = req.session as unknown as SessionBag;
    if (!s.userId) return void res.status(401).json({ ok: false });
    s.counter = (s.counter ?? 0) + 1;
    res.json({ user: s.userId, counter: s.counter });
  });
  return listen(createServer(app));
}

async function startFastify(): Promise<number> {
  const Fastify = (await import('fastify')).default;
  const fastifyCookie = (await import('@fastify/cookie')).default;
  const fastifySession = (await import('@fastify/session')).default;
  const store = await makeStore('fastify');
  const app = Fastify({ logger: false });
  await app.register(fastifyCookie);
  // Defaults (rolling: true, saveUninitialized: true, no maxAge), except `secure`: the bench
  // speaks plain HTTP and @fastify/session saves nothing over HTTP with secure cookies.
  await app.register(fastifySession, { secret: SECRET, cookie: { secure: false }, ...(store ? { store: store as never } : {}) });
  const bag = (request: { session: unknown }) => request.session as SessionBag;
  app.get('/login', async (request) => {
    login(bag(request), String((request.query as { u?: string }).u ?? '0'));
    return { ok: true };
  });
  app.get('/read', async (request, reply) => {
    const s = bag(request);
    if (!s.userId) return reply.code(401).send({ ok: false });
    return { user: s.userId, counter: s.counter };
  });
  app.get('/write', async (request, reply) => {
    const s = bag(request);
    if (!s.userId) return reply.code(401).send({ ok: false });
    s.counter = (s.counter ?? 0) + 1;
    return { user: s.userId, counter: s.counter };
  });
  await app.listen({ port: 0, host: '127.0.0.1' });
  cleanups.unshift(() => app.close());
  return (app.server.address() as AddressInfo).port;
}

async function stop(): Promise<void> {
  const timer = setTimeout(() => process.exit(0), 2000);
  for (const cleanup of cleanups) {
    try {
      await cleanup();
    } catch {
      // shutting down anyway
    }
  }
  clearTimeout(timer);
  process.exit(0);
}

process.on('message', (message) => {
  const m = message as { type?: string; id?: number };
  if (m?.type === 'stop') void stop();
  // CPU time of this whole process (every thread) in µs: the parent asks at the edges of a
  // measured window. Finer than /proc's 10 ms ticks, which matter at a few hundred req/s.
  else if (m?.type === 'cpu') {
    const { user, system } = process.cpuUsage();
    process.send?.({ type: 'cpu', id: m.id, us: user + system });
  }
});
process.on('disconnect', () => void stop());

try {
  const starts: Record<string, () => Promise<number>> = {
    express: startExpress,
    fastify: startFastify,
    koa: () => startKoa(storeName, redisUrl),
    'react-router': () => startReactRouter(storeName, redisUrl),
    hono: () => startHono(storeName, redisUrl),
    next: () => startNext(storeName, redisUrl),
  };
  const start = starts[framework];
  if (!start) throw new Error(`unknown framework ${framework}`);
  const port = await start();
  process.send?.({ port });
} catch (error) {
  process.send?.({ error: (error as Error).stack ?? String(error) });
  process.exit(1);
}
