import { once } from 'node:events';
import { createServer, type Server } from 'node:http';
import { promisify } from 'node:util';
import session, { type SessionData, type Store } from 'express-session';
import type { Redis } from 'ioredis';
import { expect } from 'vitest';
import { FetchAgent, HttpClient, listenOn, type CookieJar, type ComplianceTarget, type TestRedis, type TestSession } from '@sessionkit/testing';
import type { RedisStore } from '@sessionkit/express';

export { useRedis, sessionHandle, sessionKey } from '@sessionkit/testing';

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    n?: number;
  }
}

export const SECRET = 'test secret: keyboard cat';
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The store as the shared compliance suite takes it: express-session's callback API, promisified.
 * Used for both the single-node and the Cluster run, so both check the same calls.
 */
export function complianceTarget(store: RedisStore): ComplianceTarget {
  const get = promisify(store.get.bind(store)) as (sid: string) => Promise<SessionData | null | undefined>;
  const set = promisify(store.set.bind(store)) as (sid: string, s: SessionData) => Promise<void>;
  const touch = promisify(store.touch.bind(store)) as (sid: string, s: SessionData) => Promise<void>;
  const destroy = promisify(store.destroy.bind(store)) as (sid: string) => Promise<void>;
  const ids = promisify(store.ids.bind(store)) as () => Promise<string[]>;
  const all = promisify(store.all.bind(store)) as () => Promise<unknown[]>;
  const length = promisify(store.length.bind(store)) as () => Promise<number>;
  const clear = promisify(store.clear.bind(store)) as () => Promise<void>;
  return {
    store: {
      get: async (id) => ((await get(id)) ?? null) as TestSession | null,
      set: (id, s) => set(id, s as unknown as SessionData),
      touch: (id, s) => touch(id, s as unknown as SessionData),
      destroy: async (id) => {
        await destroy(id);
      },
      ids,
      all,
      length,
      clear: async () => {
        await clear();
      },
    },
    teardown: async () => store.close(),
  };
}

/** Just enough of Express 4 and 5 for these tests; both `express` and `express4` fit. */
// biome-ignore lint/suspicious/noExplicitAny: Express 4 and 5 have different types; one helper drives both.
export type ExpressFactory = () => any;
// biome-ignore lint/suspicious/noExplicitAny: as above, the request of either Express.
type Req = any;
// biome-ignore lint/suspicious/noExplicitAny: as above, the response of either Express.
type Res = any;
type Next = (err?: unknown) => void;

/**
 * A small app exercising the express-session contract. `store` is any express-session store;
 * the user-level routes need a SessionKit RedisStore.
 */
export function sessionApp(express: ExpressFactory, store: Store, cookie: session.CookieOptions = { maxAge: 3_600_000 }) {
  const app = express();
  app.use(session({ store, secret: SECRET, resave: false, saveUninitialized: false, cookie }));
  const kit = store as RedisStore;
  const wrap = (fn: (req: Req, res: Res) => Promise<void>) => (req: Req, res: Res, next: Next) => {
    fn(req, res).catch(next);
  };

  app.post('/login/:user', (req: Req, res: Res, next: Next) => {
    req.session.regenerate((err: unknown) => {
      if (err) return next(err);
      req.session.userId = req.params.user;
      req.session.save((err2: unknown) => (err2 ? next(err2) : res.json({ sid: req.sessionID })));
    });
  });
  app.get('/me', (req: Req, res: Res) => {
    res.json({
      session: Boolean(req.session),
      sid: req.session ? req.sessionID : null,
      userId: req.session?.userId ?? null,
      n: req.session?.n ?? 0,
      expires: req.session?.cookie.expires ?? null,
    });
  });
  app.post('/count', (req: Req, res: Res) => {
    req.session.n = (req.session.n ?? 0) + 1;
    res.json({ n: req.session.n, sid: req.sessionID });
  });
  app.post('/logout', (req: Req, res: Res) => {
    // No callback: express-session calls store.destroy(id) without one.
    req.session.destroy();
    res.json({ ok: true });
  });
  app.post(
    '/logout-others',
    wrap(async (req, res) => {
      const revoked = await kit.invalidateAllUserSessions(req.session.userId, { except: req.sessionID });
      res.json({ revoked });
    }),
  );
  app.post(
    '/logout-everywhere',
    wrap(async (req, res) => {
      const revoked = await kit.invalidateAllUserSessions(req.session.userId);
      res.json({ revoked });
    }),
  );
  app.get(
    '/sessions',
    wrap(async (req, res) => {
      res.json(await kit.listUserSessions(req.session.userId));
    }),
  );
  app.post(
    '/revoke/:sid',
    wrap(async (req, res) => {
      res.json({ revoked: await kit.revokeUserSession(req.session.userId, req.params.sid) });
    }),
  );
  app.use((err: Error & { code?: string }, _req: Req, res: Res, _next: Next) => {
    res.status(500).json({ error: err.message, code: err.code ?? null });
  });
  return app;
}

