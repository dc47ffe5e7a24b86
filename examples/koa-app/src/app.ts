import { randomBytes } from 'node:crypto';
import Koa, { type Context } from 'koa';
import session from 'koa-session';
import { currentSessionId, RedisStore, sessionHelpers } from '@sessionkit/koa';
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
  [key: string]: unknown;
}

export interface AppOptions {
  /** The Redis client, ioredis or node-redis (REDIS_CLIENT); see examples/shared/src/redis.ts for the environment. */
  client: RedisConnection['client'];
  /**
   * Signs the session cookie (Koa's `app.keys`: the first signs, all verify, for key rotation).
   * Every instance behind one load balancer needs the same ones.
   */
  secret: string | string[];
  /**
   * Koa's `app.proxy`. Set it when the app runs behind a TLS-terminating proxy, so that
   * `ctx.secure` and `ctx.ip` come from X-Forwarded-Proto/-For and the session cookie gets the
   * Secure flag. Koa then believes those headers from any peer: only set it when every request
   * comes through the proxy. Default false.
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

export interface KoaApp extends Koa {
  sessionStore: RedisStore<AppSession>;
}

const COOKIE = 'sid';
const FRAMEWORK = 'Koa';
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

class HttpError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** A small urlencoded form reader (the app needs nothing more than two fields per form). */
async function readForm(ctx: Context): Promise<Record<string, string>> {
  if (!ctx.is('application/x-www-form-urlencoded')) return {};
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of ctx.req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > FORM_LIMIT) throw new HttpError(413, 'That form is too large.');
    chunks.push(chunk);
  }
  return Object.fromEntries(new URLSearchParams(Buffer.concat(chunks).toString('utf8')));
}

/**
 * The example app (not yet listening). Sessions live in Redis through `@sessionkit/koa`, so any
 * number of instances can serve the same users; the store's per-user index gives the Active
 * sessions page, "revoke that device" and "sign out everywhere".
 */
