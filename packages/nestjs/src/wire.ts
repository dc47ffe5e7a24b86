import type { InvalidateOptions, SessionInfo } from '@sessionkit/core';
import type { SessionKitModuleOptions } from './options.js';

/** The per-user API both adapters' stores have (`RedisStore` of @sessionkit/express or @sessionkit/fastify). */
export interface SessionKitStore {
  listUserSessions(userId: string | number): Promise<SessionInfo[]>;
  revokeUserSession(userId: string | number, sid: string): Promise<boolean>;
  invalidateAllUserSessions(userId: string | number, options?: InvalidateOptions): Promise<number>;
  countUserSessions(userId: string | number): Promise<number>;
  /** What listUserSessions returns as `id` for session id `sid` (its handle with `hashIds`). */
  sessionHandle(sid: string): string;
}

/** A platform's request as Nest's `@Req()` hands it over: Express's `Request` or Fastify's `FastifyRequest`. */
export interface SessionRequest {
  session?: unknown;
}

/** What the module set up on the platform the app runs on, and how to read a request's session there. */
export interface Wired {
  platform: 'express' | 'fastify';
  store: SessionKitStore;
  /** The owner of the request's session (the store's `userId` option), or undefined when anonymous. */
  userIdOf(req: SessionRequest): string | undefined;
  /** The request's session id, or undefined without a session. */
  sessionIdOf(req: SessionRequest): string | undefined;
  /** Gives the request a new session (a new id, no data): the step before a sign-in. */
  regenerate(req: SessionRequest): Promise<Record<string, unknown>>;
  /** Destroys the request's session, so the response does not save it again. */
  destroy(req: SessionRequest): Promise<void>;
  close(): void;
}

/** The part of Nest's HttpAdapter used here (kept structural so these types need no platform package). */
export interface PlatformAdapter {
  getType(): string;
  getInstance(): unknown;
}

type Session = Record<string, unknown> & { cookie?: unknown };

/** The framework-free layer under both stores: finds the owner with the store's `userId` option. */
interface Owners {
  sessions: { userIdOf(session: Session): string | undefined };
}

function sessionOf(req: SessionRequest): Session | undefined {
  const session = req.session;
  return session && typeof session === 'object' ? (session as Session) : undefined;
}

/**
 * The adapter packages are optional peers (an app installs the one of its platform), so they are
 * loaded here, once the platform is known. A missing one is named with the command that installs it.
 */
async function load<T>(platform: string, install: string, loader: () => Promise<T>): Promise<T> {
  try {
    return await loader();
  } catch (error) {
    const code = (error as { code?: unknown } | null)?.code;
    if (code === 'ERR_MODULE_NOT_FOUND' || code === 'MODULE_NOT_FOUND') {
      throw new Error(`SessionKitModule on ${platform} needs packages that are not installed: npm install ${install}`, { cause: error });
    }
    throw error;
  }
}

/**
 * Sets the sessions up on the app's platform: express-session with @sessionkit/express's
 * RedisStore, or @fastify/cookie + @fastify/session with @sessionkit/fastify's RedisStore and its
 * sessionKitPlugin. Runs while Nest initialises the app, before it registers the routes.
 */
export async function wire(adapter: PlatformAdapter | undefined, options: SessionKitModuleOptions): Promise<Wired> {
  const type = adapter?.getType();
  const cookie = { httpOnly: true, sameSite: 'lax' as const, secure: 'auto' as const, path: '/', ...options.cookie };
  const { name, ...cookieSettings } = cookie;
  const rolling = options.rolling ?? true;
  const saveUninitialized = options.saveUninitialized ?? false;

  if (type === 'express') {
    const [{ default: session }, { RedisStore }] = await load('@nestjs/platform-express', '@sessionkit/express express-session', () =>
      Promise.all([import('express-session'), import('@sessionkit/express')]),
    );
    const store = new RedisStore({ ...options.store, client: options.client });
    const app = adapter!.getInstance() as { use(handler: unknown): void };
    // Before every route and every middleware a module applies (those are mounted after this runs).
    app.use(session({ store, secret: options.secret, name, cookie: cookieSettings, rolling, saveUninitialized, resave: false }));
    return {
      platform: 'express',
      store,
      userIdOf: (req) => ownerOf(store as unknown as Owners, req),
      sessionIdOf: (req) => (sessionOf(req) ? (req as { sessionID?: string }).sessionID : undefined),
      regenerate: (req) =>
        new Promise((resolve, reject) => {
          const current = sessionOf(req) as { regenerate?(callback: (error?: unknown) => void): void } | undefined;
          if (!current?.regenerate) return reject(noSession());
          current.regenerate((error) => (error ? reject(error) : resolve(sessionOf(req)!)));
        }),
      destroy: (req) =>
        new Promise<void>((resolve, reject) => {
          const current = sessionOf(req) as { destroy?(callback: (error?: unknown) => void): void } | undefined;
          if (!current?.destroy) return resolve();
          current.destroy((error) => (error ? reject(error) : resolve()));
        }),
      close: () => store.close(),
    };
  }

  if (type === 'fastify') {
    const [{ default: fastifyCookie }, { default: fastifySession }, { RedisStore, sessionKitPlugin }] = await load(
      '@nestjs/platform-fastify',
      '@sessionkit/fastify @fastify/session @fastify/cookie',
      () => Promise.all([import('@fastify/cookie'), import('@fastify/session'), import('@sessionkit/fastify')]),
    );
    const store = new RedisStore({ ...options.store, client: options.client } as ConstructorParameters<typeof RedisStore>[0]);
    const app = adapter!.getInstance() as import('fastify').FastifyInstance;
    // An app that registered @fastify/cookie itself (for its own options) keeps its registration.
    if (!app.hasRequestDecorator('cookies')) await app.register(fastifyCookie);
    await app.register(fastifySession, {
      store,
      secret: options.secret,
      cookieName: name,
      cookie: cookieSettings,
      rolling,
      saveUninitialized,
    });
    await app.register(sessionKitPlugin, { store });
    return {
      platform: 'fastify',
      store,
      userIdOf: (req) => ownerOf(store as unknown as Owners, req),
      sessionIdOf: (req) => (sessionOf(req) as { sessionId?: string } | undefined)?.sessionId,
      regenerate: async (req) => {
        const current = sessionOf(req) as { regenerate?(): Promise<void> } | undefined;
        if (!current?.regenerate) throw noSession();
        await current.regenerate();
        return sessionOf(req)!;
      },
      destroy: async (req) => {
        const current = sessionOf(req) as { destroy?(): Promise<void> } | undefined;
        if (current?.destroy) await current.destroy();
      },
      close: () => {},
    };
  }

  throw new Error(
    `SessionKitModule supports @nestjs/platform-express and @nestjs/platform-fastify; this app runs on ${type === undefined ? 'no HTTP adapter' : `"${String(type)}"`}`,
  );
}

// express-session serves requests without a session while its store is disconnected.
const noSession = () => new Error('SessionKitService: this request has no session (while Redis is unreachable, express-session serves requests without one)');

function ownerOf(store: Owners, req: SessionRequest): string | undefined {
  const session = sessionOf(req);
  // A session object without its cookie is not one the platform loaded (e.g. destroyed): no owner.
  return session?.cookie ? store.sessions.userIdOf(session) : undefined;
}
