import { Hono, type Context } from 'hono';
import { getCookie } from 'hono/cookie';
import { RedisOperationError, sessionKit, type SessionEnv, type SessionKitMiddleware } from '@sessionkit/hono';
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

/** What this app keeps in a session. */
interface AppSession {
  userId?: string;
  /** Browser and IP at sign-in, shown on the Active sessions page (see the store's `meta`). */
  device?: DeviceMeta;
}

export interface AppOptions {
  /** The Redis client: ioredis, node-redis or, on Bun, Bun's RedisClient (REDIS_CLIENT); see examples/shared/src/redis.ts. */
  client: RedisConnection['client'];
  /** Signs the session cookie (the first signs, all verify, for rotation). Every instance behind one load balancer needs the same ones. */
  secret: string | string[];
  /**
   * Behind a TLS-terminating proxy: X-Forwarded-Proto decides the Secure flag, X-Forwarded-For the
   * IP shown. Only set it when every request comes through the proxy. Default false.
   */
  trustProxy?: boolean;
  /** Session lifetime in seconds (sliding). Default 7 days. */
  maxAge?: number;
  /** Session lifetime from sign-in in ms, however active. Default 30 days. */
  absoluteTimeout?: number;
  /** With METRICS=1 (main.ts): SessionKit's metrics, served on GET /metrics in Prometheus's text format. */
  metrics?: Metrics | undefined;
  /** Encrypt sessions at rest with these keys (SESSION_ENCRYPTION_KEYS, see encryptionKeysFromEnv); none: in clear. */
  encryptionKeys?: readonly string[] | undefined;
}

export type HonoApp = Hono<SessionEnv<AppSession>> & { sessionStore: SessionKitMiddleware<AppSession> };
type Ctx = Context<SessionEnv<AppSession>>;

const COOKIE = 'sid';
const FRAMEWORK = 'Hono';
const FORM_LIMIT = 8192;

const NOTICES: Record<string, string> = {
  'signed-in': 'Signed in.',
  revoked: 'That session was signed out.',
  'not-found': 'That session had already ended.',
  others: 'Signed out of every other session.',
  everywhere: 'Signed out everywhere.',
  'signed-out': 'Signed out.',
  expired: 'Your session has ended. Please sign in again.',
};

/** The peer's address on either runtime: @hono/node-server's `incoming` socket, or Bun.serve's `requestIP`. */
function peerAddress(c: Ctx): string | undefined {
  const env = c.env as { incoming?: { socket?: { remoteAddress?: string } }; requestIP?: (request: Request) => { address: string } | null } | undefined;
  return env?.incoming?.socket?.remoteAddress ?? env?.requestIP?.(c.req.raw)?.address;
}

/** A small urlencoded form (two fields per form at most), refused past FORM_LIMIT bytes. */
async function readForm(c: Ctx): Promise<Record<string, string> | Response> {
  if (!c.req.header('content-type')?.startsWith('application/x-www-form-urlencoded')) return {};
  const text = await c.req.text();
  if (text.length > FORM_LIMIT) return c.html(messagePage('Bad request', 'That form is too large.', { framework: FRAMEWORK }), 413);
  return Object.fromEntries(new URLSearchParams(text));
}

/**
 * The example app. Sessions live in Redis through `@sessionkit/hono`, so any number of instances
 * (on Node or on Bun) can serve the same users; the store's per-user index gives the Active
 * sessions page, "revoke that device" and "sign out everywhere".
 */
