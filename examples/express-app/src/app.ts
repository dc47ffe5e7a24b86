import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import session from 'express-session';
import { RedisStore, type RedisStoreOptions } from '@sessionkit/express';
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

declare module 'express-session' {
  interface SessionData {
    userId?: string;
    /** Browser and IP at sign-in, shown on the Active sessions page (see the store's `meta`). */
    device?: DeviceMeta;
  }
}

export interface AppOptions {
  /** The Redis client, ioredis or node-redis (REDIS_CLIENT); see examples/shared/src/redis.ts for the environment. */
  client: NonNullable<RedisStoreOptions['client']>;
  /** Signs the session cookie. Every instance behind one load balancer needs the same one. */
  secret: string | string[];
  /**
   * Express's 'trust proxy'. Set it (e.g. 1: one proxy hop) when the app runs behind a TLS
   * terminating proxy, so that `req.secure` and `req.ip` come from X-Forwarded-Proto/-For and the
   * session cookie gets the Secure flag. Default false (direct connections).
   */
  trustProxy?: boolean | number | string;
  /** Session lifetime in ms (sliding). Default 7 days. */
  maxAge?: number;
  /** Session lifetime from sign-in in ms, however active. Default 30 days. */
  absoluteTimeout?: number;
  /** With METRICS=1 (main.ts): SessionKit's metrics, served on GET /metrics in Prometheus's text format. */
  metrics?: Metrics | undefined;
  /** Encrypt sessions at rest with these keys (SESSION_ENCRYPTION_KEYS, see encryptionKeysFromEnv); none: in clear. */
  encryptionKeys?: readonly string[] | undefined;
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

const FRAMEWORK = 'Express';

declare global {
  namespace Express {
    interface Locals {
      sessionStore: RedisStore;
    }
  }
}

/**
 * The example app. Sessions live in Redis through `@sessionkit/express`, so any number of
 * instances can serve the same users; the store's per-user index gives the Active sessions page,
 * "revoke that device" and "sign out everywhere".
 */
export function createApp(options: AppOptions): express.Express {
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

  const app = express();
  app.disable('x-powered-by');
  app.set('trust proxy', options.trustProxy ?? false);
  app.locals.sessionStore = store;

  // Liveness for load balancers, mounted before the session middleware: it never reads a cookie
  // or waits on Redis, so it answers while Redis is down or slow. `redis` is the client's state
  // as last seen (no round trip).
  app.get('/health', (_req, res) => {
    res.set('Cache-Control', 'no-store').json({ status: 'ok', redis: clientStatus(options.client) });
  });
  // Before the session middleware, as /health: a scrape reads no cookie and no session.
  const { metrics } = options;
  if (metrics) {
    app.get('/metrics', (_req, res, next) => {
      metrics.scrape().then((text) => res.set({ 'Content-Type': metrics.contentType, 'Cache-Control': 'no-store' }).send(text), next);
    });
  }

  app.use(
    session({
      name: 'sid',
      store,
      secret: options.secret,
      resave: false, // the store touches instead; see docs/express.md for the per-request cost
      saveUninitialized: false, // no session (and no Redis write) until someone signs in
      // Without rolling, express-session re-sends the cookie only when the session changes, so
      // the browser drops it maxAge after sign-in however active the user is, while Redis keeps
      // sliding. Rolling re-signs the cookie on every response; it costs no Redis round trip
      // (the store's touch stays throttled by touchAfter).
      rolling: true,
      cookie: {
        httpOnly: true,
        sameSite: 'lax', // with the Origin check below, a cross-site form cannot act for the user
        secure: 'auto', // Secure over HTTPS (req.secure; see trustProxy), plain on http://localhost
        maxAge: options.maxAge ?? 7 * 24 * 3600 * 1000,
      },
    }),
  );
  app.use(express.urlencoded({ extended: false, limit: '8kb' }));
  app.use(noStore);
  app.use(sameOriginPosts);

  /** The signed-in user, or null. */
  const currentUser = (req: Request): DemoUser | null => (req.session ? findUser(req.session.userId) : null);
  const requireUser: RequestHandler = (req, res, next) => {
    if (!req.session) return void unavailable(res);
    if (!currentUser(req)) {
      // A cookie that no longer names a session: it ended (expired, revoked); else a first visit.
      const hadCookie = /(?:^|;\s*)sid=/.test(req.get('cookie') ?? '');
      return void res.redirect(303, hadCookie ? `${routes.signIn}?notice=expired` : routes.signIn);
    }
    next();
  };
  const wrap =
    (fn: (req: Request, res: Response) => Promise<void>): RequestHandler =>
    (req, res, next) => {
      fn(req, res).catch(next);
    };
  const notice = (req: Request) => NOTICES[String(req.query.notice ?? '')];

  app.get(
    routes.home,
    requireUser,
    wrap(async (req, res) => {
      const user = currentUser(req)!;
      const sessionCount = await store.countUserSessions(user.id);
      res.send(homePage({ framework: FRAMEWORK, user, sessionCount, notice: notice(req) }));
    }),
  );

  app.get(routes.signIn, (req, res) => {
    if (currentUser(req)) return res.redirect(303, routes.home);
    res.send(signInPage({ framework: FRAMEWORK, notice: notice(req) }));
  });

  app.post(routes.signIn, (req, res, next) => {
    if (!req.session) return unavailable(res);
    const user = authenticate(req.body?.username, req.body?.password);
    if (!user) {
      res.status(401).send(signInPage({ framework: FRAMEWORK, error: 'Wrong username or password.', username: String(req.body?.username ?? '') }));
      return;
    }
    // A new id on every sign-in: a session id planted before sign-in (fixation) is worthless after it.
    req.session.regenerate((err) => {
      if (err) return next(err);
      req.session.userId = user.id;
      req.session.device = deviceMeta(req.get('user-agent'), req.ip);
      req.session.save((err2) => (err2 ? next(err2) : res.redirect(303, routes.home)));
    });
  });

  app.post(routes.signOut, (req, res, next) => {
    if (!req.session) return unavailable(res);
    req.session.destroy((err) => {
      if (err) return next(err);
      res.clearCookie('sid', { path: '/' });
      res.redirect(303, `${routes.signIn}?notice=signed-out`);
    });
  });

  app.get(
    routes.sessions,
    requireUser,
    wrap(async (req, res) => {
      const user = currentUser(req)!;
      const sessions = await store.listUserSessions(user.id);
      res.send(sessionsPage({ framework: FRAMEWORK, user, sessions, currentSessionId: store.sessionHandle(req.sessionID), notice: notice(req) }));
    }),
  );

  app.post(
    routes.revoke,
    requireUser,
    wrap(async (req, res) => {
      const user = currentUser(req)!;
      // The form names a session by its handle, looked up among this user's own sessions only;
      // revokeUserSession checks the owner again inside Redis.
      const target = findSessionByHandle(await store.listUserSessions(user.id), req.body?.session);
      if (target && target.id === store.sessionHandle(req.sessionID)) return res.redirect(307, routes.signOut);
      const revoked = target ? await store.revokeUserSession(user.id, target.id) : false;
      res.redirect(303, `${routes.sessions}?notice=${revoked ? 'revoked' : 'not-found'}`);
    }),
  );

  app.post(
    routes.signOutOthers,
    requireUser,
    wrap(async (req, res) => {
      await store.invalidateAllUserSessions(currentUser(req)!.id, { except: req.sessionID });
      res.redirect(303, `${routes.sessions}?notice=others`);
    }),
  );

  app.post(
    routes.signOutEverywhere,
    requireUser,
    wrap(async (req, res) => {
      await store.invalidateAllUserSessions(currentUser(req)!.id);
      // This session is revoked too; destroy it here so the response does not touch it again.
      await new Promise<void>((resolve, reject) => req.session.destroy((err) => (err ? reject(err) : resolve())));
      res.clearCookie('sid', { path: '/' });
      res.redirect(303, `${routes.signIn}?notice=everywhere`);
    }),
  );

  app.use((req, res) => {
    res.status(404).send(messagePage('Not found', `Nothing lives at ${req.path}.`, { framework: FRAMEWORK }));
  });
  app.use((err: Error & { code?: string }, req: Request, res: Response, _next: NextFunction) => {
    if (err.code === 'ERR_REDIS') {
      // Redis down, paused or timing out (see the client's commandTimeout): "try again", not a bug.
      console.error(err.message);
      if (res.headersSent) return;
      // Do not touch/save the session on the way out: that would fail too, and express-session
      // hands the second failure to next() after this response has begun, past this handler, so
      // Express's final handler would drop the connection (the client sees a reset, not the 503).
      (req as { session?: unknown }).session = undefined;
      unavailable(res);
      return;
    }
    console.error(err);
    if (res.headersSent) return;
    res.status(500).send(messagePage('Something went wrong', 'The server could not complete that request. Please try again.', { framework: FRAMEWORK }));
  });
  return app;
}

/** Pages show personal data: keep them out of shared caches and the back-button cache. */
function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.set('Cache-Control', 'no-store');
  next();
}

/**
 * Refuses state-changing requests whose Origin is another site (defence in depth beside the
 * SameSite=Lax cookie); an opaque origin ("null") is refused too. Requests without an Origin
 * header (curl, old browsers) pass.
 */
function sameOriginPosts(req: Request, res: Response, next: NextFunction): void {
  const origin = req.get('origin');
  if (req.method === 'POST' && origin) {
    let host: string | undefined;
    try {
      host = origin === 'null' ? undefined : new URL(origin).host;
    } catch {
      host = undefined;
    }
    if (host !== req.get('host')) {
      res.status(403).send(messagePage('Forbidden', 'Cross-site form submissions are refused.', { framework: FRAMEWORK }));
      return;
    }
  }
  next();
}

/** express-session skips the store while Redis is unreachable: say so instead of "please sign in". */
function unavailable(res: Response): void {
  res
    .status(503)
    .set('Retry-After', '5')
    .send(messagePage('Sessions unavailable', 'The session store cannot be reached right now. Please try again in a moment.', { framework: FRAMEWORK }));
}
