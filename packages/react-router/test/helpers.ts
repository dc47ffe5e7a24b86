import { expect } from 'vitest';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { join } from 'node:path';
import type { Redis } from 'ioredis';
import * as reactRouter from 'react-router';
import { createStaticHandler, redirect, type RouteObject } from 'react-router';
import { FetchAgent, listenOn, sessionHandle, type ComplianceTarget, type TestSession } from '@sessionkit/testing';
import { createRedisSessionStorage, type RedisSessionStorage, type RedisSessionStorageOptions } from '@sessionkit/react-router';

export const SECRET = 'test-secret-for-cookies';

/** A framework whose `createSessionStorage` the storage is built on: React Router 7 or 8, or Remix 2. */
export interface Flavour {
  name: string;
  createSessionStorage: NonNullable<RedisSessionStorageOptions['createSessionStorage']>;
  createSession: (data: Record<string, unknown>, id: string) => reactRouter.Session;
  createCookie: (name: string, options: reactRouter.CookieOptions) => reactRouter.Cookie;
}

/**
 * Remix 2, untyped on purpose: @remix-run/node's declarations make `process.env.NODE_ENV`
 * required for the whole program. Its functions are its own copies of React Router's, with the
 * same contract.
 */
const remix = createRequire(import.meta.url)('@remix-run/node') as {
  createSessionStorage: unknown;
  createSession: (data: Record<string, unknown>, id: string) => unknown;
  createCookie: unknown;
};

/**
 * The React Router major these tests run on: 7 (the dev dependency) in `npm test`; 8 under
 * `npm run test:node-matrix`, which installs it under .tmp and aliases `react-router` to it
 * (vitest.workspace.ts), because React Router 8 needs Node 22.
 */
const reactRouterPackageJson = process.env.SESSIONKIT_TEST_REACT_ROUTER
  ? join(process.env.SESSIONKIT_TEST_REACT_ROUTER, 'package.json')
  : createRequire(import.meta.url).resolve('react-router/package.json');
export const reactRouterMajor = Number((JSON.parse(readFileSync(reactRouterPackageJson, 'utf8')) as { version: string }).version.split('.')[0]);

export const flavours: Flavour[] = [
  {
    name: `react-router ${reactRouterMajor}`,
    createSessionStorage: reactRouter.createSessionStorage,
    createSession: (data, id) => reactRouter.createSession(data, id),
    createCookie: reactRouter.createCookie,
  },
  {
    name: '@remix-run/node 2',
    createSessionStorage: remix.createSessionStorage as unknown as Flavour['createSessionStorage'],
    createSession: (data, id) => remix.createSession(data, id) as unknown as reactRouter.Session,
    createCookie: remix.createCookie as unknown as Flavour['createCookie'],
  },
];

export type Storage = RedisSessionStorage<Record<string, unknown>>;

export function makeStorage(flavour: Flavour, options: Omit<RedisSessionStorageOptions<Record<string, unknown>>, 'createSessionStorage'>): Storage {
  return createRedisSessionStorage<Record<string, unknown>>({
    cookie: { name: '__session', secrets: [SECRET], httpOnly: true, path: '/', sameSite: 'lax' },
    ...options,
    createSessionStorage: flavour.createSessionStorage as RedisSessionStorageOptions<Record<string, unknown>>['createSessionStorage'],
  });
}

/** The `name=value` pair of a Set-Cookie line, as a browser sends it back. */
export const cookiePair = (setCookie: string) => setCookie.split(';')[0]!;

/**
 * The compliance suite's promise-shaped store, driven through the framework: a set is a
 * `commitSession` of a session with that id (so it reaches `updateData` with the cookie's
 * expiry), a get is a `getSession` with a cookie naming the id, a destroy is `destroySession`.
 */
