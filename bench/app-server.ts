/**
 * Child process: one HTTP app (Express 5 + express-session, Fastify 5 + @fastify/session, and
 * in bench/apps/ Koa 3 + koa-session and React Router 7) with one session store, listening on a
 * free loopback port. Started by bench/http.ts with
 *   node --import tsx bench/app-server.ts <express|fastify|koa|react-router> <store> <redisUrl>
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
import type { AddressInfo } from 'node:net';
import type { Server } from 'node:http';
import { startKoa } from './apps/koa.js';
import { startReactRouter } from './apps/react-router.js';
import { cleanups, DAY_MS, fillLogin, ioredis as ioredisClient, nodeRedis as nodeRedisClient, SECRET, type SessionBag } from './apps/shared.js';

const [framework, storeName, redisUrl] = process.argv.slice(2) as [string, string, string];
const ioredis = () => ioredisClient(redisUrl);
const nodeRedis = () => nodeRedisClient(redisUrl);

async function expressStore(): Promise<unknown> {
  const session = (await import('express-session')).default;
  switch (storeName) {
    case 'memory':
      return new session.MemoryStore();
    case 'connect-redis9': {
      const { RedisStore } = await import('connect-redis9');
      return new RedisStore({ client: await nodeRedis(), prefix: 'cr9:' });
    }
    case 'connect-redis8': {
      const { RedisStore } = await import('connect-redis');
      return new RedisStore({ client: await ioredis(), prefix: 'cr8:' });
    }
    case 'sessionkit':
    case 'sessionkit-touch0': {
      const { RedisStore } = await import('@sessionkit/express');
      const store = new RedisStore({ client: await ioredis(), prefix: 'sk:', ...(storeName === 'sessionkit-touch0' ? { touchAfter: 0 } : {}) });
      cleanups.push(() => store.close());
      return store;
    }
    case 'sessionkit-node-redis': {
      const { RedisStore } = await import('@sessionkit/express');
      // Typed through the adapter's own option, so this compiles before and after core accepts
      // node-redis; until it does, this throws or the first login fails, and the bench lists the
      // store as not run.
      const client = (await nodeRedis()) as unknown as ConstructorParameters<typeof RedisStore>[0]['client'];
      const store = new RedisStore({ client, prefix: 'sknr:' });
      cleanups.push(() => store.close());
      return store;
    }
    default:
      throw new Error(`unknown express store ${storeName}`);
  }
}

async function startExpress(): Promise<number> {
  const express = (await import('express')).default;
  const session = (await import('express-session')).default;
  const store = (await expressStore()) as InstanceType<typeof session.Store>;
  const app = express();
  app.disable('x-powered-by');
  // express-session warns about MemoryStore when NODE_ENV is production; here it is the ceiling on purpose.
  const warn = console.warn;
  if (storeName === 'memory') console.warn = () => {};
  app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false, cookie: { maxAge: DAY_MS } }));
  console.warn = warn;
  app.get('/login', (req, res) => {
    fillLogin(req.session as unknown as SessionBag, String(req.query.u ?? '0'));
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
  const server: Server = await new Promise((resolve) => {
    const srv = app.listen(0, '127.0.0.1', () => resolve(srv));
  });
  server.keepAliveTimeout = 60_000;
  cleanups.unshift(() => new Promise((resolve) => server.close(resolve)));
  cleanups.unshift(() => server.closeAllConnections());
  return (server.address() as AddressInfo).port;
}

async function fastifyStore(): Promise<unknown> {
  switch (storeName) {
    case 'memory':
      return undefined; // @fastify/session's own MemoryStore
    case 'connect-redis8': {
      const { RedisStore } = await import('connect-redis');
      return new RedisStore({ client: await ioredis(), prefix: 'fcr8:' });
    }
    case 'connect-redis9': {
      const { RedisStore } = await import('connect-redis9');
      return new RedisStore({ client: await nodeRedis(), prefix: 'fcr9:' });
    }
    case 'sessionkit': {
      const { RedisStore } = await import('@sessionkit/fastify');
      return new RedisStore({ client: await ioredis(), prefix: 'fsk:' });
    }
    case 'sessionkit-node-redis': {
      const { RedisStore } = await import('@sessionkit/fastify');
      const client = (await nodeRedis()) as unknown as ConstructorParameters<typeof RedisStore>[0]['client'];
      return new RedisStore({ client, prefix: 'fsknr:' });
    }
    default:
      throw new Error(`unknown fastify store ${storeName}`);
  }
}

async function startFastify(): Promise<number> {
  const Fastify = (await import('fastify')).default;
  const fastifyCookie = (await import('@fastify/cookie')).default;
  const fastifySession = (await import('@fastify/session')).default;
  const store = await fastifyStore();
  const app = Fastify({ logger: false });
  await app.register(fastifyCookie);
  // Defaults (rolling: true, saveUninitialized: true, no maxAge), except `secure`: the bench
  // speaks plain HTTP and @fastify/session saves nothing over HTTP with secure cookies.
  await app.register(fastifySession, { secret: SECRET, cookie: { secure: false }, ...(store ? { store: store as never } : {}) });
  const bag = (request: { session: unknown }) => request.session as SessionBag;
  app.get('/login', async (request) => {
    fillLogin(bag(request), String((request.query as { u?: string }).u ?? '0'));
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
  };
  const start = starts[framework];
  if (!start) throw new Error(`unknown framework ${framework}`);
  const port = await start();
  process.send?.({ port });
} catch (error) {
  process.send?.({ error: (error as Error).stack ?? String(error) });
  process.exit(1);
}