export function createApp(options: AppOptions): HonoApp {
  const sessions = sessionKit<AppSession>({
    client: options.client,
    // Data and device details encrypted at rest when SESSION_ENCRYPTION_KEYS is set (main.ts).
    ...(options.encryptionKeys ? { encryptionKeys: options.encryptionKeys } : {}),
    secret: options.secret,
    name: COOKIE,
    ttl: options.maxAge ?? 7 * 24 * 3600,
    trustProxy: options.trustProxy ?? false,
    // Owner of each session (the default reads session.userId too; explicit here for clarity).
    userId: (s) => s.userId,
    // What the Active sessions page shows beside each session.
    meta: (s) => (s.device ? { ...s.device } : undefined),
    // However active, a session ends 30 days after sign-in (OWASP ASVS 7.3.2); ttl is the idle timeout.
    absoluteTimeout: options.absoluteTimeout ?? 30 * 24 * 3600 * 1000,
  });
  const app = new Hono<SessionEnv<AppSession>>() as HonoApp;
  app.sessionStore = sessions;

  // Redis down, paused or timing out (see the client's commandTimeout) is "try again", not a bug.
  app.onError((error, c) => {
    if (error instanceof RedisOperationError) {
      console.error(error.message);
      c.header('Retry-After', '5');
      const page = 'The session store cannot be reached right now. Please try again in a moment.';
      return c.html(messagePage('Sessions unavailable', page, { framework: FRAMEWORK }), 503);
    }
    console.error(error);
    return c.html(messagePage('Something went wrong', 'The server could not complete that request. Please try again.', { framework: FRAMEWORK }), 500);
  });
  app.notFound((c) => c.html(messagePage('Not found', `Nothing lives at ${c.req.path}.`, { framework: FRAMEWORK }), 404));

  // Liveness for load balancers, before the session middleware: no cookie read, no Redis round trip.
  app.on(['GET', 'HEAD'], '/health', (c) => {
    c.header('Cache-Control', 'no-store');
    return c.json({ status: 'ok', redis: clientStatus(options.client) });
  });
  // As /health: a scrape reads no cookie and starts no session. Without METRICS=1, not found.
  const metrics = options.metrics;
  if (metrics) {
    app.get('/metrics', async (c) => {
      c.header('Cache-Control', 'no-store');
      return c.body(await metrics.scrape(), 200, { 'Content-Type': metrics.contentType });
    });
  }

  // Pages show personal data: keep them out of shared caches. A state-changing request from
  // another site is refused (defence in depth beside SameSite=Lax).
  app.use(async (c, next) => {
    const origin = c.req.header('origin');
    if (c.req.method === 'POST' && origin && !sameOrigin(origin, c.req.header('host'))) {
      return c.html(messagePage('Forbidden', 'Cross-site form submissions are refused.', { framework: FRAMEWORK }), 403);
    }
    await next();
    c.header('Cache-Control', 'no-store');
  });
  app.use(sessions);

  /** The signed-in user, or null (one Redis GET the first time in a request). */
  const currentUser = async (c: Ctx): Promise<DemoUser | null> => findUser((await c.var.session.get()).userId);
  const notice = (c: Ctx) => NOTICES[c.req.query('notice') ?? ''];
  /** Runs `page` for a signed-in user; sends everyone else to sign in. */
  const signedIn = (page: (c: Ctx, user: DemoUser) => Promise<Response>) => async (c: Ctx) => {
    const user = await currentUser(c);
    // "Your session has ended" only for browsers that brought a session cookie.
    if (!user) return c.redirect(getCookie(c, COOKIE) ? `${routes.signIn}?notice=expired` : routes.signIn, 303);
    return page(c, user);
  };

  app.get(
    routes.home,
    signedIn(async (c, user) => c.html(homePage({ framework: FRAMEWORK, user, sessionCount: await sessions.countUserSessions(user.id), notice: notice(c) }))),
  );

  app.get(routes.signIn, async (c) => {
    if (await currentUser(c)) return c.redirect(routes.home, 303);
    return c.html(signInPage({ framework: FRAMEWORK, notice: notice(c) }));
  });

  app.post(routes.signIn, async (c) => {
    const form = await readForm(c);
    if (form instanceof Response) return form;
    const user = authenticate(form.username, form.password);
    if (!user) return c.html(signInPage({ framework: FRAMEWORK, error: 'Wrong username or password.', username: String(form.username ?? '') }), 401);
    const session = await c.var.session.get();
    const forwarded = options.trustProxy ? c.req.header('x-forwarded-for')?.split(',')[0]?.trim() : undefined;
    Object.assign(session, { userId: user.id, device: deviceMeta(c.req.header('user-agent'), forwarded || peerAddress(c)) });
    // A new id on every sign-in: a session id planted before sign-in (fixation) is worthless after it.
    await c.var.session.regenerate();
    return c.redirect(routes.home, 303);
  });

  app.post(routes.signOut, async (c) => {
    await c.var.session.destroy(); // deleted from Redis now; the cookie is cleared with the response
    return c.redirect(`${routes.signIn}?notice=signed-out`, 303);
  });

  app.get(
    routes.sessions,
    signedIn(async (c, user) => {
      const list = await c.var.session.listSessions();
      return c.html(sessionsPage({ framework: FRAMEWORK, user, sessions: list, currentSessionId: c.var.session.id ?? '', notice: notice(c) }));
    }),
  );

  app.post(
    routes.revoke,
    signedIn(async (c) => {
      const form = await readForm(c);
      if (form instanceof Response) return form;
      // The form names a session by its handle, looked up among this user's own sessions only;
      // revokeSession checks the owner again inside Redis.
      const target = findSessionByHandle(await c.var.session.listSessions(), form.session);
      if (target?.current) return c.redirect(routes.signOut, 307);
      const revoked = target ? await c.var.session.revokeSession(target.id) : false;
      return c.redirect(`${routes.sessions}?notice=${revoked ? 'revoked' : 'not-found'}`, 303);
    }),
  );

  app.post(
    routes.signOutOthers,
    signedIn(async (c) => {
      await c.var.session.logoutEverywhere({ keepCurrent: true });
      return c.redirect(`${routes.sessions}?notice=others`, 303);
    }),
  );

  app.post(
    routes.signOutEverywhere,
    signedIn(async (c) => {
      // Revokes this session too, and drops it from the request so the response does not save it.
      await c.var.session.logoutEverywhere();
      return c.redirect(`${routes.signIn}?notice=everywhere`, 303);
    }),
  );

  return app;
}

/** Whether an Origin header is this site; an opaque origin ("null") is not. */
function sameOrigin(origin: string, host: string | undefined): boolean {
  try {
    return origin !== 'null' && new URL(origin).host === host;
  } catch {
    return false;
  }
}