export function complianceTarget(flavour: Flavour, storage: Storage, close: () => Promise<void> = async () => {}): ComplianceTarget {
  const cookie = flavour.createCookie('__session', { secrets: [SECRET], path: '/' });
  return {
    store: {
      async get(id) {
        const session = await storage.getSession(cookiePair(await cookie.serialize(id)));
        if (!session.id) return null;
        // The cookie's expiry is the record's: React Router keeps no cookie in the data.
        const record = await storage.core.get(id);
        return { ...session.data, cookie: { expires: record ? new Date(record.expiresAt).toISOString() : null } } as TestSession;
      },
      // A commit of unchanged data with a new expiry: what a rolling cookie does on every request.
      async touch(id, session) {
        const { cookie: sessionCookie, ...data } = session;
        const loaded = await storage.getSession(cookiePair(await cookie.serialize(id)));
        if (!loaded.id) {
          // Gone: commit it anyway, as a request that loaded it earlier would.
          await storage.commitSession(flavour.createSession(data, id), { expires: new Date(String(sessionCookie.expires)) });
          return;
        }
        await storage.commitSession(loaded, { expires: new Date(String(sessionCookie.expires)) });
      },
      // A request that loads the session and commits it with new data. React Router names no id
      // for a new session (createData mints one), so a set of an unknown id creates it through
      // the core store, as the suite needs.
      async set(id, session) {
        const { cookie: sessionCookie, ...data } = session;
        const expires = sessionCookie.expires ? new Date(sessionCookie.expires) : undefined;
        const loaded = await storage.getSession(cookiePair(await cookie.serialize(id)));
        if (!loaded.id) {
          await storage.core.set(id, data, { ttl: expires ? expires.getTime() - Date.now() : undefined });
          return;
        }
        for (const key of Object.keys(loaded.data)) loaded.unset(key);
        for (const [key, value] of Object.entries(data)) loaded.set(key, value);
        await storage.commitSession(loaded, expires ? { expires } : {});
      },
      async destroy(id) {
        await storage.destroySession(flavour.createSession({}, id));
      },
      ids: () => storage.core.ids(),
      all: async () => (await storage.core.all()).map((record) => record.data),
      length: () => storage.core.length(),
      clear: async () => void (await storage.core.clear()),
    },
    teardown: close,
  };
}

/**
 * Counts the commands a client sends (round trips, not the commands its Lua scripts run inside
 * Redis), by watching MONITOR and keeping only lines from that client's connection.
 */
export async function countCommands(monitorFrom: Redis, client: Redis, work: () => Promise<void>): Promise<string[]> {
  await client.ping();
  const source = `127.0.0.1:${(client as unknown as { stream: { localPort: number } }).stream.localPort}`;
  const seen: string[] = [];
  const monitor = await monitorFrom.monitor();
  monitor.on('monitor', (_time: string, args: string[], from: string) => {
    if (from === source) seen.push(String(args[0]).toLowerCase());
  });
  try {
    await work();
    // A marker through the watched client: once MONITOR shows it, every earlier command has been seen.
    const marker = `marker-${Math.random()}`;
    const shown = new Promise<void>((resolve) => monitor.on('monitor', (_t: string, args: string[]) => args[1] === marker && resolve()));
    await client.echo(marker);
    await shown;
    seen.pop();
  } finally {
    monitor.disconnect();
  }
  return seen;
}

/** A Fetch API request handler served by node:http, as an adapter such as @react-router/express does. */
export async function serve(handle: (request: Request) => Promise<Response>): Promise<{ url: string; server: Server; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    void respond(handle, req, res);
  });
  return listenOn(server);
}

async function respond(handle: (request: Request) => Promise<Response>, req: IncomingMessage, res: ServerResponse): Promise<void> {
  try {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else if (value !== undefined) headers.set(name, value);
    }
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const request = new Request(`http://${req.headers.host}${req.url}`, {
      method: req.method,
      headers,
      ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
      signal: AbortSignal.timeout(10_000),
    });
    const response = await handle(request);
    res.statusCode = response.status;
    for (const [name, value] of response.headers) {
      if (name !== 'set-cookie') res.setHeader(name, value);
    }
    const setCookies = response.headers.getSetCookie();
    if (setCookies.length) res.setHeader('set-cookie', setCookies);
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    res.statusCode = error instanceof Response ? error.status : 500;
    res.end(error instanceof Error ? error.message : '');
  }
}

const json = (body: unknown, init: ResponseInit = {}) => Response.json(body, init);

/**
 * A small React Router app on the storage: data routes whose loaders and actions use the
 * session as React Router apps do (getSession from the Cookie header, commitSession into
 * Set-Cookie), answered by React Router's static handler.
 */
