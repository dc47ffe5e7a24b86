import type { IncomingMessage, ServerResponse } from 'node:http';
import { createStaticHandler, isRouteErrorResponse, redirect, type RouteObject, type Session } from 'react-router';
import { createRedisSessionStorage, type RedisSessionStorage } from '@sessionkit/react-router';
import {
  authenticate,
  clientStatus,
  deviceMeta,
  findSessionByHandle,
  findUser,
  homePage,
  messagePage,
  routes,
  sessionsPage,
  signInPage,
  type DemoUser,
  type DeviceMeta,
  type RedisConnection,
  type Metrics,
} from '@sessionkit/example-shared';

/** What a session holds in this app. */
export interface SessionData {
  userId: string;
  /** Browser and IP at sign-in, shown on the Active sessions page (see the storage's `meta`). */
  device: DeviceMeta;
}

/** A flash message for the next page (read once, then gone). */
interface FlashData {
  notice: string;
}

export type AppSessionStorage = RedisSessionStorage<SessionData, FlashData>;

export interface AppOptions {
  /** The Redis client, ioredis or node-redis (REDIS_CLIENT); see examples/shared/src/redis.ts for the environment. */
  client: RedisConnection['client'];
  /** Signs the session cookie. Every instance behind one load balancer needs the same one. */
  secret: string | string[];
  /**
   * Behind a TLS-terminating proxy, believe its X-Forwarded-Proto and X-Forwarded-For (the
   * cookie then gets the Secure flag over HTTPS, and listings show the client's IP). Default
   * false (direct connections).
   */
  trustProxy?: boolean;
  /** Session lifetime in ms (sliding). Default 7 days. */
  maxAge?: number;
  /** Session lifetime from sign-in in ms, however active. Default 30 days. */
  absoluteTimeout?: number;
  /** With METRICS=1 (main.ts): SessionKit's metrics, served on GET /metrics in Prometheus's text format. */
  metrics?: Metrics | undefined;
  /** Encrypt sessions at rest with these keys (SESSION_ENCRYPTION_KEYS, see encryptionKeysFromEnv); none: in clear. */
  encryptionKeys?: readonly string[] | undefined;
}

/** What node:http knows about a request that the Fetch `Request` does not carry. */
interface RequestContext {
  ip: string;
  secure: boolean;
}

const NOTICES: Record<string, string> = {
  'signed-in': 'Signed in.',
  revoked: 'That session was signed out.',
  'not-found': 'That session had already ended.',
  others: 'Signed out of every other session.',
  everywhere: 'Signed out everywhere.',
  'signed-out': 'Signed out.',
  expired: 'Your session has ended. Please sign in again.',
};

const FRAMEWORK = 'React Router';
const COOKIE = 'sid';
const MAX_FORM_BYTES = 8 * 1024;

export interface App {
  /** The app as a Fetch handler: React Router's static handler behind the checks every page needs. */
  fetch(request: Request, context: RequestContext): Promise<Response>;
  /** The same, for `http.createServer`. */
  listener(req: IncomingMessage, res: ServerResponse): void;
  storage: AppSessionStorage;
}

/**
 * The example app: React Router's data routes (loaders and actions) answered by its static
 * handler, pages rendered on the server as plain HTML with plain forms. No bundler, no client
 * JavaScript: `tsx` runs it as it is. Sessions live in Redis through `@sessionkit/react-router`,
 * so any number of instances can serve the same users; its per-user index gives the Active
 * sessions page, "revoke that device" and "sign out everywhere".
 */