export function createApp(options: AppOptions): KoaApp {
  const store = new RedisStore<AppSession>({
    client: options.client,
    // Data and device details encrypted at rest when SESSION_ENCRYPTION_KEYS is set (main.ts).
    ...(options.encryptionKeys ? { encryptionKeys: options.encryptionKeys } : {}),
    // Owner of each session (the default reads session.userId too; explicit here for clarity).
    userId: (s) => s.userId,
    // What the Active sessions page shows beside each session.
    meta: (s) => (s.device ? { ...s.device } : undefined),
    // However active, a session ends 30 days after sign-in (OWASP ASVS 7.3.2); koa-session's
    // maxAge below is the idle timeout.
    absoluteTimeout: options.absoluteTimeout ?? 30 * 24 * 3600 * 1000,
  });

  const app = new Koa() as KoaApp;
  app.sessionStore = store;
  app.keys = Array.isArray(options.secret) ? options.secret : [options.secret];
  app.proxy = options.trustProxy ?? false;

  // Errors first, so that it also sees koa-session's: Redis down, paused or timing out (see the
  // client's commandTimeout) is "try again" (the store marks those 503), not a bug.
  app.use(async (ctx, next) => {
    try {
      await next();
    } catch (error) {
      const status = (error as { status?: unknown }).status;
      if (status === 503) {
        console.error((error as Error).message);
        ctx.status = 503;
        ctx.set('Retry-After', '5');
        ctx.body = messagePage('Sessions unavailable', 'The session store cannot be reached right now. Please try again in a moment.', {
          framework: FRAMEWORK,
        });
      } else if (error instanceof HttpError) {
        ctx.status = error.status;
        ctx.body = messagePage('Bad request', error.message, { framework: FRAMEWORK });
      } else {
        console.error(error);
        ctx.status = 500;
        ctx.body = messagePage('Something went wrong', 'The server could not complete that request. Please try again.', { framework: FRAMEWORK });
      }
    }
  });

  // Liveness for load balancers, before the session middleware: it never reads a cookie or waits
  // on Redis, so it answers while Redis is down or slow. `redis` is the client's state as last
  // seen (no round trip).
  app.use(async (ctx, next) => {
    if ((ctx.method === 'GET' || ctx.method === 'HEAD') && ctx.path === '/health') {
      ctx.set('Cache-Control', 'no-store');
      ctx.body = { status: 'ok', redis: clientStatus(options.client) };
      return;
    }
    // As /health: a scrape reads no cookie and no session.
    if (options.metrics && ctx.method === 'GET' && ctx.path === '/metrics') {
      ctx.set('Cache-Control', 'no-store');
      ctx.type = options.metrics.contentType;
      ctx.body = await options.metrics.scrape();
      return;
    }
    await next();
  });

  // Pages show personal data: keep them out of shared caches and the back-button cache. And a
  // state-changing request from another site is refused (defence in depth beside SameSite=Lax).
  app.use(async (ctx, next) => {
    ctx.set('Cache-Control', 'no-store');
    if (ctx.method === 'POST' && !sameOrigin(ctx)) {
      ctx.status = 403;
      ctx.body = messagePage('Forbidden', 'Cross-site form submissions are refused.', { framework: FRAMEWORK });
      return;
    }
    await next();
  });

  app.use(
    session(
      {
        key: COOKIE,
        store,
        // 192 random bits per id. koa-session's default, a UUID v4, has 122: under the 128 that
        // OWASP ASVS 7.2.3 asks for.
        genid: () => randomBytes(24).toString('base64url'),
        maxAge: options.maxAge ?? 7 * 24 * 3600 * 1000,
        // Re-sends the cookie with a fresh expiry on every response, and saves the unchanged
        // session: the store then only moves the Redis expiry once in a while (touchAfter), so a
        // page view costs one Redis round trip.
        rolling: true,
        httpOnly: true,
        sameSite: 'lax', // with the Origin check above, a cross-site form cannot act for the user
        // `secure` unset: Secure over HTTPS (ctx.secure; see trustProxy), plain on http://localhost.
      },
      app,
    ),
  );
  // ctx.listSessions(), ctx.revokeSession(id), ctx.logoutEverywhere({ keepCurrent }).
  sessionHelpers(app, { store });

  /** The session's data; koa-session creates an empty one for visitors without a cookie. */
  const data = (ctx: Context) => ctx.session as unknown as AppSession;
  /** The signed-in user, or null. */
  const currentUser = (ctx: Context): DemoUser | null => findUser(data(ctx).userId);
  const notice = (ctx: Context) => NOTICES[String(ctx.query.notice ?? '')];
  const redirect = (ctx: Context, url: string, status = 303) => {
    ctx.redirect(url);
    ctx.status = status;
  };
  /** Runs `page` for a signed-in user; sends everyone else to sign in. */
  const signedIn = (page: (ctx: Context, user: DemoUser) => Promise<void>) => async (ctx: Context) => {
    const user = currentUser(ctx);
    // "Your session has ended" only for browsers that brought a session cookie.
    if (!user) return redirect(ctx, ctx.cookies.get(COOKIE) ? `${routes.signIn}?notice=expired` : routes.signIn);
    await page(ctx, user);
  };

  const pages: Record<string, (ctx: Context) => Promise<void>> = {
    [`GET ${routes.home}`]: signedIn(async (ctx, user) => {
      const sessionCount = await store.countUserSessions(user.id);
      ctx.body = homePage({ framework: FRAMEWORK, user, sessionCount, notice: notice(ctx) });
    }),

    [`GET ${routes.signIn}`]: async (ctx) => {
      if (currentUser(ctx)) return redirect(ctx, routes.home);
      ctx.body = signInPage({ framework: FRAMEWORK, notice: notice(ctx) });
    },

    [`POST ${routes.signIn}`]: async (ctx) => {
      const form = await readForm(ctx);
      const user = authenticate(form.username, form.password);
      if (!user) {
        ctx.status = 401;
        ctx.body = signInPage({ framework: FRAMEWORK, error: 'Wrong username or password.', username: String(form.username ?? '') });
        return;
      }
      const s = data(ctx);
      s.userId = user.id;
      s.device = deviceMeta(ctx.get('user-agent'), ctx.ip);
      // A new id on every sign-in: a session id planted before sign-in (fixation) is worthless after it.
      await ctx.session!.regenerate();
      redirect(ctx, routes.home);
    },

    [`POST ${routes.signOut}`]: async (ctx) => {
      // koa-session deletes it from Redis and clears the cookie when the response goes.
      ctx.session = null;
      redirect(ctx, `${routes.signIn}?notice=signed-out`);
    },

    [`GET ${routes.sessions}`]: signedIn(async (ctx, user) => {
      const sessions = await ctx.listSessions();
      ctx.body = sessionsPage({ framework: FRAMEWORK, user, sessions, currentSessionId: currentSessionId(ctx) ?? '', notice: notice(ctx) });
    }),

    [`POST ${routes.revoke}`]: signedIn(async (ctx) => {
      // The form names a session by its handle, looked up among this user's own sessions only;
      // revokeSession checks the owner again inside Redis.
      const target = findSessionByHandle(await ctx.listSessions(), (await readForm(ctx)).session);
      if (target?.current) return redirect(ctx, routes.signOut, 307);
      const revoked = target ? await ctx.revokeSession(target.id) : false;
      redirect(ctx, `${routes.sessions}?notice=${revoked ? 'revoked' : 'not-found'}`);
    }),

    [`POST ${routes.signOutOthers}`]: signedIn(async (ctx) => {
      await ctx.logoutEverywhere({ keepCurrent: true });
      redirect(ctx, `${routes.sessions}?notice=others`);
    }),

    [`POST ${routes.signOutEverywhere}`]: signedIn(async (ctx) => {
      // Revokes this session too, and drops it from the request so the response does not save it.
      await ctx.logoutEverywhere();
      redirect(ctx, `${routes.signIn}?notice=everywhere`);
    }),
  };

  app.use(async (ctx) => {
    const page = pages[`${ctx.method} ${ctx.path}`];
    if (page) return page(ctx);
    ctx.status = 404;
    ctx.body = messagePage('Not found', `Nothing lives at ${ctx.path}.`, { framework: FRAMEWORK });
  });

  return app;
}

/**
 * Whether a request's Origin is this site; an opaque origin ("null") is not. Requests without an
 * Origin header (curl, old browsers) pass.
 */
function sameOrigin(ctx: Context): boolean {
  const origin = ctx.get('origin');
  if (!origin) return true;
  try {
    return origin !== 'null' && new URL(origin).host === ctx.get('host');
  } catch {
    return false;
  }
}
