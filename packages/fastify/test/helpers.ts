import { Writable } from 'node:stream';
import fastifyCookie from '@fastify/cookie';
import fastifySession, { type FastifySessionOptions } from '@fastify/session';
import Fastify, { type FastifyInstance } from 'fastify';
import { HttpClient, listingCalls, type ComplianceTarget, type TestSession } from '@sessionkit/testing';
import { sessionKitPlugin, type RedisStore } from '@sessionkit/fastify';

export { countCommands, useRedis } from '@sessionkit/testing';

declare module 'fastify' {
  interface Session {
    userId?: string;
    views?: number;
    note?: string;
  }
}

export const SECRET = 'a-test-secret-that-is-at-least-32-characters-long';

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** The callback API that @fastify/session calls, promisified for the shared suite. */
function promisify<T>(call: (cb: (error?: Error | null, value?: T) => void) => void): Promise<T> {
  return new Promise((resolve, reject) => call((error, value) => (error ? reject(error) : resolve(value as T))));
}

/**
 * The store as the shared compliance suite takes it: the callbacks @fastify/session uses for
 * get/set/destroy/touch, the promise API for the rest. Used for both the single-node and the
 * Cluster run, so both check the same calls.
 */
export function complianceTarget(store: RedisStore<TestSession>): ComplianceTarget {
  return {
    store: {
      get: (id) => promisify<TestSession | null>((cb) => store.get(id, cb)),
      set: (id, s) => promisify<void>((cb) => store.set(id, s, cb)),
      destroy: (id) => promisify<void>((cb) => store.destroy(id, cb)),
      touch: (id, s) => promisify<void>((cb) => store.touch(id, s, cb)),
      ...listingCalls(store),
    },
  };
}

export interface AppOptions {
  session?: Partial<FastifySessionOptions>;
  /** Lines the Fastify logger wrote, parsed. */
  logs?: Record<string, unknown>[];
  plugin?: boolean;
  /** Awaited by POST /slow-view after the session was loaded and before it is changed. */
  pause?: () => Promise<void>;
}

/**
 * A real Fastify 5 server on a loopback port with @fastify/cookie + @fastify/session and the
 * given store, and a few routes that read, change, regenerate and destroy the session.
 */
export async function startApp(store: RedisStore | FastifySessionOptions['store'], options: AppOptions = {}) {
  const logs = options.logs;
  const stream = new Writable({
    write(chunk, _encoding, done) {
      for (const line of String(chunk).split('\n')) if (line.trim()) logs?.push(JSON.parse(line));
      done();
    },
  });
  const app: FastifyInstance = Fastify({ logger: logs ? { level: 'info', stream } : false });
  await app.register(fastifyCookie);
  await app.register(fastifySession, {
    secret: SECRET,
    store: store as FastifySessionOptions['store'],
    ...options.session,
    cookie: { secure: false, ...options.session?.cookie },
  });
  if (options.plugin !== false && store && typeof (store as RedisStore).listUserSessions === 'function') {
    await app.register(sessionKitPlugin, { store: store as RedisStore });
  }

  app.post<{ Body: { user: string } }>('/login', async (request) => {
    await request.session.regenerate();
    request.session.userId = request.body.user;
    request.session.views = 0;
    return { sid: request.session.sessionId };
  });
  app.get('/me', async (request) => ({
    userId: request.session.userId ?? null,
    views: request.session.views ?? null,
    sid: request.session.sessionId,
  }));
  app.post('/view', async (request) => {
    request.session.views = (request.session.views ?? 0) + 1;
    return { views: request.session.views };
  });
  app.post('/slow-view', async (request) => {
    await options.pause?.();
    request.session.views = (request.session.views ?? 0) + 1;
    return { views: request.session.views };
  });
  // With rolling: false, what keeps an active session sliding: touch the cookie, save explicitly.
  app.get('/keepalive', async (request) => {
    request.session.touch();
    await request.session.save();
    return { userId: request.session.userId ?? null };
  });
  app.get('/cookie', async (request) => request.session.cookie);
  app.post<{ Body: { maxAge: number } }>('/remember', async (request) => {
    request.session.cookie.maxAge = request.body.maxAge;
    return { ok: true };
  });
  app.post('/logout', async (request) => {
    await request.session.destroy();
    return { ok: true };
  });
  app.get('/sessions', async (request) => request.listSessions());
  app.post<{ Body: { keepCurrent?: boolean } }>('/logout-everywhere', async (request) => ({
    count: await request.logoutEverywhere({ keepCurrent: request.body?.keepCurrent }),
  }));
  app.post<{ Body: { sid: string } }>('/revoke', async (request) => ({ revoked: await request.revokeSession(request.body.sid) }));

  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  const url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  return { app, url, close: () => app.close() };
}

/**
 * A fetch with one cookie jar: what a browser does with the session cookie, over real HTTP,
 * including forgetting it once its Max-Age/Expires has passed.
 */
export class Client extends HttpClient {
  /** The signed session cookie value, to hand to another client ("the same browser"). */
  get sessionCookie(): string | undefined {
    return this.cookies.get('sessionId');
  }
}
