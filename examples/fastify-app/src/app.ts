import fastifyCookie from '@fastify/cookie';
import fastifyFormbody from '@fastify/formbody';
import fastifySession from '@fastify/session';
import Fastify, { type FastifyInstance, type FastifyReply, type FastifyRequest, type FastifyServerOptions } from 'fastify';
import { RedisStore, sessionKitPlugin, type RedisStoreOptions } from '@sessionkit/fastify';
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
  type Metrics,
} from '@sessionkit/example-shared';

declare module 'fastify' {
  interface Session {
    userId?: string;
    /** Browser and IP at sign-in, shown on the Active sessions page (see the store's `meta`). */
    device?: DeviceMeta;
  }
  interface FastifyInstance {
    sessionStore: RedisStore;
  }
}

export interface AppOptions {
  /** The Redis client, ioredis or node-redis (REDIS_CLIENT); see examples/shared/src/redis.ts for the environment. */
  client: NonNullable<RedisStoreOptions['client']>;
  /**
   * Signs the session cookie: a string of 32 characters or more, or an array (the first signs,
   * all verify: key rotation). Every instance behind one load balancer needs the same one.
   */
  secret: string | string[];
  /**
   * Fastify's `trustProxy`. Set it (the proxy's addresses, e.g. '10.0.0.1' or 'loopback', or true)
   * when the app runs behind a TLS-terminating proxy, so that `request.protocol` and `request.ip` come from
   * X-Forwarded-Proto/-For and the session cookie gets the Secure flag. Default false.
   */
  trustProxy?: FastifyServerOptions['trustProxy'];
  /**
   * The cookie's Secure flag. Default 'auto': Secure when the request came over HTTPS (see
   * `trustProxy`), plain on http://localhost. @fastify/session's own default is `true`, which
   * never sets a cookie over plain HTTP.
   */
  cookieSecure?: boolean | 'auto';
  /** Session lifetime in ms (sliding). Default 7 days. */
  maxAge?: number;
  /** Session lifetime from sign-in in ms, however active. Default 30 days. */
  absoluteTimeout?: number;
  /** Fastify's logger option. Default false. */
  logger?: FastifyServerOptions['logger'];
  /** With METRICS=1 (main.ts): SessionKit's metrics, served on GET /metrics in Prometheus's text format. */
  metrics?: Metrics | undefined;
  /** Encrypt sessions at rest with these keys (SESSION_ENCRYPTION_KEYS, see encryptionKeysFromEnv); none: in clear. */
  encryptionKeys?: readonly string[] | undefined;
}

const COOKIE = 'sid';
const FRAMEWORK = 'Fastify';

const NOTICES: Record<string, string> = {
  'signed-in': 'Signed in.',
  revoked: 'That session was signed out.',
  'not-found': 'That session had already ended.',
  others: 'Signed out of every other session.',
  everywhere: 'Signed out everywhere.',
  'signed-out': 'Signed out.',
  expired: 'Your session has ended. Please sign in again.',
};

type Form = { Body: Record<string, string | undefined>; Querystring: { notice?: string } };

/**
 * The example app (not yet listening). Sessions live in Redis through `@sessionkit/fastify`, so
 * any number of instances can serve the same users; the store's per-user index gives the Active
 * sessions page, "revoke that device" and "sign out everywhere".
 */
