import type { Server } from 'node:http';
import { Hono } from 'hono';
import { createAdaptorServer } from '@hono/node-server';
import { cookielessComplianceStore, HttpClient, listenOn, underBun, type ComplianceTarget, type TestRedis } from '@sessionkit/testing';
import { sessionKit, type SessionEnv, type SessionKitMiddleware, type SessionKitOptions } from '@sessionkit/hono';

export { countCommands, useRedis } from '@sessionkit/testing';

export const SECRET = 'a-test-secret-for-hono-cookie-signing';
export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The Redis client the store runs on: Bun's own RedisClient under Bun (`npm run test:bun`), ioredis on Node. */
export async function storeClient(redis: TestRedis): Promise<SessionKitOptions['client']> {
  return underBun ? ((await redis.bun()) as unknown as SessionKitOptions['client']) : redis.client();
}

type BunServe = (options: { port: number; hostname: string; fetch: (request: Request) => Response | Promise<Response> }) => {
  port: number;
  stop(closeActive?: boolean): void;
};

/** `app` on a loopback port, as each runtime serves Hono: Bun.serve with `app.fetch` under Bun, @hono/node-server on Node. */
export async function serve(app: Hono<SessionEnv>): Promise<{ url: string; close(): Promise<void> }> {
  const bunServe = (globalThis as { Bun?: { serve: BunServe } }).Bun?.serve;
  if (underBun && bunServe) {
    const server = bunServe({ port: 0, hostname: '127.0.0.1', fetch: app.fetch });
    return { url: `http://127.0.0.1:${server.port}`, close: async () => server.stop(true) };
  }
  return listenOn(createAdaptorServer({ fetch: app.fetch }) as Server);
}

async function body(c: { req: { header(name: string): string | undefined; json(): Promise<unknown> } }): Promise<Record<string, unknown>> {
  return c.req.header('content-type')?.includes('json') ? ((await c.req.json()) as Record<string, unknown>) : {};
}

/**
 * A real Hono app with the middleware and routes that read, change, regenerate and destroy the
 * session, the per-user routes the shared helpers use, and the concurrent-saves routes (each
 * holding the request between its load and its save).
 */
export function testApp(session: SessionKitMiddleware) {
  const app = new Hono<SessionEnv>();
  app.onError((_error, c) => c.json({ error: 'failed' }, 500)); // quietly: /fail throws on purpose
  app.use(session);
  app.get('/untouched', (c) => c.json({ ok: true }));
  app.post('/login', async (c) => {
    const { user } = await body(c);
    const s = await c.var.session.get();
    Object.assign(s, { userId: user, views: 0 });
    await c.var.session.regenerate();
    return c.json({ sid: c.var.session.id ?? null });
  });
  app.post('/password', async (c) => {
    await c.var.session.regenerate();
    const count = await c.var.session.logoutEverywhere({ keepCurrent: true });
    return c.json({ sid: c.var.session.id ?? null, count });
  });
  app.get('/me', async (c) => {
    const s = await c.var.session.get();
    return c.json({ userId: s.userId ?? null, views: s.views ?? null, sid: c.var.session.id ?? null });
  });
  app.get('/inspect', async (c) => {
    const s = await c.var.session.get();
    // Global pollution, or a key read through a replaced prototype.
    const polluted = ({} as Record<string, unknown>).polluted ?? s.polluted ?? s.isAdmin ?? null;
    return c.json({ sid: c.var.session.id ?? null, userId: s.userId ?? null, keys: Object.keys(s).sort(), polluted });
  });
  app.post('/view', async (c) => {
    const s = await c.var.session.get();
    s.views = ((s.views as number | undefined) ?? 0) + 1;
    return c.json({ views: s.views });
  });
  app.post('/fail', async (c) => {
    const s = await c.var.session.get();
    s.views = 1000;
    throw new Error('the handler failed after changing the session');
  });
  app.post('/logout', async (c) => {
    await c.var.session.destroy();
    return c.json({ ok: true });
  });
  app.get('/sessions', async (c) => c.json(await c.var.session.listSessions()));
  app.post('/logout-everywhere', async (c) => c.json({ count: await c.var.session.logoutEverywhere({ keepCurrent: (await body(c)).keepCurrent === true }) }));
  app.post('/revoke', async (c) => c.json({ revoked: await c.var.session.revokeSession((await body(c)).sid as string) }));
  app.post('/keys/:key', async (c) => {
    const s = await c.var.session.get();
    await sleep(150); // every request loads before any saves
    const key = c.req.param('key');
    s[key] = `v${key.slice(1)}`;
    return c.json({ ok: true });
  });
  app.post('/drop/:key', async (c) => {
    const s = await c.var.session.get();
    await sleep(150);
    delete s[c.req.param('key')];
    return c.json({ ok: true });
  });
  app.get('/keys', async (c) => c.json(await c.var.session.get()));
  return app;
}

/** The middleware on a fresh store client, served with the test app. */
export async function startApp(redis: TestRedis, options: Partial<SessionKitOptions> = {}) {
  const session = sessionKit({ client: await storeClient(redis), secret: SECRET, ...options });
  const served = await serve(testApp(session));
  return { ...served, session };
}

/** A browser over fetch: the `sid` cookie is Hono's signed value, "<id>.<base64 HMAC-SHA256>", URI-encoded. */
export class Client extends HttpClient {
  get sid(): string | undefined {
    const raw = this.cookies.get('sid');
    if (!raw) return undefined;
    const value = decodeURIComponent(raw);
    return value.slice(0, value.lastIndexOf('.'));
  }
}

export async function signIn(url: string, user: string): Promise<Client & { sid: string }> {
  const browser = new Client(url);
  const response = await browser.post('/login', { user });
  if (response.status !== 200 || response.json.sid !== browser.sid) throw new Error(`sign-in failed: ${response.status}`);
  return browser as Client & { sid: string };
}

/**
 * The middleware's engine as the shared compliance suite takes it, called as the middleware calls
 * it (cookielessComplianceStore): saved only when changed.
 */
export function complianceTarget(session: SessionKitMiddleware): ComplianceTarget {
  return { store: cookielessComplianceStore(session.sessions) };
}