export function createApp(options: AppOptions): App {
  const maxAge = options.maxAge ?? 7 * 24 * 3600 * 1000;
  const storage = createRedisSessionStorage<SessionData, FlashData>({
    client: options.client,
    // Data and device details encrypted at rest when SESSION_ENCRYPTION_KEYS is set (main.ts).
    ...(options.encryptionKeys ? { encryptionKeys: options.encryptionKeys } : {}),
    cookie: {
      name: COOKIE,
      secrets: Array.isArray(options.secret) ? options.secret : [options.secret],
      httpOnly: true,
      sameSite: 'lax', // with the Origin check below, a cross-site form cannot act for the user
      path: '/',
      maxAge: Math.floor(maxAge / 1000), // seconds; every commit re-sends it, so it slides
    },
    // Owner of each session (the default reads data.userId too; explicit here for clarity).
    userId: (data) => data.userId,
    // What the Active sessions page shows beside each session.
    meta: (data) => (data.device ? { ...data.device } : undefined),
    // However active, a session ends 30 days after sign-in (OWASP ASVS 7.3.2).
    absoluteTimeout: options.absoluteTimeout ?? 30 * 24 * 3600 * 1000,
  });

  type Args = { request: Request; context: RequestContext };
  type AppSession = Session<SessionData, FlashData>;
  const html = (body: string, init: { status?: number; headers?: Record<string, string> } = {}) =>
    new Response(body, { status: init.status ?? 200, headers: { 'content-type': 'text/html; charset=utf-8', ...init.headers } });
  /** Re-sends the cookie with a fresh expiry (rolling); for an unchanged session that costs no Redis round trip. */
  const commit = async (session: AppSession, context: RequestContext) => ({
    'set-cookie': await storage.commitSession(session, { secure: context.secure }),
  });
  const load = (request: Request) => storage.getSession(request.headers.get('cookie'));
  const noticeOf = (request: Request) => NOTICES[new URL(request.url).searchParams.get('notice') ?? ''];
  const currentUser = (session: AppSession): DemoUser | null => findUser(session.get('userId'));
  const form = async (request: Request) => {
    const length = Number(request.headers.get('content-length') ?? 0);
    if (length > MAX_FORM_BYTES) throw html(messagePage('Too large', 'That form is too large.', { framework: FRAMEWORK }), { status: 413 });
    return new URLSearchParams(await request.text());
  };

  /** The signed-in session and user, or a redirect to sign in (thrown, as React Router loaders do). */
  const requireUser = async ({ request, context }: Args): Promise<{ session: AppSession; user: DemoUser }> => {
    const session = await load(request);
    const user = currentUser(session);
    if (user) return { session, user };
    // A cookie that no longer names a session: it ended (expired, revoked); else a first visit.
    const hadCookie = new RegExp(`(?:^|;\\s*)${COOKIE}=`).test(request.headers.get('cookie') ?? '');
    if (!hadCookie) throw redirect(routes.signIn, 303);
    // Clear the dead cookie, so that the notice shows once (no Redis call: the session was never saved).
    throw redirect(`${routes.signIn}?notice=expired`, {
      status: 303,
      headers: { 'set-cookie': await storage.destroySession(session, { secure: context.secure }) },
    });
  };

  const routeObjects: RouteObject[] = [
    {
      path: routes.home,
      loader: async (args: Args) => {
        const { session, user } = await requireUser(args);
        const sessionCount = await storage.countUserSessions(user.id);
        const notice = session.get('notice') ?? noticeOf(args.request);
        return html(homePage({ framework: FRAMEWORK, user, sessionCount, notice }), { headers: await commit(session, args.context) });
      },
    },
    {
      path: routes.signIn,
      loader: async ({ request }: Args) => {
        if (currentUser(await load(request))) throw redirect(routes.home, 303);
        return html(signInPage({ framework: FRAMEWORK, notice: noticeOf(request) }));
      },
      action: async ({ request, context }: Args) => {
        const body = await form(request);
        const user = authenticate(body.get('username'), body.get('password'));
        if (!user) {
          return html(signInPage({ framework: FRAMEWORK, error: 'Wrong username or password.', username: body.get('username') ?? '' }), { status: 401 });
        }
        // A new id on every sign-in: a session id planted before sign-in (fixation) is worthless
        // after it. The old session (if any) ends; the new one gets a fresh id on its first commit.
        const previous = await load(request);
        if (previous.id) await storage.destroySession(previous);
        const session = await storage.getSession(null);
        session.set('userId', user.id);
        session.set('device', deviceMeta(request.headers.get('user-agent') ?? undefined, context.ip));
        session.flash('notice', NOTICES['signed-in']!);
        throw redirect(routes.home, { status: 303, headers: await commit(session, context) });
      },
    },
    {
      path: routes.signOut,
      action: async ({ request, context }: Args) => {
        const session = await load(request);
        throw redirect(`${routes.signIn}?notice=signed-out`, {
          status: 303,
          headers: { 'set-cookie': await storage.destroySession(session, { secure: context.secure }) },
        });
      },
    },
    {
      path: routes.sessions,
      loader: async (args: Args) => {
        const { session, user } = await requireUser(args);
        const sessions = await storage.listUserSessions(user.id);
        const page = sessionsPage({
          framework: FRAMEWORK,
          user,
          sessions,
          currentSessionId: storage.sessionHandle(session.id),
          notice: noticeOf(args.request),
        });
        return html(page, { headers: await commit(session, args.context) });
      },
    },
    {
      path: routes.revoke,
      action: async (args: Args) => {
        const { session, user } = await requireUser(args);
        // The form names a session by its handle, looked up among this user's own sessions only;
        // revokeUserSession checks the owner again inside Redis.
        const target = findSessionByHandle(await storage.listUserSessions(user.id), (await form(args.request)).get('session'));
        if (target && target.id === storage.sessionHandle(session.id)) throw redirect(routes.signOut, 307);
        const revoked = target ? await storage.revokeUserSession(user.id, target.id) : false;
        throw redirect(`${routes.sessions}?notice=${revoked ? 'revoked' : 'not-found'}`, 303);
      },
    },
    {
      path: routes.signOutOthers,
      action: async (args: Args) => {
        const { session, user } = await requireUser(args);
        await storage.invalidateAllUserSessions(user.id, { except: session.id });
        throw redirect(`${routes.sessions}?notice=others`, 303);
      },
    },
    {
      path: routes.signOutEverywhere,
      action: async (args: Args) => {
        const { session, user } = await requireUser(args);
        await storage.invalidateAllUserSessions(user.id);
        // This session is revoked too; clear its cookie.
        const cleared = await storage.destroySession(session, { secure: args.context.secure });
        throw redirect(`${routes.signIn}?notice=everywhere`, { status: 303, headers: { 'set-cookie': cleared } });
      },
    },
  ];
  const handler = createStaticHandler(routeObjects);

  async function fetchHandler(request: Request, context: RequestContext): Promise<Response> {
    const url = new URL(request.url);
    // Liveness for load balancers: never reads a cookie or waits on Redis, so it answers while
    // Redis is down or slow. `redis` is the client's state as last seen (no round trip).
    if (url.pathname === '/health') {
      return Response.json({ status: 'ok', redis: clientStatus(options.client) }, { headers: { 'cache-control': 'no-store' } });
    }
    // As /health: a scrape reads no cookie and no session.
    if (options.metrics && request.method === 'GET' && url.pathname === '/metrics') {
      return new Response(await options.metrics.scrape(), { headers: { 'content-type': options.metrics.contentType, 'cache-control': 'no-store' } });
    }
    const refused = crossSitePost(request);
    if (refused) return refused;
    let response: Response;
    try {
      const result = await handler.queryRoute(request, { requestContext: context as never });
      response = result instanceof Response ? result : html(String(result ?? ''));
    } catch (error) {
      response = failure(error, url);
    }
    // Pages show personal data: keep them out of shared caches and the back-button cache.
    response.headers.set('cache-control', 'no-store');
    return response;
  }

  return {
    fetch: fetchHandler,
    listener(req, res) {
      void serveNode(fetchHandler, req, res, options.trustProxy ?? false);
    },
    storage,
  };
}