export async function buildApp(options: AppOptions): Promise<FastifyInstance> {
  const store = new RedisStore({
    client: options.client,
    // Data and device details encrypted at rest when SESSION_ENCRYPTION_KEYS is set (main.ts).
    ...(options.encryptionKeys ? { encryptionKeys: options.encryptionKeys } : {}),
    // Owner of each session (the default reads session.userId too; explicit here for clarity).
    userId: (s) => s.userId,
    // What the Active sessions page shows beside each session.
    meta: (s) => (s.device ? { ...s.device } : undefined),
    // However active, a session ends 30 days after sign-in (OWASP ASVS 7.3.2); the cookie's
    // maxAge below is the idle timeout.
    absoluteTimeout: options.absoluteTimeout ?? 30 * 24 * 3600 * 1000,
  });

  const app = Fastify({ logger: options.logger ?? false, trustProxy: options.trustProxy ?? false });
  app.decorate('sessionStore', store);
  // Liveness for load balancers, answered by a hook added before @fastify/session's: a reply sent
  // from a hook skips the later hooks, so /health never reads a cookie or waits on Redis and
  // answers while Redis is down or slow. `redis` is the client's state as last seen (no round trip).
  app.addHook('onRequest', async (request, reply) => {
    if ((request.method === 'GET' || request.method === 'HEAD') && request.url.split('?', 1)[0] === '/health') {
      return reply.header('cache-control', 'no-store').send({ status: 'ok', redis: clientStatus(options.client) });
    }
    // As /health: a scrape reads no cookie and no session.
    if (options.metrics && request.method === 'GET' && request.url.split('?', 1)[0] === '/metrics') {
      return reply
        .header('content-type', options.metrics.contentType)
        .header('cache-control', 'no-store')
        .send(await options.metrics.scrape());
    }
  });
  await app.register(fastifyCookie);
  await app.register(fastifyFormbody, { bodyLimit: 8192 });
  await app.register(fastifySession, {
    store,
    secret: options.secret,
    cookieName: COOKIE,
    saveUninitialized: false, // no session (and no Redis write) until someone signs in
    // rolling: true (the default) re-sends the cookie with a fresh expiry on every response; the
    // store only moves the Redis expiry once in a while (touchAfter), so a read costs one round trip.
    cookie: {
      httpOnly: true,
      sameSite: 'lax', // with the Origin check below, a cross-site form cannot act for the user
      secure: options.cookieSecure ?? 'auto',
      maxAge: options.maxAge ?? 7 * 24 * 3600 * 1000,
    },
  });
  // request.listSessions(), request.revokeSession(id), request.logoutEverywhere({ keepCurrent }).
  await app.register(sessionKitPlugin, { store });

  app.addHook('onRequest', async (request, reply) => {
    // Pages show personal data: keep them out of shared caches and the back-button cache.
    reply.header('cache-control', 'no-store');
    if (request.method === 'POST' && !sameOrigin(request)) {
      return reply
        .code(403)
        .type('text/html; charset=utf-8')
        .send(messagePage('Forbidden', 'Cross-site form submissions are refused.', { framework: FRAMEWORK }));
    }
  });

  const html = (reply: FastifyReply, page: string) => reply.type('text/html; charset=utf-8').send(page);
  /** The signed-in user, or null. */
  const currentUser = (request: FastifyRequest): DemoUser | null => findUser(request.session?.userId);
  const notice = (request: FastifyRequest<Form>) => NOTICES[String(request.query.notice ?? '')];
  const requireUser = async (request: FastifyRequest, reply: FastifyReply) => {
    // "Your session has ended" only for browsers that brought a session cookie.
    if (!currentUser(request)) return reply.redirect(request.cookies[COOKIE] ? `${routes.signIn}?notice=expired` : routes.signIn, 303);
  };

  app.get<Form>(routes.home, { preHandler: requireUser }, async (request, reply) => {
    const user = currentUser(request)!;
    const sessionCount = await store.countUserSessions(user.id);
    return html(reply, homePage({ framework: FRAMEWORK, user, sessionCount, notice: notice(request) }));
  });

  app.get<Form>(routes.signIn, async (request, reply) => {
    if (currentUser(request)) return reply.redirect(routes.home, 303);
    return html(reply, signInPage({ framework: FRAMEWORK, notice: notice(request) }));
  });

  app.post<Form>(routes.signIn, async (request, reply) => {
    const user = authenticate(request.body?.username, request.body?.password);
    if (!user) {
      reply.code(401);
      return html(reply, signInPage({ framework: FRAMEWORK, error: 'Wrong username or password.', username: String(request.body?.username ?? '') }));
    }
    // A new id on every sign-in: a session id planted before sign-in (fixation) is worthless after it.
    await request.session.regenerate();
    request.session.userId = user.id;
    request.session.device = deviceMeta(request.headers['user-agent'], request.ip);
    // @fastify/session saves the changed session when the response is sent.
    return reply.redirect(routes.home, 303);
  });

  app.post(routes.signOut, async (request, reply) => {
    await request.session.destroy();
    reply.clearCookie(COOKIE, { path: '/' });
    return reply.redirect(`${routes.signIn}?notice=signed-out`, 303);
  });

  app.get<Form>(routes.sessions, { preHandler: requireUser }, async (request, reply) => {
    const user = currentUser(request)!;
    const sessions = await request.listSessions();
    return html(reply, sessionsPage({ framework: FRAMEWORK, user, sessions, currentSessionId: request.session.sessionId, notice: notice(request) }));
  });

  app.post<Form>(routes.revoke, { preHandler: requireUser }, async (request, reply) => {
    // The form names a session by its handle, looked up among this user's own sessions only;
    // revokeSession checks the owner again inside Redis.
    const target = findSessionByHandle(await request.listSessions(), request.body?.session);
    if (target?.current) return reply.redirect(routes.signOut, 307);
    const revoked = target ? await request.revokeSession(target.id) : false;
    return reply.redirect(`${routes.sessions}?notice=${revoked ? 'revoked' : 'not-found'}`, 303);
  });

  app.post(routes.signOutOthers, { preHandler: requireUser }, async (request, reply) => {
    await request.logoutEverywhere({ keepCurrent: true });
    return reply.redirect(`${routes.sessions}?notice=others`, 303);
  });

  app.post(routes.signOutEverywhere, { preHandler: requireUser }, async (request, reply) => {
    // Revokes this session too, and drops it from the request so the reply does not save it.
    await request.logoutEverywhere();
    reply.clearCookie(COOKIE, { path: '/' });
    return reply.redirect(`${routes.signIn}?notice=everywhere`, 303);
  });

  app.setNotFoundHandler((request, reply) => {
    reply.code(404);
    return html(reply, messagePage('Not found', `Nothing lives at ${request.url.split('?')[0]}.`, { framework: FRAMEWORK }));
  });

  app.setErrorHandler((error: Error & { statusCode?: number }, request, reply) => {
    // The store marks Redis failures (down, timed out) as 503 (error.code 'ERR_REDIS').
    if (error.statusCode === 503) {
      request.log.error({ err: error }, 'session store unavailable');
      reply.code(503).header('retry-after', '5');
      return html(
        reply,
        messagePage('Sessions unavailable', 'The session store cannot be reached right now. Please try again in a moment.', { framework: FRAMEWORK }),
      );
    }
    if (error.statusCode && error.statusCode < 500) {
      reply.code(error.statusCode);
      return html(reply, messagePage('Bad request', error.message, { framework: FRAMEWORK }));
    }
    request.log.error({ err: error }, 'request failed');
    reply.code(500);
    return html(reply, messagePage('Something went wrong', 'The server could not complete that request. Please try again.', { framework: FRAMEWORK }));
  });

  return app;
}

/**
 * Refuses state-changing requests whose Origin is another site (defence in depth beside the
 * SameSite=Lax cookie); an opaque origin ("null") is refused too. Requests without an Origin
 * header (curl, old browsers) pass.
 */
function sameOrigin(request: FastifyRequest): boolean {
  const origin = request.headers.origin;
  if (!origin) return true;
  try {
    return origin !== 'null' && new URL(origin).host === request.headers.host;
  } catch {
    return false;
  }
}