export interface Running {
  url: string;
  server: Server;
  close(): Promise<void>;
}

export function listen(app: (req: never, res: never) => void): Promise<Running> {
  return listenOn(createServer(app as never));
}

/** The session id in express-session's signed `connect.sid` cookie ("s:<id>.<signature>"). */
function connectSid(cookies: CookieJar): string | undefined {
  const raw = cookies.get('connect.sid');
  if (!raw) return undefined;
  const value = decodeURIComponent(raw);
  return value.slice(2, value.lastIndexOf('.'));
}

/** A browser as @sessionkit/testing's shared suites drive it: HttpClient, with the session id of `connect.sid`. */
export class Client extends HttpClient {
  get sid(): string | undefined {
    return connectSid(this.cookies);
  }
}

/** One "browser" (FetchAgent) that knows its session id. */
export class Agent extends FetchAgent {
  get sid(): string | undefined {
    return connectSid(this.cookies);
  }
}

/**
 * Counts the commands a client sends (round trips, not the commands its Lua scripts run inside
 * Redis), by watching MONITOR and keeping only lines from that client's connection.
 */
export async function countCommands(monitorFrom: Redis, client: Redis, work: () => Promise<void>): Promise<Map<string, number>> {
  await client.ping();
  const stream = (client as unknown as { stream: { localPort: number } }).stream;
  const source = `127.0.0.1:${stream.localPort}`;
  const counts = new Map<string, number>();
  const monitor = await monitorFrom.monitor();
  monitor.on('monitor', (_time: string, args: string[], from: string) => {
    if (from !== source) return;
    const name = String(args[0]).toLowerCase();
    counts.set(name, (counts.get(name) ?? 0) + 1);
  });
  try {
    await work();
    // A marker through the watched client: once MONITOR shows it, every earlier command has been seen.
    const marker = `marker-${Math.random()}`;
    const seen = new Promise<void>((resolve) =>
      monitor.on('monitor', (_t: string, args: string[]) => {
        if (args[1] === marker) resolve();
      }),
    );
    await client.echo(marker);
    await seen;
    counts.set('echo', (counts.get('echo') ?? 1) - 1);
    if (counts.get('echo') === 0) counts.delete('echo');
  } finally {
    monitor.disconnect();
  }
  return counts;
}

export const total = (counts: Map<string, number>) => [...counts.values()].reduce((a, b) => a + b, 0);

/**
 * A stopped Redis under a sessionApp on `store`: bob signs in; Redis is killed (the store emits
 * 'disconnect') and express-session serves without a session, while a route that needs one fails
 * at once (500) instead of waiting on the client's offline queue; Redis comes back empty on the
 * same port (no persistence in tests; the store emits 'connect') and a new sign-in works. The
 * milliseconds the two requests without Redis took.
 */
export async function serveThroughRedisStop(redis: TestRedis, store: RedisStore, url: string): Promise<number> {
  const agent = new Agent(url);
  await agent.json('POST', '/login/bob');
  expect((await agent.json('GET', '/me')).body.userId).toBe('bob');

  const disconnected = once(store, 'disconnect');
  await redis.server.stop('SIGKILL');
  await disconnected;
  const started = Date.now();
  const res = await agent.json('GET', '/me');
  expect(res.status).toBe(200);
  expect(res.body.session).toBe(false);
  expect((await agent.json('POST', '/count')).status).toBe(500);
  const withoutRedisMs = Date.now() - started;

  const connected = once(store, 'connect');
  await redis.server.start();
  await connected;
  expect((await agent.json('GET', '/me')).body).toMatchObject({ session: true, userId: null });
  await agent.json('POST', '/login/bob');
  expect((await agent.json('GET', '/me')).body.userId).toBe('bob');
  return withoutRedisMs;
}
