import { createServer } from 'node:http';
import Koa from 'koa';
import session, { type CreateSessionOptions } from 'koa-session';
import { HttpClient, listenOn, listingCalls, type ComplianceTarget, type TestSession } from '@sessionkit/testing';
import { currentSessionId, sessionHelpers, type KoaSessionData, type RedisStore } from '@sessionkit/koa';

export { countCommands, useRedis } from '@sessionkit/testing';

export const KEYS = ['a-test-key-for-koa-cookie-signing'];

export const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * The store as the shared compliance suite takes it, called the way koa-session calls it: the
 * suite's `cookie.expires` becomes koa-session's `_expire`, a save is `set(..., { changed: true })`,
 * and a touch is what a `rolling` request does with a session it loaded and did not change:
 * `get(key, maxAge, { rolling, ctx })` then `set(key, sess, maxAge, { rolling, changed: false, ctx })`
 * with the same `ctx`. The suite's get/touch pairs share one context per id, as one request would.
 */
export function complianceTarget(store: RedisStore): ComplianceTarget {
  const requests = new Map<string, object>();
  const toKoa = (s: TestSession): KoaSessionData => {
    const { cookie, ...data } = s;
    const expire = cookie?.expires ? Date.parse(String(cookie.expires)) : undefined;
    return { ...data, ...(expire === undefined ? { _session: true } : { _expire: expire, _maxAge: cookie.originalMaxAge ?? undefined }) };
  };
  const fromKoa = (sess: KoaSessionData | null): TestSession | null => {
    if (!sess) return null;
    const { _expire, _maxAge, _session, ...data } = sess;
    return { ...data, cookie: { expires: _expire === undefined ? null : new Date(_expire).toISOString(), originalMaxAge: _maxAge ?? null } };
  };
  const maxAgeOf = (sess: KoaSessionData) => (sess._maxAge === undefined ? 'session' : sess._maxAge + 10_000);
  return {
    store: {
      get: async (id) => {
        const ctx = {};
        requests.set(id, ctx);
        return fromKoa(await store.get(id, undefined, { rolling: true, ctx }));
      },
      set: (id, s) => {
        requests.delete(id);
        const sess = toKoa(s);
        return store.set(id, sess, maxAgeOf(sess), { rolling: true, changed: true, ctx: {} });
      },
      destroy: (id) => store.destroy(id, { ctx: {} }),
      touch: (id, s) => {
        const ctx = requests.get(id) ?? {};
        requests.delete(id);
        const sess = toKoa(s);
        return store.set(id, sess, maxAgeOf(sess), { rolling: true, changed: false, ctx });
      },
      ...listingCalls(store),
    },
  };
}

export interface AppOptions {
  session?: CreateSessionOptions;
  helpers?: boolean;
  /** Awaited by POST /slow-view after the session was loaded and before it is changed. */
  pause?: () => Promise<void>;
  /** The Koa class to run (Koa 3 by default; the `koa2` package for Koa 2). */
  Koa?: new () => Koa;
}

async function readJson(ctx: Koa.Context): Promise<Record<string, unknown>> {
  let text = '';
  for await (const chunk of ctx.req) text += chunk;
  return text ? (JSON.parse(text) as Record<string, unknown>) : {};
}

/**
 * A real Koa server on a loopback port with koa-session on the given store and the request
 * helpers, and a few routes that read, change, regenerate and destroy the session.
 */
export async function startApp(store: RedisStore, options: AppOptions = {}) {
  const App = options.Koa ?? Koa;
  const app = new App();
  app.keys = KEYS;
  app.use(session({ store, key: 'koa.sess', ...options.session }, app));
  if (options.helpers !== false) sessionHelpers(app, { store });

  app.use(async (ctx) => {
    const body = ctx.method === 'POST' ? await readJson(ctx) : {};
    const s = ctx.session!;
    switch (`${ctx.method} ${ctx.path}`) {
      case 'POST /login':
        s.userId = body.user;
        s.views = 0;
        // A new id at sign-in, as an app should (session fixation).
        await s.regenerate();
        ctx.body = { sid: currentSessionId(ctx) ?? null };
        return;
      case 'POST /password':
        // A password change: a new id for this browser, and every other session ends.
        await s.regenerate();
        ctx.body = { sid: currentSessionId(ctx) ?? null, count: await ctx.logoutEverywhere({ keepCurrent: true }) };
        return;
      case 'GET /me':
        ctx.body = { userId: s.userId ?? null, views: s.views ?? null, sid: currentSessionId(ctx) ?? null };
        return;
      case 'GET /inspect':
        ctx.body = {
          sid: currentSessionId(ctx) ?? null,
          userId: s.userId ?? null,
          keys: Object.keys(s.toJSON()).sort(),
          // Global pollution, or a key read through a replaced session prototype.
          polluted: ({} as Record<string, unknown>).polluted ?? s.polluted ?? s.isAdmin ?? null,
        };
        return;
      case 'POST /view':
        s.views = ((s.views as number | undefined) ?? 0) + 1;
        ctx.body = { views: s.views };
        return;
      case 'POST /slow-view':
        await options.pause?.();
        s.views = ((s.views as number | undefined) ?? 0) + 1;
        ctx.body = { views: s.views };
        return;
      case 'POST /save':
        // Changed, then saved explicitly: koa-session says `changed: false` for a forced save.
        s.note = body.note;
        await s.save();
        ctx.body = { ok: true };
        return;
      case 'POST /remember':
        s.maxAge = body.maxAge as number;
        ctx.body = { ok: true };
        return;
      case 'POST /logout':
        ctx.session = null;
        ctx.body = { ok: true };
        return;
      case 'GET /sessions':
        ctx.body = await ctx.listSessions();
        return;
      case 'POST /logout-everywhere':
        ctx.body = { count: await ctx.logoutEverywhere({ keepCurrent: body.keepCurrent === true }) };
        return;
      case 'POST /revoke':
        ctx.body = { revoked: await ctx.revokeSession(body.sid as string) };
        return;
      default:
        ctx.status = 404;
    }
  });

  const { url, close } = await listenOn(createServer(app.callback()));
  return { app, url, close };
}

/**
 * A fetch with one cookie jar: what a browser does with koa-session's cookies (`koa.sess` and its
 * signature `koa.sess.sig`), over real HTTP, including forgetting them once their expiry passed.
 */
export class Client extends HttpClient {
  /** The session id: koa-session's cookie holds the store key itself (signed in a second cookie). */
  get sid(): string | undefined {
    return this.cookies.get('koa.sess');
  }
}
