/**
 * React Router 7 with one session storage, for bench/app-server.ts: data routes whose loaders
 * use the storage, answered by React Router's static handler behind node:http (as
 * examples/react-router-app does), so that each request takes the framework's own session path.
 * Same routes and session contents as the other apps.
 *
 * /read loads the session and does not commit (a loader that only reads); /login and /write
 * commit. The cookie lasts a day (`maxAge`), as in the Express app.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { SessionStorage } from 'react-router';
import { adapter, DAY_MS, fillLogin, ioredis, listen, nodeRedis, SECRET, type SessionBag } from './shared.js';

type Storage = SessionStorage<SessionBag, SessionBag>;

async function storage(storeName: string, redisUrl: string): Promise<Storage> {
  const { createCookieSessionStorage, createMemorySessionStorage } = await import('react-router');
  const { createRedisSessionStorage } = await adapter<typeof import('@sessionkit/react-router')>('react-router', storeName);
  const cookie = { name: 'sid', secrets: [SECRET], httpOnly: true, sameSite: 'lax' as const, path: '/', maxAge: DAY_MS / 1000 };
  const kit = async (client: Promise<Parameters<typeof createRedisSessionStorage>[0]['client']>, prefix: string) =>
    createRedisSessionStorage<SessionBag, SessionBag>({ client: await client, prefix, cookie });
  // `cookie` keeps the whole session in the signed cookie: nothing on the server.
  const stores: Record<string, () => Storage | Promise<Storage>> = {
    memory: () => createMemorySessionStorage<SessionBag, SessionBag>({ cookie }),
    cookie: () => createCookieSessionStorage<SessionBag, SessionBag>({ cookie }),
    sessionkit: () => kit(ioredis(redisUrl), 'rsk:'),
    'sessionkit-node-redis': () => kit(nodeRedis(redisUrl), 'rsknr:'),
    'sessionkit@baseline': () => kit(ioredis(redisUrl), 'rskb:'),
  };
  const make = stores[storeName];
  if (!make) throw new Error(`unknown react-router store ${storeName}`);
  return make();
}

export async function startReactRouter(storeName: string, redisUrl: string): Promise<number> {
  const { createStaticHandler, isRouteErrorResponse } = await import('react-router');
  const sessions = await storage(storeName, redisUrl);
  const load = (request: Request) => sessions.getSession(request.headers.get('cookie'));
  const unauthorized = () => Response.json({ ok: false }, { status: 401 });
  const handler = createStaticHandler([
    {
      path: '/login',
      loader: async ({ request }) => {
        const session = await sessions.getSession(null);
        const data: SessionBag = {};
        fillLogin(data, new URL(request.url).searchParams.get('u') ?? '0');
        for (const [key, value] of Object.entries(data)) session.set(key, value);
        return Response.json({ ok: true }, { headers: { 'set-cookie': await sessions.commitSession(session) } });
      },
    },
    {
      path: '/read',
      loader: async ({ request }) => {
        const session = await load(request);
        const user = session.get('userId');
        if (!user) return unauthorized();
        return Response.json({ user, counter: session.get('counter') });
      },
    },
    {
      path: '/write',
      loader: async ({ request }) => {
        const session = await load(request);
        const user = session.get('userId');
        if (!user) return unauthorized();
        const counter = ((session.get('counter') as number | undefined) ?? 0) + 1;
        session.set('counter', counter);
        return Response.json({ user, counter }, { headers: { 'set-cookie': await sessions.commitSession(session) } });
      },
    },
  ]);

  // node:http to a Fetch Request and back, as React Router's Node adapters do (GET only here).
  async function serve(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else if (value !== undefined) headers.set(name, value);
    }
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const request = new Request(`http://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, { method: req.method, headers, signal: controller.signal });
    let response: Response;
    try {
      const result = await handler.queryRoute(request);
      response = result instanceof Response ? result : Response.json(result);
    } catch (error) {
      // React Router throws its 404 for an unknown path, and a loader may throw a Response.
      if (error instanceof Response) response = error;
      else if (isRouteErrorResponse(error)) response = new Response(null, { status: error.status });
      else {
        console.error(error);
        response = new Response(null, { status: 500 });
      }
    }
    res.statusCode = response.status;
    for (const [name, value] of response.headers) if (name !== 'set-cookie') res.setHeader(name, value);
    const cookies = response.headers.getSetCookie();
    if (cookies.length) res.setHeader('set-cookie', cookies);
    res.end(Buffer.from(await response.arrayBuffer()));
  }

  const server = createServer((req, res) => {
    serve(req, res).catch((error: unknown) => {
      console.error(error);
      if (!res.headersSent) res.writeHead(500);
      res.end();
    });
  });
  return listen(server);
}
