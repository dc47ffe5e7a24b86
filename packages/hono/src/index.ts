import type { Context, MiddlewareHandler } from 'hono';
import { deleteCookie, getSignedCookie, setSignedCookie } from 'hono/cookie';
import type { CookieOptions } from 'hono/utils/cookie';
import { SessionKitError, type SessionStore } from '@sessionkit/core';
import {
  newSessionId,
  FrameworkStore,
  optionSchema,
  requestHelpers,
  userSessionCalls,
  type CookieSession,
  type FrameworkStoreOptions,
  type RequestHelpers,
  type Ticket,
  type UserSessionCalls,
} from '@sessionkit/core/toolkit';

/** The options: the store options every SessionKit adapter takes (see FrameworkStoreOptions), and the ones below. */
export interface SessionKitOptions<Data extends object = Record<string, unknown>>
  extends Omit<FrameworkStoreOptions, 'ttl' | 'userId' | 'meta' | 'disableTouch' | 'disableTTL'> {
  /** Signs the cookie (HMAC-SHA256, Hono's signed cookies). Several: the first signs, all verify (rotation). The same on every instance. */
  secret: string | readonly string[];
  /** The cookie's name. Default 'sid'. */
  name?: string;
  /** Cookie attributes. Default: path '/', HttpOnly, SameSite=Lax, Secure when the request came over HTTPS; Max-Age is `ttl`. */
  cookie?: Omit<CookieOptions, 'maxAge' | 'expires'>;
  /** Believe X-Forwarded-Proto for "came over HTTPS" (behind a TLS-terminating proxy only). Default false. */
  trustProxy?: boolean;
  /** Idle timeout in SECONDS: the session and its cookie end this long after the last request that slid them. Default 86 400. */
  ttl?: number;
  /** Finds the owner in the data. Default: `userId`, then `user.id`, then `passport.user`. */
  userId?: (data: Data) => string | number | null | undefined;
  /** Device details kept beside the session for listings. Default: none. */
  meta?: (data: Data) => Record<string, unknown> | null | undefined;
}

/** The session of one request, on the context as `c.get('session')` (or `c.var.session`). Nothing is read from Redis until `get()`. */
export interface Session<Data extends object = Record<string, unknown>> {
  /** Its id: the cookie's once `get()` found it live, a new one after `regenerate()` or once a new session is saved; else undefined. */
  readonly id: string | undefined;
  /** The data (one Redis GET the first time in a request; `{}` without a live session). Change it in place: it is saved after the handler, only if it changed. */
  get(): Promise<Partial<Data>>;
  /** A new id for the same data (call it at sign-in: session fixation); the old id is revoked now. */
  regenerate(): Promise<void>;
  /** Deletes the session now and clears the cookie; `get()` then gives a new, empty one. */
  destroy(): Promise<void>;
  /** The signed-in user's sessions, most recent first, this one flagged `current`. */
  listSessions: RequestHelpers<Session<Data>>['listSessions'];
  /** Revokes one of the signed-in user's sessions (never another user's). */
  revokeSession: RequestHelpers<Session<Data>>['revokeSession'];
  /** Revokes every session of the signed-in user, or all but this one with `{ keepCurrent: true }`. */
  logoutEverywhere: RequestHelpers<Session<Data>>['logoutEverywhere'];
}

/** The Hono env the middleware adds: `new Hono<SessionEnv<AppSession>>()`. */
export interface SessionEnv<Data extends object = Record<string, unknown>> {
  Variables: { session: Session<Data> };
}

/** The middleware, with the per-user API of the store (for admin pages and jobs) and the core store. */
export type SessionKitMiddleware<Data extends object = Record<string, unknown>> = MiddlewareHandler<SessionEnv<Data>> &
  UserSessionCalls & {
    /** The core store: admin calls and events ('corrupt', 'invalidate', ...). */
    readonly core: SessionStore;
    /** The lifecycle engine the middleware loads and saves through. */
    readonly sessions: FrameworkStore;
  };

/** Hono's `ttl`: seconds, no function (the cookie's Max-Age must be known). */
const honoOptions = optionSchema('hono', {
  ttl: {
    unit: 's',
    lifetime: 'required',
    default: 86_400,
    check: (ttl) => {
      if (typeof ttl !== 'number' || !(ttl > 0)) throw new SessionKitError('ERR_CONFIG', `option ttl must be a positive number of seconds, got ${String(ttl)}`);
      return ttl;
    },
  },
});

/** What the middleware knows of one request's session. */
interface State {
  c: Context;
  loading?: Promise<void>;
  data: CookieSession;
  id?: string | undefined;
  /** Set when the data was loaded from Redis under `id`: its save merges and compares against that load. */
  ticket?: Ticket | undefined;
  /** The request brought our cookie: clear it if no session is left. */
  hadCookie: boolean;
}