export function sessionApp(storage: Storage): (request: Request) => Promise<Response> {
  const load = (request: Request) => storage.getSession(request.headers.get('cookie'));
  const routes: RouteObject[] = [
    {
      path: '/login/:user',
      action: async ({ request, params }) => {
        const session = await load(request);
        session.set('userId', params.user);
        session.flash('notice', `welcome ${params.user}`);
        return json({ ok: true }, { headers: { 'set-cookie': await storage.commitSession(session) } });
      },
    },
    {
      path: '/me',
      // Commits on every request, as many apps do to roll the cookie: unchanged data costs no write.
      loader: async ({ request }) => {
        const session = await load(request);
        const body = { id: session.id || null, userId: session.get('userId') ?? null, notice: session.get('notice') ?? null };
        const headers: Record<string, string> = session.id ? { 'set-cookie': await storage.commitSession(session) } : {};
        return json(body, { headers });
      },
    },
    {
      path: '/count',
      action: async ({ request }) => {
        const session = await load(request);
        session.set('count', Number(session.get('count') ?? 0) + 1);
        return json({ count: session.get('count') }, { headers: { 'set-cookie': await storage.commitSession(session) } });
      },
    },
    {
      path: '/set/:key',
      action: async ({ request, params }) => {
        const session = await load(request);
        session.set(params.key!, true);
        return json({ ok: true }, { headers: { 'set-cookie': await storage.commitSession(session) } });
      },
    },
    {
      path: '/data',
      loader: async ({ request }) => json((await load(request)).data),
    },
    {
      path: '/sessions',
      loader: async ({ request }) => {
        const session = await load(request);
        const userId = session.get('userId') as string | undefined;
        if (!userId) return json({ error: 'sign in' }, { status: 401 });
        return json(await storage.listUserSessions(userId));
      },
    },
    {
      path: '/logout-others',
      action: async ({ request }) => {
        const session = await load(request);
        const userId = session.get('userId') as string | undefined;
        if (!userId) return json({ error: 'sign in' }, { status: 401 });
        return json({ revoked: await storage.invalidateAllUserSessions(userId, { except: session.id }) });
      },
    },
    {
      path: '/logout',
      action: async ({ request }) => {
        const session = await load(request);
        throw redirect('/me', { headers: { 'set-cookie': await storage.destroySession(session) } });
      },
    },
  ];
  const handler = createStaticHandler(routes);
  return async (request) => {
    const result = await handler.queryRoute(request);
    return result instanceof Response ? result : json(result);
  };
}

/** A client with a cookie jar that follows no redirects. */
export class Agent extends FetchAgent {}

/**
 * "Sign out my other devices" through the test app: ivy signs in on `laptop` and `phone`, jack on
 * `bystander`; the laptop lists ivy's two sessions, signs the phone out and stays signed in, and
 * jack is untouched. `count` is ivy's session count as the store has it afterwards (one).
 */
export async function expectOthersSignedOut([laptop, phone, bystander]: [Agent, Agent, Agent], count: () => Promise<number>): Promise<void> {
  await laptop.json('POST', '/login/ivy');
  await phone.json('POST', '/login/ivy');
  await bystander.json('POST', '/login/jack');
  const laptopId = (await laptop.json('GET', '/me')).body.id as string;
  const phoneId = (await phone.json('GET', '/me')).body.id as string;

  const listed = (await laptop.json<{ id: string }[]>('GET', '/sessions')).body;
  // Listed by handle (hashed ids), never by the cookie's id.
  expect(listed.map((s) => s.id).sort()).toEqual([laptopId, phoneId].map(sessionHandle).sort());

  expect((await laptop.json('POST', '/logout-others')).body.revoked).toBe(1);
  expect((await phone.json('GET', '/me')).body.userId).toBeNull();
  expect((await laptop.json('GET', '/me')).body.userId).toBe('ivy');
  expect((await bystander.json('GET', '/me')).body.userId).toBe('jack');
  expect((await laptop.json<{ id: string }[]>('GET', '/sessions')).body.map((s) => s.id)).toEqual([sessionHandle(laptopId)]);
  expect(await count()).toBe(1);
}