function failure(error: unknown, url: URL): Response {
  if (error instanceof Response) return error;
  const html = (status: number, title: string, message: string, headers: Record<string, string> = {}) =>
    new Response(messagePage(title, message, { framework: FRAMEWORK }), { status, headers: { 'content-type': 'text/html; charset=utf-8', ...headers } });
  if (isRouteErrorResponse(error)) {
    if (error.status === 404) return html(404, 'Not found', `Nothing lives at ${url.pathname}.`);
    if (error.status === 405) return html(405, 'Method not allowed', `${url.pathname} does not take that method.`);
  }
  if ((error as { code?: unknown } | null)?.code === 'ERR_REDIS') {
    // Redis down, paused or timing out (see the client's commandTimeout): "try again", not a bug.
    console.error((error as Error).message);
    return html(503, 'Sessions unavailable', 'The session store cannot be reached right now. Please try again in a moment.', { 'retry-after': '5' });
  }
  console.error(error);
  return html(500, 'Something went wrong', 'The server could not complete that request. Please try again.');
}

/**
 * Refuses state-changing requests whose Origin is another site (defence in depth beside the
 * SameSite=Lax cookie); an opaque origin ("null") is refused too. Requests without an Origin
 * header (curl, old browsers) pass.
 */
function crossSitePost(request: Request): Response | undefined {
  const origin = request.headers.get('origin');
  if (request.method !== 'POST' || !origin) return undefined;
  let host: string | undefined;
  try {
    host = origin === 'null' ? undefined : new URL(origin).host;
  } catch {
    host = undefined;
  }
  if (host === request.headers.get('host')) return undefined;
  return new Response(messagePage('Forbidden', 'Cross-site form submissions are refused.', { framework: FRAMEWORK }), {
    status: 403,
    headers: { 'content-type': 'text/html; charset=utf-8' },
  });
}