/**
 * Hono middleware: a server-side session in Redis, its id in a signed cookie. Lazily loaded,
 * saved after the handler only when changed (else the expiry slides, once per `touchAfter`),
 * merged with concurrent requests' changes: all of that is the engine's (FrameworkStore).
 */
export function sessionKit<Data extends object = Record<string, unknown>>(options: SessionKitOptions<Data>): SessionKitMiddleware<Data> {
  if (!options || typeof options !== 'object') throw new SessionKitError('ERR_CONFIG', 'options are required: { client, secret }');
  const { secret, name = 'sid', cookie, trustProxy = false, ...storeOptions } = options;
  const secrets = typeof secret === 'string' ? [secret] : [...(secret ?? [])];
  if (secrets.length === 0 || !secrets.every((s) => typeof s === 'string' && s !== '')) {
    throw new SessionKitError('ERR_CONFIG', 'option secret must be a non-empty string, or an array of them (the first signs)');
  }
  const engine = new FrameworkStore(storeOptions as FrameworkStoreOptions, honoOptions);
  const ttl = engine.resolved.ttl as number;
  const helpers = requestHelpers<State>(engine, {
    current: (state) => ({ userId: engine.userIdOf(state.data), sid: state.id }),
    drop: (state) => forget(state),
  });

  const forget = (state: State) => {
    state.data = {};
    state.id = state.ticket = undefined;
  };

  async function load(state: State): Promise<void> {
    let id: string | false | undefined;
    // Hono's getSignedCookie verifies with one secret: the others are tried only when it fails.
    for (const key of secrets) {
      id = await getSignedCookie(state.c, key, name);
      if (id !== false) break;
    }
    state.hadCookie = id !== undefined;
    if (!id) return; // no cookie, or a signature no secret made: Redis is not asked
    // React Router's shape: no cookie in the data (a `cookie` key is the app's own); each save brings the TTL.
    const loaded = await engine.load(id, { noCookie: true }).catch((error: unknown) => {
      if (error instanceof SessionKitError && error.code === 'ERR_INVALID_ID') return null; // a signed id the store refuses names nothing
      throw error;
    });
    if (!loaded) return;
    Object.assign(state, { data: loaded.session, id, ticket: loaded.ticket });
  }

  async function commit(state: State): Promise<void> {
    const { c, data } = state;
    if (!state.ticket && Object.keys(data).length === 0) {
      if (state.hadCookie) deleteCookie(c, name, { path: '/', ...cookie });
      return;
    }
    state.id ??= newSessionId();
    // Loaded: saved only if it changed since (else the expiry slides, throttled). New: written as is.
    const hints = state.ticket ? { ticket: state.ticket, unchanged: 'compare' as const } : {};
    await engine.set(state.id, data, { ...hints, ttl: ttl * 1000 });
    const https = new URL(c.req.url).protocol === 'https:' || (trustProxy && c.req.header('x-forwarded-proto')?.split(',')[0]?.trim() === 'https');
    // Re-sent on every response that used the session, so that the cookie slides with the session.
    await setSignedCookie(c, name, state.id, secrets[0]!, { path: '/', httpOnly: true, sameSite: 'Lax', secure: https, ...cookie, maxAge: ttl });
  }

  const middleware: MiddlewareHandler<SessionEnv<Data>> = async (c, next) => {
    const state: State = { c, data: {}, hadCookie: false };
    const loaded = () => (state.loading ??= load(state));
    const withLoad =
      <A extends unknown[], R>(call: (this: State, ...args: A) => Promise<R>) =>
      async (...args: A) => {
        await loaded();
        return call.apply(state, args);
      };
    c.set('session', {
      get id() {
        return state.id;
      },
      get: withLoad(async () => state.data as Partial<Data>),
      regenerate: withLoad(async () => {
        if (state.ticket) await engine.destroy(state.id!, { ticket: state.ticket });
        state.id = newSessionId();
        state.ticket = undefined;
      }),
      destroy: withLoad(async () => {
        if (state.ticket) await engine.destroy(state.id!, { ticket: state.ticket });
        forget(state);
      }),
      listSessions: withLoad(helpers.listSessions),
      revokeSession: withLoad(helpers.revokeSession),
      logoutEverywhere: withLoad(helpers.logoutEverywhere),
    } as Session<Data>);
    await next();
    // Untouched: no Redis command, no cookie. A handler that failed saves nothing.
    if (state.loading && !c.error) {
      await state.loading;
      await commit(state);
    }
  };
  return Object.assign(middleware, { core: engine.core as SessionStore, sessions: engine as FrameworkStore, ...userSessionCalls(engine) });
}

export type { ListedSession, LogoutEverywhereOptions } from '@sessionkit/core/toolkit';
export type { InvalidateOptions, SessionInfo, Serializer, SessionLimitPolicy } from '@sessionkit/core';
export { SessionKitError, RedisOperationError, SessionLimitError, CorruptSessionError, hashId } from '@sessionkit/core';
