/**
 * Hono 4 on @hono/node-server's request listener (behind node:http, as examples/hono-app runs on
 * Node) with one session store, for bench/app-server.ts. Same routes and session contents as the
 * other apps; the session lasts a day and slides.
 *
 * `cookie` is hono-sessions 0.8 with its CookieStore, the sessions Hono users have now: the whole
 * session encrypted (iron-webcrypto) in the cookie, nothing on the server, so the ceiling. With
 * its defaults (`autoExtendExpiration: true`) every request that brings the cookie re-encrypts it
 * with the new expiry and sends it back, a read included. The SessionKit rows use
 * @sessionkit/hono: the session loaded on the first `get()`, saved after the handler only when
 * it changed (else its expiry slides, once per `touchAfter`).
 */
import { createServer } from 'node:http';
import type { Hono as HonoApp } from 'hono';
import { adapter, DAY_MS, fillLogin, ioredis, listen, nodeRedis, SECRET, type SessionBag } from './shared.js';

/** What a route needs of a session, whichever store: the data, read, then changed in place and kept. */
interface BenchSession {
  load(): Promise<SessionBag>;
  /** Keeps the changed `data` (hono-sessions: set key by key; SessionKit saves what changed on its own). */
  keep(data: SessionBag): void;
}

type Make = (redisUrl: string) => Promise<{ app: HonoApp; session: (c: { get(key: 'session'): unknown }) => BenchSession }>;

async function honoSessions(): ReturnType<Make> {
  const { Hono } = await import('hono');
  const { CookieStore, sessionMiddleware } = await import('hono-sessions');
  type HonoSession = import('hono-sessions').Session<SessionBag>;
  const app = new Hono();
  app.use(
    sessionMiddleware({
      store: new CookieStore(),
      // At least 32 characters, as CookieStore asks.
      encryptionKey: SECRET,
      expireAfterSeconds: DAY_MS / 1000,
      cookieOptions: { path: '/', httpOnly: true, sameSite: 'Lax' },
    }) as never,
  );
  const session = (c: { get(key: 'session'): unknown }): BenchSession => {
    const s = c.get('session') as HonoSession;
    return {
      load: async () => ({ userId: s.get('userId') ?? undefined, counter: s.get('counter') ?? undefined }),
      keep: (data) => {
        for (const [key, value] of Object.entries(data)) s.set(key, value as never);
      },
    };
  };
  return { app, session };
}

async function kit(client: Promise<unknown>, prefix: string, store = ''): ReturnType<Make> {
  const { Hono } = await import('hono');
  const { sessionKit } = await adapter<typeof import('@sessionkit/hono')>('hono', store);
  const app = new Hono();
  app.use(sessionKit<SessionBag>({ client: (await client) as never, secret: SECRET, prefix, ttl: DAY_MS / 1000 }) as never);
  const session = (c: { get(key: 'session'): unknown }): BenchSession => {
    const s = c.get('session') as import('@sessionkit/hono').Session<SessionBag>;
    return { load: () => s.get() as Promise<SessionBag>, keep: () => {} };
  };
  return { app, session };
}

/** The stores by id, each SessionKit row with its own key prefix. */
const STORES: Record<string, Make> = {
  cookie: () => honoSessions(),
  sessionkit: (url) => kit(ioredis(url), 'hsk:'),
  'sessionkit-node-redis': (url) => kit(nodeRedis(url), 'hsknr:'),
  'sessionkit@baseline': (url) => kit(ioredis(url), 'hskb:', 'sessionkit@baseline'),
};

export async function startHono(storeName: string, redisUrl: string): Promise<number> {
  const make = STORES[storeName];
  if (!make) throw new Error(`unknown hono store ${storeName}`);
  const { getRequestListener } = await import('@hono/node-server');
  const { app, session } = await make(redisUrl);
  app.get('/login', async (c) => {
    const s = session(c);
    const data = await s.load();
    fillLogin(data, c.req.query('u') ?? '0');
    s.keep(data);
    return c.json({ ok: true });
  });
  for (const path of ['/read', '/write'] as const) {
    app.get(path, async (c) => {
      const s = session(c);
      const data = await s.load();
      if (!data.userId) return c.json({ ok: false }, 401);
      if (path === '/write') {
        data.counter = (data.counter ?? 0) + 1;
        s.keep({ counter: data.counter });
      }
      return c.json({ user: data.userId, counter: data.counter });
    });
  }
  return listen(createServer(getRequestListener(app.fetch)));
}