/** node:http to the Fetch handler and back, as React Router's server adapters do. */
async function serveNode(
  handle: (request: Request, context: RequestContext) => Promise<Response>,
  req: IncomingMessage,
  res: ServerResponse,
  trustProxy: boolean,
): Promise<void> {
  try {
    const forwardedProto = trustProxy
      ? String(req.headers['x-forwarded-proto'] ?? '')
          .split(',')[0]!
          .trim()
      : '';
    const forwardedFor = trustProxy
      ? String(req.headers['x-forwarded-for'] ?? '')
          .split(',')[0]!
          .trim()
      : '';
    const secure = forwardedProto === 'https';
    const headers = new Headers();
    for (const [name, value] of Object.entries(req.headers)) {
      if (Array.isArray(value)) for (const v of value) headers.append(name, v);
      else if (value !== undefined) headers.set(name, value);
    }
    const controller = new AbortController();
    res.on('close', () => controller.abort());
    const hasBody = req.method !== 'GET' && req.method !== 'HEAD';
    const chunks: Buffer[] = [];
    let size = 0;
    if (hasBody) {
      for await (const chunk of req) {
        size += (chunk as Buffer).length;
        if (size > MAX_FORM_BYTES) {
          res.writeHead(413, { 'content-type': 'text/plain' }).end('Request body too large');
          return;
        }
        chunks.push(chunk as Buffer);
      }
    }
    const request = new Request(`${secure ? 'https' : 'http'}://${req.headers.host ?? 'localhost'}${req.url ?? '/'}`, {
      method: req.method,
      headers,
      signal: controller.signal,
      ...(hasBody ? { body: Buffer.concat(chunks) } : {}),
    });
    const response = await handle(request, { ip: forwardedFor || req.socket.remoteAddress || '', secure });
    res.statusCode = response.status;
    for (const [name, value] of response.headers) if (name !== 'set-cookie') res.setHeader(name, value);
    const cookies = response.headers.getSetCookie();
    if (cookies.length) res.setHeader('set-cookie', cookies);
    res.end(Buffer.from(await response.arrayBuffer()));
  } catch (error) {
    console.error(error);
    if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
    res.end();
  }
}
